"""Every refusal a shopper can meet has a sentence in English and Chinese; codes stay in JSON."""

from enum import StrEnum

import pytest

from trustcart.assistant.agent_answers import AgentCode
from trustcart.assistant.checks import NOT_WHAT_WAS_ASKED
from trustcart.assistant.errors import ToolCode, ToolRefused
from trustcart.assistant.refusal_words import REFUSALS, refusal_sentence
from trustcart.commerce.errors import CommerceProblem
from trustcart.delegation.constraints import ConstraintReason
from trustcart.delegation.errors import DelegationProblem
from trustcart.payments.errors import PaymentProblem

SHOPPER_FACING = (
    ToolCode,
    AgentCode,
    ConstraintReason,
    DelegationProblem,
    PaymentProblem,
    CommerceProblem,
)


@pytest.mark.parametrize("codes", SHOPPER_FACING, ids=lambda codes: codes.__name__)
def test_every_code_has_words_in_both_languages(codes: type[StrEnum]) -> None:
    generic = {"internal-error", "not-found", "invalid-request", "malformed-json"}
    missing = [c.value for c in codes if c.value not in REFUSALS and c.value not in generic]
    assert missing == []
    for code in codes:
        english, chinese = REFUSALS.get(code.value, ("x", "x"))
        assert english
        assert chinese
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese) or code.value in generic


def test_the_proposal_check_has_words() -> None:
    assert NOT_WHAT_WAS_ASKED in REFUSALS


def test_a_refusal_with_reasons_reads_as_a_sentence_without_raw_codes() -> None:
    refusal = ToolRefused(
        "outside-authorization",
        "Pearl Milk Tea: this purchase would exceed the authorized quantity",
        reasons=("over-quantity",),
    )
    english = refusal_sentence(refusal.code, refusal.reasons, "en")
    chinese = refusal_sentence(refusal.code, refusal.reasons, "zh")
    assert english == (
        "it is outside what you authorized: it would go over the number of items allowed"
    )
    assert chinese == "这超出了您授权的范围：会超出允许购买的数量"
    assert "over-quantity" not in english + chinese
    assert refusal.to_json()["reasons"] == ["over-quantity"]  # the code stays in JSON


def test_an_unknown_code_is_named_rather_than_hidden() -> None:
    assert refusal_sentence("brand-new-code", (), "en") == (
        "the other party refused (brand-new-code)"
    )
    assert "brand-new-code" in refusal_sentence("brand-new-code", (), "zh")
