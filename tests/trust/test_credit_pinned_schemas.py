"""The package's copy of the TSD-CRD reference-v1 schemas is the pinned set, byte for byte.

Credit objects are validated against ``trust/credit/pinned/schemas`` when no
``$TRUSTCART_CONFORMANCE_DIR`` is set; this keeps that copy equal to
``../shared/conformance/act/tsd-crd/reference-v1/schemas`` and shows the pins refuse a change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from trustcart.trust.credit import schemas
from trustcart.trust.credit.errors import SchemaUnavailable

ROOT = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    configured = os.environ.get(schemas.ENV_VAR)
    base = Path(configured) if configured else ROOT.parent / "shared" / "conformance"
    return base / "act" / "tsd-crd" / "reference-v1" / "schemas"


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in root.glob("*.json")}


def test_the_packaged_schemas_equal_the_pinned_ones() -> None:
    shared = _shared()
    if not shared.is_dir():
        pytest.fail(f"the pinned TSD-CRD schemas are not at {shared}")
    packaged = _files(schemas.PACKAGED)
    assert set(packaged) == {schema.value for schema in schemas.PINS}
    assert packaged == _files(shared)


def test_without_the_conformance_dir_the_packaged_copy_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(schemas.ENV_VAR, raising=False)
    assert schemas.schema_dir() == schemas.PACKAGED
    assert schemas.load_schema_set(schemas.schema_dir()).validators
    monkeypatch.setenv(schemas.ENV_VAR, "/elsewhere")
    assert schemas.schema_dir() == Path("/elsewhere/act/tsd-crd/reference-v1/schemas")


def test_a_changed_or_missing_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(schemas.PACKAGED, copy)
    target = copy / schemas.CreditSchema.CREDENTIAL.value
    target.write_bytes(target.read_bytes() + b"\n")
    with pytest.raises(SchemaUnavailable, match="pinned SHA-256"):
        schemas.load_schema_set(copy)
    target.unlink()
    with pytest.raises(SchemaUnavailable, match="cannot read"):
        schemas.load_schema_set(copy)
