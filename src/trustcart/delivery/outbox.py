"""The outbox on the database: stage a message in the caller's transaction; claim, save, count.

``stage`` runs inside the transaction that owes the message (the payment, the order, the
lifecycle change) and never commits: the message exists exactly when that fact does. The
relay's reads and writes each run in their own short transaction, and never while a message is
being delivered, so a slow destination holds no lock:

* ``claim_due`` picks the due messages (oldest first), claims them (``relay_step.claim``) and
  commits the claim; on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so two relays never wait
  for each other, on SQLite under its one write lock;
* ``claim_ids`` claims named messages whatever their schedule (the writer's own first try);
* ``save`` re-reads the message under lock, applies a pure change and writes the result, so a
  final state written meanwhile by another relay is what the change sees.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from trustcart.delivery.messages import MessageKind, MessageState, OutboxMessage
from trustcart.delivery.relay_step import claim
from trustcart.store.db import Database
from trustcart.store.outbox import OutboxRow


def to_message(row: OutboxRow) -> OutboxMessage:
    """The stored row as a validated message."""
    return OutboxMessage(
        message_id=row.message_id,
        sender=row.sender,
        kind=MessageKind(row.kind),
        destination=row.destination,
        payload=row.payload,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        state=MessageState(row.state),
        attempts=row.attempts,
        subject=row.subject,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


def _write(row: OutboxRow, message: OutboxMessage) -> None:
    row.state = message.state.value
    row.attempts = message.attempts
    row.next_attempt_at = message.next_attempt_at
    row.delivered_at = message.delivered_at
    row.last_error = message.last_error


def stage(session: Session, message: OutboxMessage) -> None:
    """Add ``message`` to the outbox in the caller's transaction (committed with it)."""
    row = OutboxRow(
        message_id=message.message_id,
        sender=message.sender,
        kind=message.kind.value,
        destination=message.destination,
        subject=message.subject,
        payload=message.payload,
        created_at=message.created_at,
    )
    _write(row, message)
    session.add(row)


def claim_due(
    db: Database,
    now: datetime,
    *,
    kinds: Collection[MessageKind],
    lease: timedelta,
    limit: int,
) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages of ``kinds``, oldest first, and commit the claims."""
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.state == MessageState.PENDING.value,
            OutboxRow.next_attempt_at <= now,
            OutboxRow.kind.in_([kind.value for kind in kinds]),
        )
        .order_by(OutboxRow.created_at, OutboxRow.message_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return _claim(db, query, now, lease)


def claim_ids(
    db: Database,
    message_ids: Sequence[str],
    now: datetime,
    *,
    kinds: Collection[MessageKind],
    lease: timedelta,
) -> list[OutboxMessage]:
    """Claim the named pending messages whatever their schedule, in the order they were owed."""
    if not message_ids:
        return []
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.message_id.in_(list(message_ids)),
            OutboxRow.state == MessageState.PENDING.value,
            OutboxRow.kind.in_([kind.value for kind in kinds]),
        )
        .order_by(OutboxRow.created_at, OutboxRow.message_id)
        .with_for_update(skip_locked=True)
    )
    return _claim(db, query, now, lease)


def _claim(
    db: Database, query: Select[Any], now: datetime, lease: timedelta
) -> list[OutboxMessage]:
    claimed = []
    with db.transaction() as session:
        for row in session.execute(query).scalars():
            message = claim(to_message(row), now, lease)
            _write(row, message)
            claimed.append(message)
    return claimed


def save(
    db: Database, message_id: str, change: Callable[[OutboxMessage], OutboxMessage]
) -> OutboxMessage | None:
    """Apply ``change`` to the message as stored now, under lock; None if there is none."""
    with db.transaction() as session:
        row = session.execute(
            select(OutboxRow).where(OutboxRow.message_id == message_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            return None
        changed = change(to_message(row))
        _write(row, changed)
        return changed


def pending_ids(
    db: Database,
    *,
    subject: str | None = None,
    kind: MessageKind | None = None,
    limit: int | None = None,
) -> list[str]:
    """Ids of the pending messages (about ``subject``, of ``kind``, when given), oldest first."""
    query = select(OutboxRow.message_id).where(OutboxRow.state == MessageState.PENDING.value)
    if subject is not None:
        query = query.where(OutboxRow.subject == subject)
    if kind is not None:
        query = query.where(OutboxRow.kind == kind.value)
    query = query.order_by(OutboxRow.created_at, OutboxRow.message_id)
    if limit is not None:
        query = query.limit(limit)
    with db.read() as session:
        return list(session.execute(query).scalars())


@dataclass(frozen=True)
class OutboxStatus:
    """How many messages are in each state and kind, and the oldest still pending."""

    counts: dict[str, dict[str, int]]
    oldest_pending: datetime | None

    def to_json(self) -> dict[str, object]:
        oldest = self.oldest_pending
        return {
            "counts": self.counts,
            "oldest_pending": oldest.isoformat().replace("+00:00", "Z") if oldest else None,
        }


def outbox_status(db: Database) -> OutboxStatus:
    """Counts per kind and state; the creation time of the oldest pending message."""
    with db.read() as session:
        rows = session.execute(
            select(OutboxRow.kind, OutboxRow.state, func.count()).group_by(
                OutboxRow.kind, OutboxRow.state
            )
        ).all()
        oldest = session.execute(
            select(func.min(OutboxRow.created_at)).where(
                OutboxRow.state == MessageState.PENDING.value
            )
        ).scalar_one_or_none()
    counts: dict[str, dict[str, int]] = {
        kind.value: {state.value: 0 for state in MessageState} for kind in MessageKind
    }
    for kind, state, count in rows:
        counts.setdefault(kind, {})[state] = int(count)
    if isinstance(oldest, datetime) and oldest.tzinfo is None:  # an aggregate, untyped
        oldest = oldest.replace(tzinfo=UTC)
    return OutboxStatus(counts, oldest if isinstance(oldest, datetime) else None)
