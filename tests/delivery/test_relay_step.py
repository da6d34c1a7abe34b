"""The relay's pure step: messages that exist are valid; settling follows the table; a final
message never changes; claims keep other relays off for the lease."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.delivery.backoff import Backoff
from trustcart.delivery.errors import InvalidMessage
from trustcart.delivery.messages import (
    LOG,
    MessageKind,
    MessageState,
    OutboxMessage,
    Outcome,
    Verdict,
)
from trustcart.delivery.relay_step import claim, is_due, settle

T0 = datetime(2026, 11, 29, 8, tzinfo=UTC)
SCHEDULE = Backoff(first=timedelta(seconds=1), cap=timedelta(minutes=1))


def record(**overrides: object) -> OutboxMessage:
    fields: dict[str, object] = {
        "message_id": "att_1",
        "sender": "psp:trustcart",
        "kind": MessageKind.RECORD,
        "destination": LOG,
        "payload": "h.p.s",
        "created_at": T0,
        "next_attempt_at": T0,
    }
    fields.update(overrides)
    return OutboxMessage(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "overrides",
    [
        {"message_id": ""},
        {"payload": ""},
        {"kind": "record"},
        {"destination": "m_1"},  # a record is owed to the log only
        {"attempts": -1},
        {"attempts": True},
        {"created_at": T0.replace(tzinfo=None)},
        {"state": MessageState.DELIVERED},  # delivered without a time
        {"delivered_at": T0},  # a time without being delivered
        {"last_error": "x" * 501},
    ],
)
def test_a_message_that_contradicts_itself_cannot_be_built(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidMessage):
        record(**overrides)


def test_retry_then_delivery() -> None:
    first = settle(record(), Outcome.retry("log down"), T0, 0.5, SCHEDULE)
    assert (first.state, first.attempts, first.last_error) == (MessageState.PENDING, 1, "log down")
    assert first.next_attempt_at == T0 + timedelta(milliseconds=750)
    assert not is_due(first, T0)
    assert is_due(first, first.next_attempt_at)
    later = T0 + timedelta(seconds=5)
    second = settle(first, Outcome.retry("still down"), later, 0.0, SCHEDULE)
    assert (second.attempts, second.next_attempt_at) == (2, later + timedelta(seconds=1))
    done = settle(second, Outcome.delivered("leaf 7"), later, 0.3, SCHEDULE)
    assert (done.state, done.attempts, done.delivered_at) == (MessageState.DELIVERED, 3, later)
    assert done.final
    assert not is_due(done, later + timedelta(days=1))


def test_a_refusal_is_final_and_keeps_its_reason() -> None:
    refused = settle(record(), Outcome.refused("record-party-mismatch: no"), T0, 0.1, SCHEDULE)
    assert (refused.state, refused.last_error) == (
        MessageState.REFUSED,
        "record-party-mismatch: no",
    )
    assert settle(refused, Outcome.delivered(), T0, 0.1, SCHEDULE) == refused
    with pytest.raises(InvalidMessage):
        claim(refused, T0, timedelta(seconds=30))


def test_a_claim_hides_the_message_for_its_lease() -> None:
    claimed = claim(record(), T0, timedelta(seconds=30))
    assert claimed.next_attempt_at == T0 + timedelta(seconds=30)
    assert not is_due(claimed, T0 + timedelta(seconds=29))
    assert is_due(claimed, T0 + timedelta(seconds=30))  # its relay died: due again
    with pytest.raises(InvalidMessage):
        claim(record(), T0, timedelta(0))


outcomes = st.lists(
    st.tuples(
        st.sampled_from(list(Verdict)),
        st.integers(0, 3600),
        st.floats(0.0, 1.0, exclude_max=True),
    ),
    max_size=30,
)


@settings(max_examples=400, deadline=None)
@given(outcomes)
def test_any_sequence_of_attempts_follows_the_table(
    steps: list[tuple[Verdict, int, float]],
) -> None:
    message, now = record(), T0
    finals = 0
    for verdict, seconds, unit in steps:
        now += timedelta(seconds=seconds)
        before = message
        message = settle(message, Outcome(verdict, "why"), now, unit, SCHEDULE)
        if before.final:
            assert message == before  # nothing moves a final message
            continue
        assert message.attempts == before.attempts + 1
        if verdict is Verdict.RETRY:
            assert message.state is MessageState.PENDING
            assert now + SCHEDULE.ceiling(message.attempts) / 2 <= message.next_attempt_at
            assert message.next_attempt_at <= now + SCHEDULE.ceiling(message.attempts)
        else:
            finals += 1
            assert message.state is MessageState(verdict.value)
    assert finals <= 1
    assert message.attempts == min(
        len(steps),
        next((i + 1 for i, (v, _, _) in enumerate(steps) if v is not Verdict.RETRY), len(steps)),
    )


def test_settling_keeps_what_it_does_not_own() -> None:
    message = record(subject="trd_1", attempts=2)
    settled = settle(message, Outcome.retry(""), T0, 0.0, SCHEDULE)
    assert replace(settled, attempts=2, next_attempt_at=T0, last_error=None) == message
    assert settled.last_error == "retry"  # an empty detail still leaves a reason
