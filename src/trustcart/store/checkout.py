"""Tables of checkout sessions (ACP, UCP), their idempotency keys, discount codes and the agent
platforms allowed to call a merchant's checkout. Order webhooks are outbox messages
(``store.outbox``, kind ``webhook``; migration 0009 dropped the unused table of 0007).

Instants are RFC 3339 UTC strings with second precision, as in ``store.commerce``; amounts are
BIGINT minor units. Session fields that differ by protocol (the capabilities an agent sent, an
affiliate attribution, order notes) sit in the ``extras`` JSON column; everything a rule reads
has a column of its own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base

_ID = 96
_INSTANT = 20


class CheckoutSessionRow(Base):
    __tablename__ = "commerce_checkout_sessions"

    session_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    protocol: Mapped[str] = mapped_column(String(16))
    merchant_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_merchants.merchant_id"), index=True
    )
    platform_id: Mapped[str] = mapped_column(String(_ID), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    selected_option_id: Mapped[str | None] = mapped_column(String(_ID), nullable=True)
    codes: Mapped[list[str]] = mapped_column(JSON)
    iac: Mapped[str | None] = mapped_column(Text, nullable=True)
    shown_total_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    out_trade_no: Mapped[str | None] = mapped_column(String(_ID), nullable=True)
    trade_no: Mapped[str | None] = mapped_column(String(_ID), nullable=True)
    notices: Mapped[list[str]] = mapped_column(JSON)
    extras: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(_INSTANT))
    updated_at: Mapped[str] = mapped_column(String(_INSTANT))
    expires_at: Mapped[str] = mapped_column(String(_INSTANT), index=True)


class CheckoutLineRow(Base):
    __tablename__ = "commerce_checkout_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_checkout_sessions.session_id"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(String(_ID))
    quantity: Mapped[int] = mapped_column(Integer)


class CheckoutIdempotencyRow(Base):
    """One row per (scope, key): the first final answer, replayed to a retry."""

    __tablename__ = "commerce_checkout_idempotency"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(_INSTANT), index=True)
    locked_until: Mapped[str] = mapped_column(String(_INSTANT))


class DiscountCodeRow(Base):
    """A code that unlocks a coupon; a coupon with a code is never applied without it."""

    __tablename__ = "commerce_discount_codes"

    merchant_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_merchants.merchant_id"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)  # upper case
    coupon_id: Mapped[str] = mapped_column(ForeignKey("commerce_coupons.coupon_id"), unique=True)


class AgentPlatformRow(Base):
    """An agent platform allowed to call one merchant's ACP checkout (a merchant setting)."""

    __tablename__ = "commerce_agent_platforms"

    platform_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_merchants.merchant_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # The ACT agent this platform speaks for: an IAC it presents must delegate to this agent.
    agent_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signing_jwk: Mapped[str | None] = mapped_column(Text, nullable=True)
    require_signature: Mapped[bool] = mapped_column(Boolean)
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[str] = mapped_column(String(_INSTANT))
    revoked_at: Mapped[str | None] = mapped_column(String(_INSTANT), nullable=True)
