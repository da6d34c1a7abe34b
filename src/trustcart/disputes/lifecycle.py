"""The dispute lifecycle as a transition table (pure).

    OPENED --gather--> EVIDENCE_GATHERED --decide--> DECIDED --appeal--> APPEALED --close--> CLOSED
    OPENED / EVIDENCE_GATHERED --refer--> REVIEW --close--> CLOSED   (fail closed: a person decides)
    DECIDED --close--> CLOSED

ACT's TSD-ATT-DSP phases are application (``opened``), evidence by the parties
(``evidence-gathered``), certificate validation (TSD-ATT-SVF, inside ``decide``) and the
disposition (``decided``). ``review`` and ``appealed`` are the two human states: the first
when the evidence cannot be trusted (tampered, incomplete, unanchored), the second when a
party contests a decision. Anything else raises ``IllegalDisputeTransition``; CLOSED is final.
"""

from __future__ import annotations

from enum import StrEnum

from trustcart.disputes.errors import IllegalDisputeTransition


class DisputeState(StrEnum):
    OPENED = "opened"
    EVIDENCE_GATHERED = "evidence-gathered"
    DECIDED = "decided"
    REVIEW = "review"
    APPEALED = "appealed"
    CLOSED = "closed"


class DisputeEvent(StrEnum):
    GATHER = "gather"
    DECIDE = "decide"
    REFER = "refer"
    APPEAL = "appeal"
    CLOSE = "close"


TRANSITIONS: dict[tuple[DisputeState, DisputeEvent], DisputeState] = {
    (DisputeState.OPENED, DisputeEvent.GATHER): DisputeState.EVIDENCE_GATHERED,
    (DisputeState.OPENED, DisputeEvent.REFER): DisputeState.REVIEW,
    (DisputeState.EVIDENCE_GATHERED, DisputeEvent.DECIDE): DisputeState.DECIDED,
    (DisputeState.EVIDENCE_GATHERED, DisputeEvent.REFER): DisputeState.REVIEW,
    (DisputeState.DECIDED, DisputeEvent.APPEAL): DisputeState.APPEALED,
    (DisputeState.DECIDED, DisputeEvent.CLOSE): DisputeState.CLOSED,
    (DisputeState.APPEALED, DisputeEvent.CLOSE): DisputeState.CLOSED,
    (DisputeState.REVIEW, DisputeEvent.CLOSE): DisputeState.CLOSED,
}

# The states a person (not the rules) must act on.
HUMAN_STATES = frozenset({DisputeState.REVIEW, DisputeState.APPEALED})


def next_state(current: DisputeState, event: DisputeEvent) -> DisputeState:
    """The state after ``event``, or ``IllegalDisputeTransition``.

    >>> next_state(DisputeState.OPENED, DisputeEvent.GATHER)
    <DisputeState.EVIDENCE_GATHERED: 'evidence-gathered'>
    >>> next_state(DisputeState.CLOSED, DisputeEvent.APPEAL)
    Traceback (most recent call last):
    ...
    trustcart.disputes.errors.IllegalDisputeTransition: a dispute in state closed cannot appeal
    """
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalDisputeTransition(str(current), str(event)) from None
