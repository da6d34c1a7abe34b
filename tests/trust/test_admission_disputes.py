"""The PSP may log its decisions (decision-logged) under a delegation: a dispute's with the
whole chain, a risk rule's with the intent and delegation; never without the delegation. The
agent's decision records keep their own rule."""

from __future__ import annotations

import pytest

from tests.helpers.clock import T0
from trustcart.crypto.keys import SigningKey
from trustcart.trust.admission import check_initiator
from trustcart.trust.errors import RecordRefused
from trustcart.trust.events import (
    Chain,
    EventType,
    Participant,
    build_record,
    sign_record,
    verify_record,
)

KEY = SigningKey.generate()
FULL = Chain("int_1", "dlg_1", "ord_1", "tr_1")


def record(role: str, chain: Chain) -> None:
    payload = build_record(
        event_type=EventType.DECISION_LOGGED,
        chain=chain,
        participants=[Participant(role, f"{role}:x", KEY.kid)],
        event_body={"outcome": "declined"},
        now=T0,
        random_bytes=bytes,
    )
    check_initiator(verify_record(sign_record(payload, KEY), {KEY.kid: KEY.public}))


def test_the_psp_logs_a_dispute_decision_with_the_whole_chain() -> None:
    record("psp", FULL)


@pytest.mark.parametrize("chain", [Chain("int_1", "dlg_1"), Chain("int_1", "dlg_1", "ord_1")])
def test_the_psp_logs_a_screened_payments_decision_under_its_delegation(chain: Chain) -> None:
    record("psp", chain)  # payments.risk.gate: before any trade


@pytest.mark.parametrize("chain", [Chain("int_1")])
def test_a_psp_decision_without_the_whole_chain_is_refused(chain: Chain) -> None:
    with pytest.raises(RecordRefused) as caught:
        record("psp", chain)
    assert caught.value.code == "record-chain-ids"


@pytest.mark.parametrize(
    ("role", "code"), [("agent", "record-chain-ids"), ("merchant", "record-role-not-allowed")]
)
def test_others_may_not_log_a_decision_about_a_trade(role: str, code: str) -> None:
    with pytest.raises(RecordRefused) as caught:
        record(role, FULL)
    assert caught.value.code == code
