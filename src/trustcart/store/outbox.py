"""The outbox table: messages a party owes another, written in the transaction that owes them.

    outbox_messages   one row per message: a signed attestation record owed to the log, or a
                      payment notice owed to a merchant. Written in the same transaction as
                      the fact it reports (the payment, the order, the lifecycle change), so
                      the fact and the message commit together or not at all; delivered after
                      commit by ``trustcart.delivery.relay``, which keeps every attempt here
                      (state, attempts, next attempt, last error) and nowhere else, so a
                      restarted relay resumes where the last one stopped.

``message_id`` is the record id for a record (fixed before commit, so a retried delivery is the
same record) and the notice id for a notice. ``subject`` names what the message is about (a
trade number, an order number, a delegation id) so that the service that wrote it can deliver
that subject's messages right after its commit. Instants are aware UTC (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base
from trustcart.store.payments import UTCDateTime


class OutboxRow(Base):
    """One owed message and the state of its delivery."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_state_next", "state", "next_attempt_at"),)

    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    sender: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
