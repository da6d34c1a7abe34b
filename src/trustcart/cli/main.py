"""Entry point of the ``trustcart`` console script.

Command modules register themselves on ``trustcart.cli.app.app`` when imported; add one import
line here per module.

Exit codes (README, "Commands"): 0 done; 1 the command ran and the answer is no (a bundle does
not verify, a conformance case fails, no row of an import could be kept); 2 bad arguments or an
input that cannot be used (Click's usage errors are 2 as well), with one line on stderr; 70
(EX_SOFTWARE) an unexpected error, which is a bug: one line on stderr, and the traceback with
``TRUSTCART_DEBUG=1``. Commands turn every bad argument and file into 2 themselves
(``tests/cli/test_bad_arguments.py`` checks it without this last resort).
"""

from __future__ import annotations

import os
import sys

from trustcart.cli.app import app

EXIT_INTERNAL = 70


def main() -> None:
    # Imported here so that `trustcart --help` shows every command.
    from trustcart.cli import commands  # noqa: F401

    try:
        app()
    except Exception as e:  # the last resort: a bug, reported in one line rather than 40
        if os.environ.get("TRUSTCART_DEBUG"):
            raise
        first = (str(e).splitlines() or [""])[0][:200]
        sys.stderr.write(
            f"trustcart: internal error ({type(e).__name__}: {first}); "
            "run with TRUSTCART_DEBUG=1 to see the traceback\n"
        )
        sys.exit(EXIT_INTERNAL)
