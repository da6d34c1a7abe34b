"""The payment provider's ACP delegated payment: vault tokens with an allowance, charged once.

Strategy: ``delegate`` (ACP ``POST /agentic_commerce/delegate_payment``) stores a card's
display data and an *allowance* (most it may charge, currency, one checkout session, one
merchant, expiry) and hands back a token ``vt_<43 base64url chars>``; only the token's SHA-256
hash is stored, never the card number or CVC. ``charge`` is the provider's side of a
completing checkout (``commerce.checkout_payment.PaymentGateway``), one transaction:

1. the token is known, and the charge is for its merchant and its checkout session;
2. the currency is the allowance's and the amount at most its ``max_amount``;
3. the allowance has not expired (``now < expires_at``);
4. the token has not been charged (``psp_vault_charges.token_id`` is unique, so two racing
   charges cannot both commit); the same order asking again gets the first answer.

Any failed check is a decline with a stable code (``VaultDecline``) and nothing is posted;
success posts one balanced ledger entry, card funding -> the merchant's receivable.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trustcart.commerce.checkout_payment import ChargeRequest, ChargeResult
from trustcart.core.clock import Clock, format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.crypto.jcs import b64url
from trustcart.payments.ledger import (
    EntryKind,
    JournalEntry,
    Posting,
    Side,
    funding_account,
    merchant_account,
)
from trustcart.payments.ledger_store import post_entry
from trustcart.store.db import Database
from trustcart.store.vault import AcpClientRow, VaultChargeRow, VaultTokenRow

TOKEN_PREFIX = "vt_"  # noqa: S105 - a prefix, not a secret
CARD_FUNDING = "card"
CLIENT_KEY_PREFIX = "psp_sk_"


class VaultDecline(StrEnum):
    TOKEN_UNKNOWN = "token-unknown"  # noqa: S105 - a code, not a secret
    MERCHANT_MISMATCH = "token-merchant-mismatch"
    SESSION_MISMATCH = "token-session-mismatch"
    CURRENCY_MISMATCH = "token-currency-mismatch"
    OVER_ALLOWANCE = "token-over-allowance"
    EXPIRED = "token-expired"
    ALREADY_USED = "token-already-used"


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token (what is stored instead of it).

    >>> len(hash_token("vt_x"))
    64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Allowance:
    """What a vault token may pay: at most ``max_amount``, once, before ``expires_at``."""

    max_amount: Money
    merchant_id: str
    checkout_session_id: str
    expires_at: datetime

    def __post_init__(self) -> None:
        if self.max_amount.is_negative() or self.max_amount.minor == 0:
            raise ValidationError("allowance.max_amount must be positive")
        if not self.merchant_id or not self.checkout_session_id:
            raise ValidationError("allowance needs a merchant and a checkout session")
        if self.expires_at.tzinfo is None:
            raise ValidationError("allowance.expires_at needs a time zone")


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    funding: str
    fingerprint: str  # SHA-256 of the number: the same card, without the number


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    created: datetime


def _decline(code: VaultDecline, message: str) -> ChargeResult:
    return ChargeResult(approved=False, decline_code=str(code), message=message)


class VaultService:
    """Vault tokens of one payment provider, on its database and ledger."""

    def __init__(self, db: Database, clock: Clock, random: RandomBytes = secrets.token_bytes):
        self._db = db
        self._clock = clock
        self._random = random

    def register_client(self, name: str) -> tuple[str, str]:
        """Register an agent platform: ``(client_id, api_key)``; only the key's hash is kept."""
        client_id = new_id("acpc", self._random)
        api_key = CLIENT_KEY_PREFIX + b64url(self._random(32))
        with self._db.transaction() as db:
            db.add(
                AcpClientRow(
                    client_id=client_id,
                    name=name,
                    api_key_hash=hash_token(api_key),
                    signing_jwk=None,
                    require_signature=False,
                    created_at=self._clock.now(),
                    revoked_at=None,
                )
            )
        return client_id, api_key

    def client_for_key(self, api_key_hash: str) -> str | None:
        with self._db.read() as db:
            row = db.scalars(
                select(AcpClientRow).where(AcpClientRow.api_key_hash == api_key_hash)
            ).one_or_none()
        return row.client_id if row is not None and row.revoked_at is None else None

    def delegate(
        self, client_id: str, card: Card, allowance: Allowance, metadata: dict[str, Any]
    ) -> IssuedToken:
        """Store an allowance for ``card`` and return its token (shown once)."""
        now = self._clock.now()
        if allowance.expires_at <= now:
            raise ValidationError("allowance.expires_at is in the past")
        token = TOKEN_PREFIX + b64url(self._random(32))
        token_id = new_id("vtk", self._random)
        with self._db.transaction() as db:
            db.add(
                VaultTokenRow(
                    token_id=token_id,
                    token_hash=hash_token(token),
                    client_id=client_id,
                    merchant_id=allowance.merchant_id,
                    checkout_session_id=allowance.checkout_session_id,
                    currency=allowance.max_amount.currency,
                    max_amount_minor=allowance.max_amount.minor,
                    expires_at=allowance.expires_at,
                    card_brand=card.brand,
                    card_last4=card.last4,
                    card_funding=card.funding,
                    card_fingerprint=card.fingerprint,
                    metadata_json=metadata,
                    created_at=now,
                )
            )
        return IssuedToken(token, token_id, now)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge ``request.token`` for ``request.amount`` if its allowance allows (module doc)."""
        now = self._clock.now()
        try:
            with self._db.transaction() as db:
                token = db.scalars(
                    select(VaultTokenRow).where(
                        VaultTokenRow.token_hash == hash_token(request.token)
                    )
                ).one_or_none()
                if token is None:
                    return _decline(VaultDecline.TOKEN_UNKNOWN, "unknown payment token")
                previous = db.scalars(
                    select(VaultChargeRow).where(VaultChargeRow.token_id == token.token_id)
                ).one_or_none()
                if previous is not None:
                    if previous.out_trade_no == request.out_trade_no:
                        return ChargeResult(True, previous.trade_no, previous.receipt)
                    return _decline(VaultDecline.ALREADY_USED, "the token was already charged")
                refusal = _check(token, request, now)
                if refusal is not None:
                    return refusal
                return self._post(db, token, request, now)
        except IntegrityError:  # a racing charge of the same token committed first
            return _decline(VaultDecline.ALREADY_USED, "the token was already charged")

    def _post(
        self, db: Any, token: VaultTokenRow, request: ChargeRequest, now: datetime
    ) -> ChargeResult:
        trade_no = new_id("vch", self._random)
        entry = JournalEntry(
            entry_id=new_id("ent", self._random),
            kind=EntryKind.PAYMENT,
            reference=trade_no,
            postings=(
                Posting(funding_account(CARD_FUNDING), Side.DEBIT, request.amount),
                Posting(merchant_account(request.merchant_id), Side.CREDIT, request.amount),
            ),
        )
        post_entry(db, entry, at=now)
        receipt = f"{trade_no}:{request.out_trade_no}:{request.amount.minor}:{format_instant(now)}"
        db.add(
            VaultChargeRow(
                trade_no=trade_no,
                token_id=token.token_id,
                merchant_id=request.merchant_id,
                checkout_session_id=request.checkout_session_id,
                out_trade_no=request.out_trade_no,
                amount_minor=request.amount.minor,
                currency=request.amount.currency,
                delegation_id=None,
                receipt=receipt,
                entry_id=entry.entry_id,
                paid_at=now,
            )
        )
        db.flush()
        return ChargeResult(True, trade_no, receipt)


def _check(token: VaultTokenRow, request: ChargeRequest, now: datetime) -> ChargeResult | None:
    if token.merchant_id != request.merchant_id:
        return _decline(VaultDecline.MERCHANT_MISMATCH, "the token is for another merchant")
    if token.checkout_session_id != request.checkout_session_id:
        return _decline(VaultDecline.SESSION_MISMATCH, "the token is for another checkout")
    if token.currency != request.amount.currency:
        return _decline(VaultDecline.CURRENCY_MISMATCH, "the token is for another currency")
    if request.amount.minor > token.max_amount_minor:
        return _decline(VaultDecline.OVER_ALLOWANCE, "the amount exceeds the token's allowance")
    if now >= token.expires_at:
        return _decline(VaultDecline.EXPIRED, "the token's allowance has expired")
    return None
