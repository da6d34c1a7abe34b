"""Tables of standing orders: the PSP's spend per period, the agent's orders and their runs.

psp_period_spend      the payment provider's spend per (delegation, period index) of a
                      recurring IAC; written only in the payment's own transaction, under
                      the delegation's budget row lock (``payments.period_budget``)
standing_orders       what the person's agent buys each period under which delegation
standing_order_runs   one row per (order, period): the unique key that makes a due
                      purchase run at most once per period, whoever runs the scheduler,
                      and the person's notification of what happened (paid or skipped, why)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base
from trustcart.store.payments import UTCDateTime


class PeriodSpendRow(Base):
    __tablename__ = "psp_period_spend"

    delegation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StandingOrderRow(Base):
    __tablename__ = "standing_orders"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    delegation_id: Mapped[str] = mapped_column(String(64), unique=True)
    item: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StandingRunRow(Base):
    __tablename__ = "standing_order_runs"
    __table_args__ = (UniqueConstraint("order_id", "period_index"),)

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    out_trade_no: Mapped[str | None] = mapped_column(String(96), nullable=True)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
