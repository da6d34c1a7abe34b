"""AP2 v0.2 checkout and payment mandates, closed and open, as frozen values.

Strategy: a mandate is read in three steps, each of which can only refuse: the SD-JWT+KB is
verified (``sdjwt``), the disclosed claims are validated against the pinned v0.2.0 schema for
their ``vct`` (``schemas``), then the claims are built into a value here, with the rules the
schemas cannot say:

* ``vct`` must be the exact type expected here (AP2 "Mandate Versioning": suffix included);
* ``exp`` is required and must be in the future, ``iat`` (when present) not in the future:
  a mandate without an expiry would outlive whatever it was made for (fail closed);
* a closed checkout mandate's ``checkout_hash`` is recomputed from its ``checkout_jwt``
  (SHA-256, base64url: the SD-JWT's ``_sd_alg``), and a payment mandate is bound to exactly
  that checkout by its ``transaction_id`` (``bind_payment_to_checkout``).

Building mandates (the wallet's side) goes through ``checkout_mandate_claims`` and
``payment_mandate_claims``, which validate against the same schemas before anything is signed.

>>> checkout_hash("header.payload.signature")
'JW0E205eSsMIdR7QiFtyK3WGMFZ8U6cSXtn70Gjlw_Y'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from trustcart.core.money import Money
from trustcart.delegation.ap2 import schemas
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.schemas import AP2Schema
from trustcart.delegation.ap2.sdjwt import CLOCK_SKEW, VerifiedPresentation, sha256_b64url


class MandateType(StrEnum):
    """The four ``vct`` values of AP2 v0.2.0."""

    CHECKOUT = "mandate.checkout.1"
    OPEN_CHECKOUT = "mandate.checkout.open.1"
    PAYMENT = "mandate.payment.1"
    OPEN_PAYMENT = "mandate.payment.open.1"


SCHEMA_OF: dict[MandateType, AP2Schema] = {
    MandateType.CHECKOUT: AP2Schema.CHECKOUT_MANDATE,
    MandateType.OPEN_CHECKOUT: AP2Schema.OPEN_CHECKOUT_MANDATE,
    MandateType.PAYMENT: AP2Schema.PAYMENT_MANDATE,
    MandateType.OPEN_PAYMENT: AP2Schema.OPEN_PAYMENT_MANDATE,
}

# Top-level claims issued as selectively disclosable (the schemas' x-selectively-disclosable).
DISCLOSABLE: dict[MandateType, tuple[str, ...]] = {
    MandateType.CHECKOUT: ("checkout_jwt",),
    MandateType.PAYMENT: ("payment_instrument", "risk_data"),
}


def checkout_hash(checkout_jwt: str) -> str:
    """AP2's ``checkout_hash`` / ``transaction_id``: base64url SHA-256 of the checkout JWT."""
    return sha256_b64url(checkout_jwt)


