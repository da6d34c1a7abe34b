"""Tables of the payment service provider (PSD): accounts, ledger, tokens, budgets, payments.

Amounts are BIGINT minor units plus a currency column. Ledger postings store *signed* minor
units (debit positive, credit negative) so that "the ledger balances" is one SUM per currency.
Times are timezone-aware UTC on both dialects (``UTCDateTime``: SQLite keeps no offset, so
values are normalized to UTC on the way in and marked UTC on the way out).
Payment tokens are stored only as their SHA-256 hash; the token value never reaches the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from trustcart.store.base import Base


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PspAccount(Base):
    """A user's account at the PSP and the delegator key that may bind tokens to it."""

    __tablename__ = "psp_accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    delegator_identity: Mapped[str] = mapped_column(String(200), index=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entries"

    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerPostingRow(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (Index("ix_ledger_postings_account_currency", "account", "currency"),)

    posting_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.entry_id"), index=True)
    account: Mapped[str] = mapped_column(String(200))
    signed_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class PaymentTokenRow(Base):
    """A restricted payment token (PSD-PMT-BND), bound to account, agent and delegation."""

    __tablename__ = "psp_payment_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("psp_accounts.account_id"), index=True)
    agent_id: Mapped[str] = mapped_column(String(200))
    delegation_id: Mapped[str] = mapped_column(String(64), index=True)
    iac_digest: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    max_total_minor: Mapped[int] = mapped_column(BigInteger)
    max_single_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    binding_digest: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DelegationBudgetRow(Base):
    """Cumulative spend per delegation, counted only from PSP successes (ACT §4)."""

    __tablename__ = "psp_budgets"

    delegation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_count: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentRow(Base):
    __tablename__ = "psp_payments"
    __table_args__ = (UniqueConstraint("merchant_id", "out_trade_no"),)

    trade_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(200))
    out_trade_no: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[str] = mapped_column(ForeignKey("psp_accounts.account_id"), index=True)
    agent_id: Mapped[str] = mapped_column(String(200))
    delegation_id: Mapped[str] = mapped_column(String(64), index=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("psp_payment_tokens.token_id"))
    mode: Mapped[str] = mapped_column(String(4))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)
    cart_digest: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    receipt: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.entry_id"))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RefundRow(Base):
    __tablename__ = "psp_refunds"

    refund_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    trade_no: Mapped[str] = mapped_column(ForeignKey("psp_payments.trade_no"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.entry_id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKeyRow(Base):
    """Stripe-style idempotency: one row per (caller, key), holding the first final response."""

    __tablename__ = "psp_idempotency_keys"

    caller_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
