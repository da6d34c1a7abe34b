"""The pay-per-call codes are documented in docs/errors.md."""

from enum import StrEnum
from pathlib import Path

import pytest

from trustcart.assistant.a402_buyer import A402BuyerCode
from trustcart.payments.x402.errors import X402Reason

DOC = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("codes", [A402BuyerCode, X402Reason])
def test_every_pay_per_call_code_is_documented(codes: type[StrEnum]) -> None:
    assert [code.value for code in codes if f"`{code.value}`" not in DOC] == []
