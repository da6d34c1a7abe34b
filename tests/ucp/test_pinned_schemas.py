"""The package's copy of the UCP schemas is the pinned conformance set, byte for byte.

The platform validates every business answer against ``assistant/ucp/pinned/schemas`` when no
``$TRUSTCART_CONFORMANCE_DIR`` is set (a fresh checkout, a wheel); this keeps that copy equal to
``../shared/conformance/ucp/source/schemas``, read from there directly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trustcart.assistant.ucp import schemas

ROOT = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    configured = os.environ.get(schemas.ENV_VAR)
    base = Path(configured) if configured else ROOT.parent / "shared" / "conformance"
    return base / "ucp" / "source" / "schemas"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.json")}


def test_the_packaged_schemas_equal_the_pinned_ones() -> None:
    shared = _shared()
    if not shared.is_dir():
        pytest.fail(f"the pinned UCP schemas are not at {shared}")
    packaged = _files(schemas.PACKAGED)
    assert packaged  # a copy with no files would make every comparison below vacuous
    assert packaged == _files(shared)


def test_without_the_conformance_dir_the_packaged_copy_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(schemas.ENV_VAR, raising=False)
    assert schemas.schema_dir() == schemas.PACKAGED
    monkeypatch.setenv(schemas.ENV_VAR, "/elsewhere")
    assert schemas.schema_dir() == Path("/elsewhere/ucp/source/schemas")
