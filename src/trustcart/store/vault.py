"""Tables of the payment provider's ACP delegate payment: vault tokens, their charges, and the
agent platforms allowed to ask for tokens.

A vault token is stored only as the SHA-256 hash of its value, with its allowance (most it may
charge, currency, one checkout session, one merchant, expiry) and the card's display data; the
card number and CVC are never stored. A charge row exists only for a successful charge and
references the ledger entry that moved the money; ``token_id`` is unique there, so a one-time
token can be charged once whatever the races.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base
from trustcart.store.payments import UTCDateTime


class AcpClientRow(Base):
    """An agent platform allowed to call ``/agentic_commerce/delegate_payment``."""

    __tablename__ = "psp_acp_clients"

    client_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signing_jwk: Mapped[str | None] = mapped_column(Text, nullable=True)
    require_signature: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class VaultTokenRow(Base):
    __tablename__ = "psp_vault_tokens"

    token_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("psp_acp_clients.client_id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(256))
    checkout_session_id: Mapped[str] = mapped_column(String(256))
    currency: Mapped[str] = mapped_column(String(3))
    max_amount_minor: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    card_brand: Mapped[str] = mapped_column(String(32))
    card_last4: Mapped[str] = mapped_column(String(4))
    card_funding: Mapped[str] = mapped_column(String(16))
    card_fingerprint: Mapped[str] = mapped_column(String(64))
    metadata_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VaultChargeRow(Base):
    __tablename__ = "psp_vault_charges"

    trade_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("psp_vault_tokens.token_id"), unique=True)
    merchant_id: Mapped[str] = mapped_column(String(256), index=True)
    checkout_session_id: Mapped[str] = mapped_column(String(256))
    out_trade_no: Mapped[str] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    delegation_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    receipt: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.entry_id"))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
