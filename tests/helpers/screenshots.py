"""What every screenshot script shares: a throwaway installation, the output folder, the verdict.

Each script under ``scripts/`` names its scenes (functions of the running app, the output folder
and a scratch folder, returning the requests that left loopback) and calls ``shoot``; the scenes
run in order on one app, so a later scene sees what an earlier one did.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from trustcart.web.server import RunningWeb, running_web

Scene = Callable[[RunningWeb, Path, Path], list[str]]

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shoot(scenes: Sequence[Scene], argv: Sequence[str]) -> int:
    """Run ``scenes`` on a fresh app; 1 if any request left loopback, else 0 (the exit code)."""
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    off: list[str] = []
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        with running_web(scratch, f"sqlite:///{scratch / 'trustcart.db'}") as web:
            for scene in scenes:
                off += scene(web, out, scratch)
    if off:
        sys.stderr.write(f"requests left loopback: {off}\n")
        return 1
    sys.stdout.write(f"screenshots in {out}\n")
    return 0
