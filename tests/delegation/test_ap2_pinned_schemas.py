"""The package's copy of the AP2 v0.2.0 schemas is the pinned conformance set, byte for byte.

Mandates are read and issued against ``delegation/ap2/pinned/schemas`` when no
``$TRUSTCART_CONFORMANCE_DIR`` is set (a fresh checkout, a wheel, ``trustcart demo`` without
``../shared``); this keeps that copy equal to ``../shared/conformance/ap2/schemas``, read from
there directly, and shows the pins refuse a changed copy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from trustcart.delegation.ap2 import schemas
from trustcart.delegation.ap2.errors import AP2Unavailable

ROOT = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    configured = os.environ.get(schemas.ENV_VAR)
    base = Path(configured) if configured else ROOT.parent / "shared" / "conformance"
    return base / "ap2" / "schemas"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.json")}


def test_the_packaged_schemas_equal_the_pinned_ones() -> None:
    shared = _shared()
    if not shared.is_dir():
        pytest.fail(f"the pinned AP2 schemas are not at {shared}")
    packaged = _files(schemas.PACKAGED)
    assert set(packaged) == set(schemas.PINS)
    assert packaged == _files(shared)


def test_without_the_conformance_dir_the_packaged_copy_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(schemas.ENV_VAR, raising=False)
    assert schemas.schema_dir() == schemas.PACKAGED
    assert schemas.load_schema_set(schemas.schema_dir()).validators
    monkeypatch.setenv(schemas.ENV_VAR, "/elsewhere")
    assert schemas.schema_dir() == Path("/elsewhere/ap2/schemas")


def test_a_changed_or_missing_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(schemas.PACKAGED, copy)
    target = copy / "payment_mandate.json"
    target.write_bytes(target.read_bytes().replace(b'"required"', b'"requiredX"', 1))
    with pytest.raises(AP2Unavailable, match="pinned SHA-256"):
        schemas.load_schema_set(copy)
    target.unlink()
    with pytest.raises(AP2Unavailable, match="cannot read"):
        schemas.load_schema_set(copy)
