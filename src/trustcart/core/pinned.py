"""Pinned files shipped with the package: where to read them, and reading them pin-checked.

A peer's JSON Schemas (AP2, ACT TSD-CRD, UCP) decide what we accept, so the files we validate
against are the reviewed ones: each package keeps its copy beside its code (``pinned/``, with
the peer's LICENSE and SOURCE; a test keeps it byte-equal to ``../shared/conformance``), and
AP2's and TSD-CRD's readers check every file against its SHA-256 (``read_pinned``).
``$TRUSTCART_CONFORMANCE_DIR`` points all of them at a conformance folder instead (a checkout
under review); the pins still apply there, so a changed file is refused rather than trusted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

ENV_VAR = "TRUSTCART_CONFORMANCE_DIR"


def pinned_dir(relative: PurePosixPath, packaged: Path) -> Path:
    """``$TRUSTCART_CONFORMANCE_DIR/<relative>`` when set, else the package's own copy."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) / relative if configured else packaged


def read_pinned(
    directory: Path, pins: Mapping[str, str], unavailable: Callable[[str], Exception]
) -> dict[str, bytes]:
    """Every pinned file's bytes; ``unavailable(message)`` raised for a missing or changed one."""
    files: dict[str, bytes] = {}
    for name, pin in pins.items():
        path = directory / name
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise unavailable(f"cannot read {path} (set {ENV_VAR})") from e
        if hashlib.sha256(raw).hexdigest() != pin:
            raise unavailable(f"{path} differs from its pinned SHA-256")
        files[name] = raw
    return files
