"""Table of the dispute service (TSD-ATT-DSP): one row per dispute, its state and decision.

One dispute per order (a unique ``out_trade_no``): a second claim on the same order is an
appeal of the first. ``decision_id`` is unique, and a refund it causes carries it as its
reason, so a decision refunds at most once. ``decision`` is the disposition as JSON
(outcome, reason code, refund, evidence items); the free-text ``reason`` of the claim never
reaches the log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base
from trustcart.store.payments import UTCDateTime


class DisputeRow(Base):
    __tablename__ = "trust_disputes"

    dispute_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(100), unique=True)
    trade_no: Mapped[str] = mapped_column(String(64), index=True)
    merchant_id: Mapped[str] = mapped_column(String(200), index=True)
    opened_by: Mapped[str] = mapped_column(String(200))
    opener_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(24), index=True)
    decision_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    refund_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    appeal_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
