"""The six A402 states: the full transition matrix, terminal states, and only these six."""

from __future__ import annotations

import pytest

from tests.helpers.a402 import load, schema_errors
from trustcart.payments.a402.codes import A402Code
from trustcart.payments.a402.errors import IllegalTransactionTransition
from trustcart.payments.a402.states import (
    TERMINAL,
    TRANSITIONS,
    TransactionEvent,
    TransactionState,
    allowed_next,
    next_state,
)

S, E = TransactionState, TransactionEvent
# ACT 2.1 A402 section 6, written out again here: the table under test is not its own oracle.
EXPECTED = {
    (S.CREATE, E.PAYMENT_NEEDED_ISSUED): S.WAIT_BUYER_PAY,
    (S.WAIT_BUYER_PAY, E.PAYMENT_VALIDATED): S.WAIT_SELLER_FULFILLMENT,
    (S.WAIT_BUYER_PAY, E.PAYMENT_TERMINATED): S.TRADE_CLOSED,
    (S.WAIT_SELLER_FULFILLMENT, E.DELIVERY_COMMITTED): S.WAIT_BUYER_RECEIPT,
    (S.WAIT_SELLER_FULFILLMENT, E.COMPENSATION_COMPLETED): S.TRADE_CLOSED,
    (S.WAIT_BUYER_RECEIPT, E.FULFILLMENT_CONFIRMED): S.TRADE_FINISHED,
    (S.WAIT_BUYER_RECEIPT, E.TRADE_TERMINATED): S.TRADE_CLOSED,
}
MATRIX = [(state, event) for state in S for event in E]


def test_only_the_six_states_and_seven_events_of_the_schema() -> None:
    schema = load("transaction-state.schema.json")
    assert [str(s) for s in S] == schema["$defs"]["state"]["enum"]
    assert {str(e) for e in E} == set(schema["properties"]["event"]["enum"])
    assert len(MATRIX) == 42


@pytest.mark.parametrize(("state", "event"), MATRIX)
def test_transition_matrix(state: TransactionState, event: TransactionEvent) -> None:
    expected = EXPECTED.get((state, event))
    if expected is not None:
        assert next_state(state, event) is expected
        triple = {"from": str(state), "event": str(event), "to": str(expected)}
        assert schema_errors("transaction-state.schema.json", triple) == []
        return
    current = state
    with pytest.raises(IllegalTransactionTransition) as refused:
        current = next_state(current, event)
    assert current is state  # nothing changed
    assert refused.value.code is A402Code.STATE_CONFLICT


def test_the_table_is_exactly_the_specification() -> None:
    assert TRANSITIONS == EXPECTED


def test_terminal_states_and_closing() -> None:
    assert frozenset({S.TRADE_FINISHED, S.TRADE_CLOSED}) == TERMINAL
    for state in S:
        if state in TERMINAL:
            assert allowed_next(state) == frozenset()
        elif state is S.CREATE:
            assert S.TRADE_CLOSED not in allowed_next(state)
        else:
            assert S.TRADE_CLOSED in allowed_next(state)


@pytest.mark.parametrize(("state", "event"), [("PAID", "PAYMENT_VALIDATED"), ("CREATE", "SHIP")])
def test_unknown_states_and_events_are_refused(state: str, event: str) -> None:
    with pytest.raises(IllegalTransactionTransition):
        next_state(state, event)  # type: ignore[arg-type]


def test_a_finished_trade_is_reached_only_through_delivery() -> None:
    state = S.CREATE
    for event in (
        E.PAYMENT_NEEDED_ISSUED,
        E.PAYMENT_VALIDATED,
        E.DELIVERY_COMMITTED,
        E.FULFILLMENT_CONFIRMED,
    ):
        state = next_state(state, event)
    assert state is S.TRADE_FINISHED
    with pytest.raises(IllegalTransactionTransition):
        next_state(S.WAIT_SELLER_FULFILLMENT, E.FULFILLMENT_CONFIRMED)
