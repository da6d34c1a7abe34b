"""The value model of pay-per-call, shared by every header codec (A402 now, x402 v2 later).

Three messages, each a frozen dataclass that validates when built, so one that exists is valid:

    PaymentRequirement   what the seller asks for (A402 Payment-Needed)
    PaymentProof         what the buyer presents on retry (A402 Payment-Proof)
    PaymentValidation    what the seller answers after checking it (A402 Payment-Validation)

Amounts are ``Money`` (integer minor units), instants are aware UTC datetimes, and the method's
own fields (A402's ``method`` object) are ``extensions``: a read-only JSON object whose keys may
not redefine a baseline field (``redefines_baseline``; ACT 2.1 A402 section 5), not even by
changing case or punctuation (``Trade-No`` is ``trade_no``). Field limits are those of the ACT
implementation artifact's ``common.schema.json``; a codec maps wire names onto these fields and
adds nothing to the rules.

``PaymentValidation`` refuses to claim a later phase than the facts allow (A402-TEST-005/008):
an answer that is not ``VALID`` says nothing was delivered or confirmed, ``DELIVERED`` needs a
state after delivery, and a finished trade has confirmed fulfillment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.jcs import b64url, jcs_digest
from trustcart.payments.a402.body import ErrorBody
from trustcart.payments.a402.json_values import freeze_json
from trustcart.payments.a402.states import TransactionState

METHOD_ID = re.compile(r"[a-z][a-z0-9+.-]*:[a-z0-9][a-z0-9._/-]*")
METHOD_VERSION = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?"
)
FINGERPRINT = re.compile(r"sha-256:[A-Za-z0-9_-]{43}")
HTTP_METHOD = re.compile(r"[A-Z]{1,32}")
SIGNATURE_TYPE = re.compile(r"[A-Z0-9_-]{2,32}")
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!-~]+")  # absolute, printable ASCII, no spaces
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_IDENTIFIER = 256
MAX_URI = 2048
MAX_REPLAY_WINDOW_SECONDS = 2_592_000  # 30 days
MAX_EVIDENCE_REFS = 20

# The baseline field names of ACT 2.1 A402 section 5.1 and the other protocol-layer names of
# the implementation artifact: the ``method`` layer may not redefine any of them.
BASELINE_FIELDS = frozenset(
    {
        "method_id", "out_trade_no", "amount", "currency", "resource_id", "pay_before",
        "seller_unique_id", "buyer_unique_id", "payment_proof", "trade_no", "expires_at",
        "signer_id", "signature_content", "signature_type",
        "method_version", "request_method", "request_fingerprint", "idempotency_key",
        "replay_window_seconds", "commerce_confirmation", "validation_status",
        "delivery_status", "fulfillment_status", "transaction_state", "validated_at", "error",
        "evidence_refs",
    }
)  # fmt: skip
_FOLD = re.compile(r"[\s_\-.]+")
_FOLDED_BASELINE = frozenset(_FOLD.sub("", name) for name in BASELINE_FIELDS)


def redefines_baseline(key: str) -> bool:
    """True if a method field name is a baseline field in another spelling.

    >>> redefines_baseline("Trade-No"), redefines_baseline("seller_unique_id_key")
    (True, False)
    """
    return _FOLD.sub("", key).casefold() in _FOLDED_BASELINE


def _text(value: Any, name: str, pattern: re.Pattern[str] | None = None, limit: int = 0) -> str:
    limit = limit or MAX_IDENTIFIER
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise ValidationError(f"{name} must be a string of 1 to {limit} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise ValidationError(f"{name} is malformed")
    return value


def _optional_text(value: Any, name: str, pattern: re.Pattern[str] | None = None) -> None:
    if value is not None:
        _text(value, name, pattern, MAX_URI if pattern is URI else 0)


def _instant(owner: object, name: str) -> None:
    value = getattr(owner, name)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(f"{name} must be an aware datetime")
    object.__setattr__(owner, name, value.astimezone(UTC))


def _member(owner: object, name: str, kind: type[StrEnum]) -> None:
    try:
        object.__setattr__(owner, name, kind(getattr(owner, name)))
    except ValueError:
        raise ValidationError(f"{name} must be one of {', '.join(kind)}") from None


def _extensions(owner: object, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise ValidationError("extensions must be a JSON object")
    clashes = sorted(key for key in value if isinstance(key, str) and redefines_baseline(key))
    if clashes:
        raise ValidationError(f"method fields may not redefine baseline fields: {clashes}")
    object.__setattr__(owner, "extensions", freeze_json(value))


def _no_extensions() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class PaymentMethodRef:
    """The payment method (``method_id``) and the version of its specification."""

    method_id: str
    version: str

    def __post_init__(self) -> None:
        _text(self.method_id, "method_id", METHOD_ID, 160)
        _text(self.version, "method_version", METHOD_VERSION, 64)


@dataclass(frozen=True)
class RequestBinding:
    """The original request a payment is for; a non-safe method needs an idempotency key."""

    http_method: str
    fingerprint: str
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        _text(self.http_method, "request_method", HTTP_METHOD, 32)
        _text(self.fingerprint, "request_fingerprint", FINGERPRINT)
        _optional_text(self.idempotency_key, "idempotency_key")
        if self.http_method not in SAFE_METHODS and self.idempotency_key is None:
            raise ValidationError(f"a {self.http_method} request needs an idempotency_key")


def request_fingerprint(http_method: str, target: str, body: bytes = b"") -> str:
    """trustcart's fingerprint of a request: SHA-256 over JCS of method, target and body digest.

    A402 leaves the algorithm open; this one binds the method, the request target (path and
    query as sent) and the exact body bytes.

    >>> request_fingerprint("GET", "/market/trend").startswith("sha-256:")
    True
    """
    body_digest = b64url(hashlib.sha256(body).digest())
    return jcs_digest({"body": body_digest, "method": http_method, "target": target})


@dataclass(frozen=True)
class CommerceConfirmation:
    """The CID-CART-CFM confirmation a requirement refers to (never the full cart)."""

    confirmation_id: str
    confirmation_digest: str
    confirmation_uri: str | None = None

    def __post_init__(self) -> None:
        _text(self.confirmation_id, "confirmation_id")
        _text(self.confirmation_digest, "confirmation_digest", FINGERPRINT)
        _optional_text(self.confirmation_uri, "confirmation_uri", URI)


@dataclass(frozen=True)
class MessageSignature:
    """The signer's signature over a message (A402 ``signer_id``/``signature_*`` fields)."""

    signer_id: str
    signature_type: str
    value: str  # base64url, no padding

    def __post_init__(self) -> None:
        _text(self.signer_id, "signer_id")
        _text(self.signature_type, "signature_type", SIGNATURE_TYPE, 32)
        _text(self.value, "signature_content", BASE64URL, 8192)


