"""The dispute state table: every legal move, and every other one refused."""

from __future__ import annotations

import itertools

import pytest

from trustcart.disputes.errors import IllegalDisputeTransition
from trustcart.disputes.lifecycle import TRANSITIONS, DisputeEvent, DisputeState, next_state

PATH = [
    (DisputeEvent.GATHER, DisputeState.EVIDENCE_GATHERED),
    (DisputeEvent.DECIDE, DisputeState.DECIDED),
    (DisputeEvent.APPEAL, DisputeState.APPEALED),
    (DisputeEvent.CLOSE, DisputeState.CLOSED),
]


def test_the_happy_path_and_its_appeal() -> None:
    state = DisputeState.OPENED
    for event, expected in PATH:
        state = next_state(state, event)
        assert state is expected


@pytest.mark.parametrize(
    ("state", "event"),
    [pair for pair in itertools.product(DisputeState, DisputeEvent) if pair not in TRANSITIONS],
)
def test_every_other_move_is_refused(state: DisputeState, event: DisputeEvent) -> None:
    with pytest.raises(IllegalDisputeTransition) as caught:
        next_state(state, event)
    assert caught.value.code == "dispute-illegal-transition"


def test_closed_is_final_and_review_only_closes() -> None:
    assert not [key for key in TRANSITIONS if key[0] is DisputeState.CLOSED]
    assert {e for s, e in TRANSITIONS if s is DisputeState.REVIEW} == {DisputeEvent.CLOSE}
    assert next_state(DisputeState.EVIDENCE_GATHERED, DisputeEvent.REFER) is DisputeState.REVIEW
