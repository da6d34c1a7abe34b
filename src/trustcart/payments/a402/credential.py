"""The PSP's payment credential: what ``payment_proof`` carries in trustcart's payment method.

A402 leaves the credential to the payment method. In trustcart's method (``TRUSTCART_METHOD``)
it is a JWS compact, ``typ`` ``act-a402-proof+jwt``, signed by the PSP over the JCS bytes of::

    {"trade_no", "out_trade_no", "resource_id", "amount", "currency", "seller_unique_id",
     "buyer_unique_id", "method_id", "request_fingerprint", "paid_at", "expires_at"}

(all strings; amounts and instants written as the A402 codec writes them). ``payment_proof`` is
the Base64URL of the JWS text, because the artifact allows only Base64URL characters there and a
JWS has dots. The PSP's signature makes every fact the seller relies on (who was paid, how much,
for which order, resource and request, until when) the PSP's statement, not the buyer's.

``CredentialVerifier`` is the seam for other methods (an x402 facilitator's answer, say):
``validation.validate_proof`` needs only ``verify``. Verification is opaque: every signature
failure is one ``InvalidSignature``; a well-signed credential with bad claims is a
``ValidationError`` (the PSP's bug, reported as such).

>>> from trustcart.crypto.keys import SigningKey
>>> psp = SigningKey.generate()
>>> proof = issue_credential(EXAMPLE_CREDENTIAL, psp)
>>> PspCredentials({psp.kid: psp.public}).verify(proof).credential == EXAMPLE_CREDENTIAL
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.typs import A402_PROOF_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url
from trustcart.crypto.jws import KeyResolver, sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.fields import parse_amount, parse_wire_instant, wire_instant
from trustcart.payments.a402.model import FINGERPRINT, METHOD_ID, PaymentMethodRef
from trustcart.payments.a402.wire import strict_b64url_decode

TRUSTCART_METHOD = PaymentMethodRef("trustcart:a402/psp-credential", "1.0.0")
_CLAIMS = {
    "trade_no", "out_trade_no", "resource_id", "amount", "currency", "seller_unique_id",
    "buyer_unique_id", "method_id", "request_fingerprint", "paid_at", "expires_at",
}  # fmt: skip


@dataclass(frozen=True)
class PaymentCredential:
    """The PSP's statement that ``buyer_id`` paid ``amount`` to ``seller_id`` for this order."""

    trade_no: str
    out_trade_no: str
    resource_id: str
    amount: Money
    seller_id: str
    buyer_id: str
    method_id: str
    request_fingerprint: str
    paid_at: datetime
    expires_at: datetime

    def __post_init__(self) -> None:
        for name in ("trade_no", "out_trade_no", "resource_id", "seller_id", "buyer_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not 1 <= len(value) <= 256:
                raise ValidationError(f"{name} must be a string of 1 to 256 characters")
        if not isinstance(self.amount, Money) or self.amount.is_negative():
            raise ValidationError("amount must be a non-negative Money")
        if not isinstance(self.method_id, str) or not METHOD_ID.fullmatch(self.method_id):
            raise ValidationError("method_id is malformed")
        if not isinstance(self.request_fingerprint, str) or not FINGERPRINT.fullmatch(
            self.request_fingerprint
        ):
            raise ValidationError("request_fingerprint is malformed")
        for name in ("paid_at", "expires_at"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise ValidationError(f"{name} must be an aware datetime")
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.expires_at <= self.paid_at:
            raise ValidationError("a credential expires after the payment")


@dataclass(frozen=True)
class VerifiedCredential:
    """A credential whose signature verified under the PSP key ``issuer`` (its kid)."""

    credential: PaymentCredential
    issuer: str

    @property
    def replay_key(self) -> str:
        """What the seller records once it delivers: one PSP transaction, one delivery."""
        return f"{self.issuer}:{self.credential.trade_no}"


class CredentialVerifier(Protocol):
    def verify(self, payment_proof: str) -> VerifiedCredential:
        """Raise ``InvalidSignature`` (bad or unknown signature) or ``ValidationError``."""
        ...


def credential_claims(credential: PaymentCredential) -> dict[str, str]:
    """The signed claims of a credential (the JWS payload)."""
    return {
        "trade_no": credential.trade_no,
        "out_trade_no": credential.out_trade_no,
        "resource_id": credential.resource_id,
        "amount": credential.amount.amount_str(),
        "currency": credential.amount.currency,
        "seller_unique_id": credential.seller_id,
        "buyer_unique_id": credential.buyer_id,
        "method_id": credential.method_id,
        "request_fingerprint": credential.request_fingerprint,
        "paid_at": wire_instant(credential.paid_at),
        "expires_at": wire_instant(credential.expires_at),
    }


def credential_from_claims(claims: Mapping[str, Any]) -> PaymentCredential:
    """Parse signed claims; raise ValidationError for missing, unknown or malformed ones."""
    if set(claims) != _CLAIMS:
        raise ValidationError("credential claims are not the documented set")
    return PaymentCredential(
        trade_no=claims["trade_no"],
        out_trade_no=claims["out_trade_no"],
        resource_id=claims["resource_id"],
        amount=parse_amount(claims["amount"], claims["currency"]),
        seller_id=claims["seller_unique_id"],
        buyer_id=claims["buyer_unique_id"],
        method_id=claims["method_id"],
        request_fingerprint=claims["request_fingerprint"],
        paid_at=parse_wire_instant(claims["paid_at"]),
        expires_at=parse_wire_instant(claims["expires_at"]),
    )


def issue_credential(credential: PaymentCredential, key: SigningKey) -> str:
    """The PSP signs a credential; the result is the ``payment_proof`` value."""
    token = sign_compact(credential_claims(credential), key, typ=A402_PROOF_TYP)
    return b64url(token.encode("ascii"))


class PspCredentials:
    """Verifies trustcart credentials against the PSP keys it is given (kid -> key)."""

    def __init__(self, keys: Mapping[str, PublicKey] | KeyResolver) -> None:
        self._keys = keys

    def verify(self, payment_proof: str) -> VerifiedCredential:
        try:
            token = strict_b64url_decode(payment_proof).decode("ascii")
        except (HeaderRefused, UnicodeDecodeError) as e:
            raise InvalidSignature from e
        verified = verify_compact(token, self._keys, typ=A402_PROOF_TYP)
        return VerifiedCredential(credential_from_claims(verified.payload), verified.header["kid"])


EXAMPLE_CREDENTIAL = PaymentCredential(
    trade_no="T-20260803-0001",
    out_trade_no="ORDER-20260803-001",
    resource_id="resource-weather-001",
    amount=Money(1, "CNY"),
    seller_id="seller-example-001",
    buyer_id="buyer-agent-001",
    method_id=TRUSTCART_METHOD.method_id,
    request_fingerprint="sha-256:" + "A" * 43,
    paid_at=datetime(2026, 8, 3, 12, 0, tzinfo=UTC),
    expires_at=datetime(2026, 8, 3, 13, 0, tzinfo=UTC),
)
