"""The AP2 refusal codes are documented, and each maps onto UCP's AP2 extension error codes as
the pinned UCP schema lists them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trustcart.delegation.ap2.errors import AP2Refusal
from trustcart.delegation.ap2.ucp_codes import UCP_AP2_CODES, ucp_error_code
from trustcart.payments.errors import PaymentProblem

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")


def _ucp_schema() -> dict[str, object]:
    base = Path(os.environ.get("TRUSTCART_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
    path = base / "ucp" / "source" / "schemas" / "shopping" / "ap2_mandate.json"
    document: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("code", list(AP2Refusal))
def test_every_refusal_is_documented_and_has_a_ucp_code(code: AP2Refusal) -> None:
    assert f"`{code.value}`" in DOC
    assert ucp_error_code(code) in UCP_AP2_CODES


def test_the_ucp_codes_are_the_schemas() -> None:
    defs = _ucp_schema()["$defs"]
    assert isinstance(defs, dict)
    assert set(defs["error_code"]["enum"]) == UCP_AP2_CODES


def test_the_psp_code_is_documented() -> None:
    assert f"`{PaymentProblem.AP2_MANDATE_REFUSED.value}`" in DOC
