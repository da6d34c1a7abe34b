"""Outbox messages and what one delivery attempt did. Pure.

A message is owed by a ``sender`` to a ``destination``: a signed attestation record to the log
(``MessageKind.RECORD``, destination ``LOG``), a payment notice to a merchant
(``MessageKind.NOTICE``, destination the merchant id) or an order event for an agent platform
(``MessageKind.WEBHOOK``, destination the platform; ``delivery.webhooks``). A transport
tries it once and answers an ``Outcome``; the message's state then moves by ``TRANSITIONS``::

    PENDING --delivered--> DELIVERED   final: the destination holds it
    PENDING --retry------> PENDING     attempts + 1; the next attempt after a backoff
    PENDING --refused----> REFUSED     final: the destination will never take it

A delivered or refused message never changes again, so a late answer from a second relay that
tried the same message cannot undo a delivery. Delivery is at least once: destinations answer
a repeated message as they did the first time (the log by record id, the merchant by trade).

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 11, 29, tzinfo=UTC)
>>> m = OutboxMessage("att_1", "psp:trustcart", MessageKind.RECORD, LOG, "a.b.c", at, at)
>>> m.state, m.attempts
(<MessageState.PENDING: 'pending'>, 0)
>>> TRANSITIONS[(MessageState.PENDING, Verdict.RETRY)]
<MessageState.PENDING: 'pending'>
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from trustcart.delivery.errors import InvalidMessage

LOG = "log"  # the destination of every record: the transparency log
ERROR_LENGTH = 500  # what is kept of a failure's detail


class MessageKind(StrEnum):
    """What a message is, which decides the transport that carries it."""

    RECORD = "record"
    NOTICE = "notice"
    WEBHOOK = "webhook"


class MessageState(StrEnum):
    """Where a message's delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    REFUSED = "refused"


class Verdict(StrEnum):
    """What one delivery attempt found."""

    DELIVERED = "delivered"
    RETRY = "retry"
    REFUSED = "refused"


TRANSITIONS = MappingProxyType(
    {
        (MessageState.PENDING, Verdict.DELIVERED): MessageState.DELIVERED,
        (MessageState.PENDING, Verdict.RETRY): MessageState.PENDING,
        (MessageState.PENDING, Verdict.REFUSED): MessageState.REFUSED,
    }
)
FINAL = frozenset({MessageState.DELIVERED, MessageState.REFUSED})


@dataclass(frozen=True)
class Outcome:
    """One attempt's verdict and what the destination said (kept as the message's last error).

    >>> Outcome.retry("log unreachable").verdict
    <Verdict.RETRY: 'retry'>
    """

    verdict: Verdict
    detail: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.verdict, Verdict) or not isinstance(self.detail, str):
            raise InvalidMessage("an outcome is a Verdict and a text")

    @classmethod
    def delivered(cls, detail: str = "") -> Outcome:
        return cls(Verdict.DELIVERED, detail)

    @classmethod
    def retry(cls, detail: str) -> Outcome:
        return cls(Verdict.RETRY, detail)

    @classmethod
    def refused(cls, detail: str) -> Outcome:
        return cls(Verdict.REFUSED, detail)


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise InvalidMessage(f"{name} must be an aware datetime")


@dataclass(frozen=True)
class OutboxMessage:
    """One owed message as the outbox holds it; it exists only if its fields agree."""

    message_id: str
    sender: str
    kind: MessageKind
    destination: str
    payload: str
    created_at: datetime
    next_attempt_at: datetime
    state: MessageState = MessageState.PENDING
    attempts: int = 0
    subject: str | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        for name in ("message_id", "sender", "destination", "payload"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidMessage(f"{name} must be a non-empty string")
        if not isinstance(self.kind, MessageKind) or not isinstance(self.state, MessageState):
            raise InvalidMessage("kind and state must be MessageKind and MessageState")
        if self.kind is MessageKind.RECORD and self.destination != LOG:
            raise InvalidMessage("a record is owed to the log")
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise InvalidMessage("attempts must be an int")
        if self.attempts < 0:
            raise InvalidMessage("attempts cannot be negative")
        for name in ("created_at", "next_attempt_at", "delivered_at"):
            _aware(getattr(self, name), name)
        if (self.delivered_at is not None) != (self.state is MessageState.DELIVERED):
            raise InvalidMessage("delivered_at is set exactly when the message is delivered")
        if self.last_error is not None and len(self.last_error) > ERROR_LENGTH:
            raise InvalidMessage(f"last_error is at most {ERROR_LENGTH} characters")

    @property
    def final(self) -> bool:
        """Delivered or refused: nothing will change it again."""
        return self.state in FINAL