class EvidenceType(StrEnum):
    PAYMENT = "PAYMENT"
    VALIDATION = "VALIDATION"
    DELIVERY = "DELIVERY"
    FULFILLMENT = "FULFILLMENT"
    RECEIPT = "RECEIPT"


@dataclass(frozen=True)
class EvidenceRef:
    type: EvidenceType
    digest: str
    uri: str | None = None

    def __post_init__(self) -> None:
        _member(self, "type", EvidenceType)
        _text(self.digest, "digest", FINGERPRINT)
        _optional_text(self.uri, "uri", URI)


@dataclass(frozen=True)
class PaymentRequirement:
    """What the seller asks before it serves ``resource_id`` (A402 Payment-Needed)."""

    payment_method: PaymentMethodRef
    out_trade_no: str
    amount: Money
    resource_id: str
    pay_before: datetime
    seller_id: str
    request: RequestBinding
    replay_window_seconds: int
    buyer_id: str | None = None
    commerce_confirmation: CommerceConfirmation | None = None
    signature: MessageSignature | None = None
    extensions: Mapping[str, Any] = field(default_factory=_no_extensions, hash=False)

    def __post_init__(self) -> None:
        _typed(self, "payment_method", PaymentMethodRef)
        _text(self.out_trade_no, "out_trade_no")
        if not isinstance(self.amount, Money) or self.amount.is_negative():
            raise ValidationError("amount must be a non-negative Money")
        _text(self.resource_id, "resource_id")
        _instant(self, "pay_before")
        _text(self.seller_id, "seller_unique_id")
        _typed(self, "request", RequestBinding)
        window = self.replay_window_seconds
        if (
            isinstance(window, bool)
            or not isinstance(window, int)
            or not 1 <= window <= MAX_REPLAY_WINDOW_SECONDS
        ):
            raise ValidationError("replay_window_seconds must be an integer from 1 to 2592000")
        _optional_text(self.buyer_id, "buyer_unique_id")
        _typed(self, "commerce_confirmation", CommerceConfirmation, optional=True)
        _typed(self, "signature", MessageSignature, optional=True)
        _extensions(self, self.extensions)

    def terms(self) -> tuple[Any, ...]:
        """What a buyer pays for: changing any of it needs a new ``out_trade_no``."""
        return (
            self.payment_method,
            self.amount,
            self.resource_id,
            self.seller_id,
            self.buyer_id,
            self.request,
            self.commerce_confirmation,
        )


