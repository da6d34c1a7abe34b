"""The package's copies of peers' schemas are the pinned conformance sets, byte for byte.

AP2 mandates, TSD-CRD credit objects and UCP answers are validated against the copies under
``<package>/pinned/schemas`` when no ``$TRUSTCART_CONFORMANCE_DIR`` is set (a fresh checkout, a
wheel, ``trustcart demo`` without ``../shared``). Each copy is compared here with the set in
``../shared/conformance``, read from there directly; the pinned readers (AP2, TSD-CRD) must also
refuse a changed or missing file.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trustcart.assistant.ucp import schemas as ucp_schemas
from trustcart.core import pinned
from trustcart.delegation.ap2 import schemas as ap2_schemas
from trustcart.delegation.ap2.errors import AP2Unavailable
from trustcart.trust.credit import schemas as credit_schemas
from trustcart.trust.credit.errors import SchemaUnavailable

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Copy:
    name: str
    packaged: Path
    relative: str  # below the conformance folder
    schema_dir: Callable[[], Path]


COPIES = (
    Copy("ucp", ucp_schemas.PACKAGED, "ucp/source/schemas", ucp_schemas.schema_dir),
    Copy("ap2", ap2_schemas.PACKAGED, "ap2/schemas", ap2_schemas.schema_dir),
    Copy(
        "tsd-crd",
        credit_schemas.PACKAGED,
        "act/tsd-crd/reference-v1/schemas",
        credit_schemas.schema_dir,
    ),
)


def _shared(relative: str) -> Path:
    configured = os.environ.get(pinned.ENV_VAR)
    base = Path(configured) if configured else ROOT.parent / "shared" / "conformance"
    return base / relative


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.json")}


@pytest.mark.parametrize("copy", COPIES, ids=lambda c: c.name)
def test_the_packaged_copy_equals_the_pinned_set(copy: Copy) -> None:
    shared = _shared(copy.relative)
    if not shared.is_dir():
        pytest.fail(f"the pinned {copy.name} schemas are not at {shared}")
    packaged = _files(copy.packaged)
    assert packaged  # an empty copy would make the comparison vacuous
    assert packaged == _files(shared)
    for notice in ("LICENSE", "SOURCE"):
        assert (copy.packaged.parent / notice).is_file()


@pytest.mark.parametrize("copy", COPIES, ids=lambda c: c.name)
def test_without_the_conformance_dir_the_packaged_copy_is_used(
    copy: Copy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(pinned.ENV_VAR, raising=False)
    assert copy.schema_dir() == copy.packaged
    monkeypatch.setenv(pinned.ENV_VAR, "/elsewhere")
    assert copy.schema_dir() == Path("/elsewhere") / copy.relative


@dataclass(frozen=True)
class Reader:
    name: str
    packaged: Path
    load: Callable[[Path], Any]
    refusal: type[Exception]
    changed: str  # a file of the set


READERS = (
    Reader(
        "ap2",
        ap2_schemas.PACKAGED,
        ap2_schemas.load_schema_set,
        AP2Unavailable,
        "types/amount.json",
    ),
    Reader(
        "tsd-crd",
        credit_schemas.PACKAGED,
        credit_schemas.load_schema_set,
        SchemaUnavailable,
        credit_schemas.CreditSchema.CREDENTIAL.value,
    ),
)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.name)
def test_a_changed_or_missing_file_is_refused(reader: Reader, tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(reader.packaged, copy)
    assert reader.load(copy)  # the intact copy loads
    target = copy / reader.changed
    target.write_bytes(target.read_bytes() + b"\n")  # a whitespace change is still a change
    with pytest.raises(reader.refusal, match="pinned SHA-256"):
        reader.load(copy)
    target.unlink()
    with pytest.raises(reader.refusal, match="cannot read"):
        reader.load(copy)
