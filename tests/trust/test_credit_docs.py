"""The TSD-CRD codes are documented, and the examples in the modules' docstrings are true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import trustcart.trust.credit as credit
from trustcart.trust.credit.reasons import REASON_TEXT, RESULT_OF, ReasonCode, VerificationResult

DOCS = Path(__file__).parents[2] / "docs"
MODULES = [f"trustcart.trust.credit.{info.name}" for info in pkgutil.iter_modules(credit.__path__)]
MODULES += [
    "trustcart.crypto.spki",
    "trustcart.conformance.tsd_crd_world",
    "trustcart.conformance.tsd_crd_scenarios",
    "trustcart.conformance.act_tsd_crd",
]


@pytest.mark.parametrize("codes", [ReasonCode, VerificationResult])
def test_every_code_is_documented(codes: type[ReasonCode] | type[VerificationResult]) -> None:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    assert [code.value for code in codes if f"`{code.value}`" not in text] == []


def test_every_reason_has_a_result_and_a_text() -> None:
    assert set(RESULT_OF) == set(REASON_TEXT) == set(ReasonCode)
    assert [code for code, result in RESULT_OF.items() if result is VerificationResult.PASS] == [
        ReasonCode.VERIFIED
    ]


def test_the_page_exists() -> None:
    page = (DOCS / "credit-association.md").read_text(encoding="utf-8")
    assert "ASSOCIATED_CREDIT" in page
    assert "act-tsd-crd" in page


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    failed, _ = doctest.testmod(importlib.import_module(name), raise_on_error=False)
    assert failed == 0
