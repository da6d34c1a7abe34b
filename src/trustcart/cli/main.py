"""Entry point of the ``trustcart`` console script.

Command modules register themselves on ``trustcart.cli.app.app`` when imported; add one import
line here per module.
"""

from __future__ import annotations

from trustcart.cli.app import app


def main() -> None:
    # Imported here so that `trustcart --help` shows every command.
    from trustcart.cli import commands  # noqa: F401

    app()
