"""Tables of pay-per-call (A402 and x402 v2): one row per payment requirement a seller issued.

``paid_calls`` is the seller's side of the engine: the requirement it stands behind (so a
proof is checked against what was asked, never against what the buyer says was asked), the
transaction state (the six states of ``trustcart.payments.a402.states``), the PSP's
``trade_no`` and the replay key. ``replay_key`` and ``trade_no`` are unique: recording a
delivery is one insert-or-fail, so two concurrent retries with one proof deliver once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base
from trustcart.store.payments import UTCDateTime


class PaidCallRow(Base):
    __tablename__ = "paid_calls"

    out_trade_no: Mapped[str] = mapped_column(String(100), primary_key=True)
    protocol: Mapped[str] = mapped_column(String(8))
    seller_id: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[str] = mapped_column(String(256))
    requirement: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(32))
    trade_no: Mapped[str | None] = mapped_column(String(100), unique=True)
    replay_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class X402SettlementRow(Base):
    """The facilitator's record of a settled x402 ``exact`` authorization (its "chain").

    ``authorization_key`` (network, asset, payer, nonce) is the primary key: EIP-3009 lets a
    token contract use a nonce once, and so does this ledger-backed facilitator.
    """

    __tablename__ = "x402_settlements"

    authorization_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    trade_no: Mapped[str] = mapped_column(String(100), unique=True)
    payer: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(100))
    merchant_id: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    entry_id: Mapped[str] = mapped_column(String(100))
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime)