@dataclass(frozen=True)
class PaymentProof:
    """What the buyer presents when it retries the request (A402 Payment-Proof)."""

    payment_method: PaymentMethodRef
    out_trade_no: str
    resource_id: str
    buyer_id: str
    credential: str  # the PSP's payment-authorization result credential (payment_proof)
    trade_no: str
    expires_at: datetime
    request: RequestBinding
    extensions: Mapping[str, Any] = field(default_factory=_no_extensions, hash=False)

    def __post_init__(self) -> None:
        _typed(self, "payment_method", PaymentMethodRef)
        _text(self.out_trade_no, "out_trade_no")
        _text(self.resource_id, "resource_id")
        _text(self.buyer_id, "buyer_unique_id")
        _text(self.credential, "payment_proof", BASE64URL, 8192)
        _text(self.trade_no, "trade_no")
        _instant(self, "expires_at")
        _typed(self, "request", RequestBinding)
        _extensions(self, self.extensions)


class ValidationStatus(StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"
    UNKNOWN = "UNKNOWN"


class DeliveryStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    STARTED = "STARTED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"


class FulfillmentStatus(StrEnum):
    NOT_CONFIRMED = "NOT_CONFIRMED"
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"


_S = TransactionState
_UNPAID_STATES = frozenset({_S.CREATE, _S.WAIT_BUYER_PAY, _S.TRADE_CLOSED})
_DELIVERED_STATES = frozenset({_S.WAIT_BUYER_RECEIPT, _S.TRADE_FINISHED, _S.TRADE_CLOSED})


@dataclass(frozen=True)
class PaymentValidation:
    """The seller's answer about one proof (A402 Payment-Validation); phases stay separate."""

    payment_method: PaymentMethodRef
    out_trade_no: str
    resource_id: str
    trade_no: str
    request_fingerprint: str
    validation_status: ValidationStatus
    delivery_status: DeliveryStatus
    fulfillment_status: FulfillmentStatus
    transaction_state: TransactionState
    validated_at: datetime
    error: ErrorBody | None = None
    evidence: tuple[EvidenceRef, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=_no_extensions, hash=False)

    def __post_init__(self) -> None:
        _typed(self, "payment_method", PaymentMethodRef)
        for name in ("out_trade_no", "resource_id", "trade_no"):
            _text(getattr(self, name), name)
        _text(self.request_fingerprint, "request_fingerprint", FINGERPRINT)
        _member(self, "validation_status", ValidationStatus)
        _member(self, "delivery_status", DeliveryStatus)
        _member(self, "fulfillment_status", FulfillmentStatus)
        _member(self, "transaction_state", TransactionState)
        _instant(self, "validated_at")
        _typed(self, "error", ErrorBody, optional=True)
        evidence = tuple(self.evidence)
        if not all(isinstance(ref, EvidenceRef) for ref in evidence):
            raise ValidationError("evidence must hold EvidenceRef values")
        if len(evidence) > MAX_EVIDENCE_REFS or len(set(evidence)) != len(evidence):
            raise ValidationError("evidence holds at most 20 distinct references")
        object.__setattr__(self, "evidence", evidence)
        _extensions(self, self.extensions)
        self._check_phases()

    def _check_phases(self) -> None:
        valid = self.validation_status is ValidationStatus.VALID
        delivery, fulfillment, state = (
            self.delivery_status,
            self.fulfillment_status,
            self.transaction_state,
        )
        if valid != (self.error is None):
            raise ValidationError("VALID carries no error; INVALID and UNKNOWN must carry one")
        if not valid and (
            delivery not in (DeliveryStatus.NOT_STARTED, DeliveryStatus.UNKNOWN)
            or fulfillment not in (FulfillmentStatus.NOT_CONFIRMED, FulfillmentStatus.UNKNOWN)
            or state not in _UNPAID_STATES
        ):
            raise ValidationError("a proof that did not validate cannot claim a later phase")
        if valid and state in (_S.CREATE, _S.WAIT_BUYER_PAY):
            raise ValidationError("a validated payment has left the waiting-for-payment states")
        if fulfillment in (FulfillmentStatus.PENDING, FulfillmentStatus.CONFIRMED) and (
            delivery is not DeliveryStatus.DELIVERED
        ):
            raise ValidationError("fulfillment is confirmed only after delivery")
        if delivery is DeliveryStatus.DELIVERED and state not in _DELIVERED_STATES:
            raise ValidationError("a delivered resource means the trade is past fulfillment")
        if state is _S.WAIT_BUYER_RECEIPT and delivery is not DeliveryStatus.DELIVERED:
            raise ValidationError("WAIT_BUYER_RECEIPT means the seller has delivered")
        if state is _S.TRADE_FINISHED and fulfillment is not FulfillmentStatus.CONFIRMED:
            raise ValidationError("a finished trade has confirmed fulfillment")


def _typed(owner: object, name: str, kind: type, *, optional: bool = False) -> None:
    value = getattr(owner, name)
    if (value is None and not optional) or (value is not None and not isinstance(value, kind)):
        raise ValidationError(f"{name} must be a {kind.__name__}")
