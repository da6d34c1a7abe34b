"""The relay's step over outbox messages: which are due, claiming one, settling an attempt. Pure.

These functions take messages and return messages; the relay (``relay``) only loads them,
calls a transport and stores what these return, so every rule about retries lives here:

* **due**: pending, and its next attempt is not in the future;
* **claim**: a relay that takes a message pushes its next attempt ``lease`` ahead before it
  tries it, so another relay does not take it meanwhile; a relay that dies mid-attempt leaves
  the message due again when the lease runs out (the restart resumes it);
* **settle**: one attempt's ``Outcome`` moves the message by ``messages.TRANSITIONS``; a retry
  waits ``Backoff.delay(attempts, unit)``; a final message is returned unchanged.

>>> from datetime import UTC, datetime, timedelta
>>> from trustcart.delivery.messages import LOG, MessageKind, Outcome
>>> at = datetime(2026, 11, 29, tzinfo=UTC)
>>> m = OutboxMessage("att_1", "psp", MessageKind.RECORD, LOG, "a.b.c", at, at)
>>> failed = settle(m, Outcome.retry("log down"), at, 0.0, Backoff())
>>> failed.attempts, failed.next_attempt_at - at, failed.last_error
(1, datetime.timedelta(microseconds=500000), 'log down')
>>> settle(failed, Outcome.delivered(), at, 0.0, Backoff()).state
<MessageState.DELIVERED: 'delivered'>
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from trustcart.delivery.backoff import Backoff
from trustcart.delivery.errors import InvalidMessage
from trustcart.delivery.messages import (
    ERROR_LENGTH,
    TRANSITIONS,
    MessageState,
    OutboxMessage,
    Outcome,
    Verdict,
)


def is_due(message: OutboxMessage, now: datetime) -> bool:
    """Pending, and its next attempt has come."""
    return message.state is MessageState.PENDING and message.next_attempt_at <= now


def claim(message: OutboxMessage, now: datetime, lease: timedelta) -> OutboxMessage:
    """The message as taken by a relay: not due to anyone else until ``now + lease``."""
    if message.final:
        raise InvalidMessage(f"{message.message_id} is {message.state}: nothing to deliver")
    if lease <= timedelta(0):
        raise InvalidMessage("a lease must be positive")
    return replace(message, next_attempt_at=now + lease)


def settle(
    message: OutboxMessage, outcome: Outcome, now: datetime, unit: float, backoff: Backoff
) -> OutboxMessage:
    """The message after one attempt that ended in ``outcome`` at ``now``."""
    if message.final:
        return message  # delivered or refused stays so, whatever a slower relay found
    state = TRANSITIONS[(message.state, outcome.verdict)]
    attempts = message.attempts + 1
    if outcome.verdict is Verdict.DELIVERED:
        return replace(
            message, state=state, attempts=attempts, delivered_at=now, next_attempt_at=now
        )
    detail = outcome.detail[:ERROR_LENGTH] or outcome.verdict.value
    if outcome.verdict is Verdict.REFUSED:
        return replace(message, state=state, attempts=attempts, last_error=detail)
    return replace(
        message,
        attempts=attempts,
        last_error=detail,
        next_attempt_at=now + backoff.delay(attempts, unit),
    )
