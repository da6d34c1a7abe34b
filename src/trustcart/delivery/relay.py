"""``OutboxRelay``: delivers outbox messages, at least once, with retries and backoff.

A pass (``run_once``) claims the due messages (``outbox.claim_due``), tries each with the
transport for its kind, outside any transaction, and saves what ``relay_step.settle`` makes of
the outcome. Everything it knows is in the outbox table, so a relay that stops, crashes or runs
in another process (``trustcart relay``) picks up exactly where the last one left off; two
relays at once deliver some message twice at worst, which every destination answers as it did
the first time (the log by record id, a merchant by trade number).

``deliver`` is the writer's own first try: the service that just committed a payment or an
order hands over the ids it staged, and they are tried at once, whatever their schedule. If
that fails, or the service dies first, the staged messages fall due to every relay after
``FIRST_TRY_GRACE`` and are retried from there.

Time comes from the clock and randomness (for jitter) from ``random_bytes``, both passed in.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes
from trustcart.delivery import outbox
from trustcart.delivery.backoff import Backoff, unit_from
from trustcart.delivery.messages import MessageKind, MessageState, OutboxMessage, Outcome
from trustcart.delivery.outbox import OutboxStatus
from trustcart.delivery.relay_step import settle
from trustcart.delivery.transports import Transport
from trustcart.store.db import Database

log = logging.getLogger(__name__)

# How long the writer has to deliver what it staged before every relay may take it.
FIRST_TRY_GRACE = timedelta(seconds=10)
# How long a claimed message is left to the relay that claimed it.
DEFAULT_LEASE = timedelta(seconds=60)


@dataclass
class RelayReport:
    """What one pass did: messages delivered, to be retried, refused for good."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def count(self, message: OutboxMessage) -> None:
        if message.state is MessageState.DELIVERED:
            self.delivered.append(message.message_id)
        elif message.state is MessageState.REFUSED:
            self.refused.append(message.message_id)
        else:
            self.retrying.append(message.message_id)

    def to_json(self) -> dict[str, int]:
        return {
            "delivered": len(self.delivered),
            "retrying": len(self.retrying),
            "refused": len(self.refused),
        }


class OutboxRelay:
    """Delivers the outbox of ``db`` through one transport per message kind."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        transports: Mapping[MessageKind, Transport],
        *,
        backoff: Backoff | None = None,
        lease: timedelta = DEFAULT_LEASE,
        random_bytes: RandomBytes = secrets.token_bytes,
        batch: int = 100,
    ) -> None:
        self._db = db
        self._clock = clock
        self._transports = dict(transports)
        self._backoff = backoff or Backoff()
        self._lease = lease
        self._random = random_bytes
        self._batch = batch

    @property
    def kinds(self) -> frozenset[MessageKind]:
        """The kinds of message this relay can carry (others it leaves alone)."""
        return frozenset(self._transports)

    def run_once(self, *, limit: int | None = None) -> RelayReport:
        """One pass over every due message (at most ``limit``); returns what happened."""
        report = RelayReport()
        remaining = limit
        while remaining is None or remaining > 0:
            size = self._batch if remaining is None else min(self._batch, remaining)
            claimed = outbox.claim_due(
                self._db, self._clock.now(), kinds=self.kinds, lease=self._lease, limit=size
            )
            self._deliver_all(claimed, report)
            if remaining is not None:
                remaining -= len(claimed)
            if len(claimed) < size:
                break
        return report

    def deliver(self, message_ids: Sequence[str]) -> RelayReport:
        """Try the named pending messages now, whatever their schedule (the writer's try)."""
        report = RelayReport()
        claimed = outbox.claim_ids(
            self._db, message_ids, self._clock.now(), kinds=self.kinds, lease=self._lease
        )
        self._deliver_all(claimed, report)
        return report

    def run_now(self, *, limit: int | None = None) -> RelayReport:
        """Try every pending message now, whatever its schedule (an operator after an outage)."""
        report = RelayReport()
        for kind in sorted(self.kinds):
            ids = outbox.pending_ids(self._db, kind=kind, limit=limit)
            claimed = outbox.claim_ids(
                self._db, ids, self._clock.now(), kinds=[kind], lease=self._lease
            )
            self._deliver_all(claimed, report)
        return report

    def deliver_subject(self, subject: str) -> RelayReport:
        """Try every pending message about ``subject`` now (e.g. one payment's)."""
        return self.deliver(outbox.pending_ids(self._db, subject=subject))

    def status(self) -> OutboxStatus:
        return outbox.outbox_status(self._db)

    def _deliver_all(self, claimed: Sequence[OutboxMessage], report: RelayReport) -> None:
        for message in claimed:
            outcome = self._attempt(message)
            unit = unit_from(self._random)
            now = self._clock.now()
            saved = outbox.save(
                self._db,
                message.message_id,
                partial(_settle, outcome=outcome, now=now, unit=unit, backoff=self._backoff),
            )
            if saved is None:  # pragma: no cover - outbox rows are never deleted
                continue
            report.count(saved)
            if saved.state is MessageState.REFUSED:
                log.error("%s %s refused for good: %s", saved.kind, saved.message_id, outcome)

    def _attempt(self, message: OutboxMessage) -> Outcome:
        try:
            return self._transports[message.kind].deliver(message)
        except Exception as e:  # a relay must not die of one message; it is tried again
            log.exception("delivering %s failed", message.message_id)
            return Outcome.retry(f"{type(e).__name__}: {e}")


def _settle(
    stored: OutboxMessage, *, outcome: Outcome, now: datetime, unit: float, backoff: Backoff
) -> OutboxMessage:
    return settle(stored, outcome, now, unit, backoff)