def _instant(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MandateRefused(AP2Refusal.EXPIRED, f"the mandate has no integer {name}")
    return datetime.fromtimestamp(value, UTC)


def _window(claims: Mapping[str, Any], now: datetime) -> tuple[datetime | None, datetime]:
    expires_at = _instant(claims.get("exp"), "exp")
    issued_at = _instant(claims["iat"], "iat") if "iat" in claims else None
    if expires_at <= now:
        raise MandateRefused(AP2Refusal.EXPIRED, "the mandate has expired")
    if issued_at is not None and (issued_at > now + CLOCK_SKEW or issued_at >= expires_at):
        raise MandateRefused(AP2Refusal.EXPIRED, "the mandate's iat is implausible")
    return issued_at, expires_at


def mandate_window(claims: Mapping[str, Any], now: datetime) -> tuple[datetime | None, datetime]:
    """``iat`` and ``exp`` of any mandate, open or closed: ``exp`` required and in the future,
    ``iat`` (when present) not in the future and before ``exp``."""
    return _window(claims, now)


def _typed(claims: Mapping[str, Any], expected: MandateType) -> None:
    if claims.get("vct") != expected.value:
        raise MandateRefused(AP2Refusal.WRONG_TYPE, f"expected a {expected.value} mandate")
    schemas.validate(SCHEMA_OF[expected], dict(claims))


@dataclass(frozen=True)
class CheckoutMandate:
    """A closed checkout mandate: the user (or agent) authorizes this one signed checkout."""

    checkout_jwt: str
    checkout_hash: str
    issued_at: datetime | None
    expires_at: datetime
    digest: str  # of the presentation (receipts' ``reference``)

    def __post_init__(self) -> None:
        if checkout_hash(self.checkout_jwt) != self.checkout_hash:
            raise MandateRefused(
                AP2Refusal.CHECKOUT_HASH_MISMATCH, "checkout_hash is not the checkout's hash"
            )

    @classmethod
    def from_presentation(cls, verified: VerifiedPresentation, now: datetime) -> CheckoutMandate:
        """Build from verified claims; refuse a wrong type, schema, window or hash."""
        claims = verified.claims
        _typed(claims, MandateType.CHECKOUT)
        issued_at, expires_at = _window(claims, now)
        return cls(
            claims["checkout_jwt"], claims["checkout_hash"], issued_at, expires_at, verified.digest
        )


@dataclass(frozen=True)
class PaymentMandate:
    """A closed payment mandate: pay ``amount`` to ``payee_id`` for the checkout it names."""

    transaction_id: str
    payee_id: str
    payee_name: str
    amount: Money
    instrument_id: str
    instrument_type: str
    issued_at: datetime | None
    expires_at: datetime
    deferred: bool  # an ``execution_date`` was given (ACT pays at once: refused by iac_fit)
    digest: str

    @classmethod
    def from_presentation(cls, verified: VerifiedPresentation, now: datetime) -> PaymentMandate:
        """Build from verified claims; refuse a wrong type, schema or window."""
        claims = verified.claims
        _typed(claims, MandateType.PAYMENT)
        issued_at, expires_at = _window(claims, now)
        amount = claims["payment_amount"]
        try:
            money = Money(amount["amount"], amount["currency"])
        except ValueError as e:
            raise MandateRefused(AP2Refusal.SCHEMA_INVALID, f"payment_amount: {e}") from e
        if money.minor <= 0:
            raise MandateRefused(AP2Refusal.SCHEMA_INVALID, "payment_amount must be positive")
        instrument = claims["payment_instrument"]
        return cls(
            transaction_id=claims["transaction_id"],
            payee_id=claims["payee"]["id"],
            payee_name=claims["payee"]["name"],
            amount=money,
            instrument_id=instrument["id"],
            instrument_type=instrument["type"],
            issued_at=issued_at,
            expires_at=expires_at,
            deferred="execution_date" in claims,
            digest=verified.digest,
        )


def bind_payment_to_checkout(payment: PaymentMandate, checkout: CheckoutMandate) -> None:
    """Refuse unless the payment mandate's ``transaction_id`` names exactly this checkout."""
    if payment.transaction_id != checkout.checkout_hash:
        raise MandateRefused(
            AP2Refusal.CHECKOUT_HASH_MISMATCH, "the payment mandate names another checkout"
        )


def checkout_mandate_claims(
    checkout_jwt: str, *, issued_at: datetime, expires_at: datetime
) -> dict[str, Any]:
    """The claims of a closed checkout mandate for ``checkout_jwt``, schema-checked."""
    claims = {
        "vct": MandateType.CHECKOUT.value,
        "checkout_jwt": checkout_jwt,
        "checkout_hash": checkout_hash(checkout_jwt),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    schemas.validate(AP2Schema.CHECKOUT_MANDATE, claims)
    return claims


def payment_mandate_claims(
    *,
    checkout_jwt: str,
    payee: Mapping[str, str],
    amount: Money,
    instrument: Mapping[str, str],
    issued_at: datetime,
    expires_at: datetime,
) -> dict[str, Any]:
    """The claims of a closed payment mandate for the checkout ``checkout_jwt``, schema-checked.

    ``payment_amount`` is integer minor units (AP2 ``types/amount.json``), as ``Money`` holds.
    """
    claims = {
        "vct": MandateType.PAYMENT.value,
        "transaction_id": checkout_hash(checkout_jwt),
        "payee": dict(payee),
        "payment_amount": {"amount": amount.minor, "currency": amount.currency},
        "payment_instrument": dict(instrument),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    schemas.validate(AP2Schema.PAYMENT_MANDATE, claims)
    return claims
