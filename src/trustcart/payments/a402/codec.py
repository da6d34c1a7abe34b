"""The A402 header codec: Payment-Needed, Payment-Proof and Payment-Validation.

Each header value is unpadded Base64URL of UTF-8 JSON ``{"protocol": {...}, "method": {...}}``
(ACT 2.1 A402 sections 3 and 5; field presence as in the ACT implementation artifact's
``payment-*.schema.json``). Decoding is strict and refuses with one ``HeaderDefect``:

1. the bytes layer (``wire.decode_json_header``): size, padding, Base64URL, UTF-8, JSON,
   duplicate keys, floats and other values JCS cannot carry, not an object;
2. the envelope: exactly ``protocol`` and ``method``, both objects, ``method`` not empty
   (``a402-envelope-invalid``); a method field that redefines a baseline field, in any spelling
   (``a402-baseline-redefined``); both map to ``ACT-A402-METHOD_UNSUPPORTED``;
3. the protocol fields: unknown, missing, or invalid (types, patterns, amounts a currency cannot
   hold exactly, instants without an offset, a non-safe request without ``idempotency_key``);
   these map to ``ACT-A402-REQUEST_INVALID``.

Encoding writes ``base64url(JCS(payload))`` with canonical values: amounts with the currency's
minor-unit digits (``0.01`` CNY, ``100`` JPY), instants in UTC with ``Z`` (fractions only when
present). So ``decode(encode(m)) == m`` for every message, and a canonical header encodes back
to the very same text. A402 requires a non-empty ``method`` object and a signed Payment-Needed:
encoding anything else raises ``ValidationError``.

``PaymentHeaderCodec`` is the shape a second codec (x402 v2: ``PAYMENT-REQUIRED``,
``PAYMENT-SIGNATURE``, ``PAYMENT-RESPONSE``) fills in over the same value model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from trustcart.core.errors import ValidationError
from trustcart.payments.a402.body import ErrorBody
from trustcart.payments.a402.codes import HeaderDefect
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.fields import (
    ProtocolFields,
    parse_amount,
    parse_wire_instant,
    wire_instant,
)
from trustcart.payments.a402.json_values import thaw_json
from trustcart.payments.a402.model import (
    CommerceConfirmation,
    EvidenceRef,
    MessageSignature,
    PaymentMethodRef,
    PaymentProof,
    PaymentRequirement,
    PaymentValidation,
    RequestBinding,
    redefines_baseline,
)
from trustcart.payments.a402.wire import decode_json_header, encode_json_header

PAYMENT_NEEDED = "Payment-Needed"
PAYMENT_PROOF = "Payment-Proof"
PAYMENT_VALIDATION = "Payment-Validation"

_T = TypeVar("_T")
_BINDING = {"method_id", "method_version", "request_method", "request_fingerprint"}
_NEEDED_REQUIRED = {
    *_BINDING, "out_trade_no", "amount", "currency", "resource_id", "pay_before",
    "seller_unique_id", "replay_window_seconds", "signer_id", "signature_content",
    "signature_type",
}  # fmt: skip
_CONFIRMATION_MEMBERS = {"confirmation_id", "confirmation_digest", "confirmation_uri"}
_NEEDED_OPTIONAL = {"buyer_unique_id", "idempotency_key", "commerce_confirmation"}
_PROOF_REQUIRED = {
    *_BINDING, "out_trade_no", "resource_id", "buyer_unique_id", "payment_proof", "trade_no",
    "expires_at",
}  # fmt: skip
_PROOF_OPTIONAL = {"idempotency_key"}
_VALIDATION_REQUIRED = {
    "method_id", "method_version", "out_trade_no", "resource_id", "trade_no",
    "request_fingerprint", "validation_status", "delivery_status", "fulfillment_status",
    "transaction_state", "validated_at",
}  # fmt: skip
_VALIDATION_OPTIONAL = {"error", "evidence_refs"}


class PaymentHeaderCodec(Protocol):
    """Header names and value encoding of one pay-per-call protocol over the shared model."""

    requirement_header: str
    proof_header: str
    validation_header: str

    def encode_requirement(self, requirement: PaymentRequirement) -> str: ...
    def decode_requirement(self, value: str) -> PaymentRequirement: ...
    def encode_proof(self, proof: PaymentProof) -> str: ...
    def decode_proof(self, value: str) -> PaymentProof: ...
    def encode_validation(self, validation: PaymentValidation) -> str: ...
    def decode_validation(self, value: str) -> PaymentValidation: ...


def _envelope(payload: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    if set(payload) != {"protocol", "method"}:
        raise HeaderRefused(HeaderDefect.ENVELOPE_INVALID, "must be {protocol, method}")
    protocol, method = payload["protocol"], payload["method"]
    if not isinstance(protocol, dict) or not isinstance(method, dict) or not method:
        raise HeaderRefused(HeaderDefect.ENVELOPE_INVALID, "protocol and method are objects")
    clashes = sorted(key for key in method if redefines_baseline(key))
    if clashes:
        raise HeaderRefused(HeaderDefect.BASELINE_REDEFINED, f"method redefines {clashes}")
    return protocol, method


def _build(
    make: Callable[[ProtocolFields, dict[str, Any]], _T],
    payload: Mapping[str, Any],
    required: set[str],
    optional: set[str],
) -> _T:
    protocol, method = _envelope(payload)
    fields = ProtocolFields(protocol, required, optional)
    try:
        return make(fields, method)
    except HeaderRefused:
        raise
    except ValidationError as e:
        raise HeaderRefused(HeaderDefect.FIELD_INVALID, str(e)) from e


def _requirement(fields: ProtocolFields, method: dict[str, Any]) -> PaymentRequirement:
    confirmation = fields.get("commerce_confirmation", dict)
    if confirmation is not None:
        if not set(confirmation) <= _CONFIRMATION_MEMBERS:
            raise ValidationError("commerce_confirmation has unknown members")
        confirmation = CommerceConfirmation(
            confirmation.get("confirmation_id"),
            confirmation.get("confirmation_digest"),
            confirmation.get("confirmation_uri"),
        )
    return PaymentRequirement(
        payment_method=fields.method(),
        out_trade_no=fields.get("out_trade_no"),
        amount=parse_amount(fields.get("amount"), fields.get("currency")),
        resource_id=fields.get("resource_id"),
        pay_before=parse_wire_instant(fields.get("pay_before")),
        seller_id=fields.get("seller_unique_id"),
        request=fields.request(),
        replay_window_seconds=fields.get("replay_window_seconds", int),
        buyer_id=fields.get("buyer_unique_id"),
        commerce_confirmation=confirmation,
        signature=MessageSignature(
            fields.get("signer_id"), fields.get("signature_type"), fields.get("signature_content")
        ),
        extensions=method,
    )


def _proof(fields: ProtocolFields, method: dict[str, Any]) -> PaymentProof:
    return PaymentProof(
        payment_method=fields.method(),
        out_trade_no=fields.get("out_trade_no"),
        resource_id=fields.get("resource_id"),
        buyer_id=fields.get("buyer_unique_id"),
        credential=fields.get("payment_proof"),
        trade_no=fields.get("trade_no"),
        expires_at=parse_wire_instant(fields.get("expires_at")),
        request=fields.request(),
        extensions=method,
    )


def _evidence(item: Any) -> EvidenceRef:
    allowed = {"type", "digest", "uri"}
    if not isinstance(item, dict) or not {"type", "digest"} <= set(item) <= allowed:
        raise ValidationError("evidence_refs items are {type, digest, uri?}")
    return EvidenceRef(item["type"], item["digest"], item.get("uri"))


def _validation(fields: ProtocolFields, method: dict[str, Any]) -> PaymentValidation:
    error = fields.get("error", dict)
    evidence = fields.get("evidence_refs", list) or []
    return PaymentValidation(
        payment_method=fields.method(),
        out_trade_no=fields.get("out_trade_no"),
        resource_id=fields.get("resource_id"),
        trade_no=fields.get("trade_no"),
        request_fingerprint=fields.get("request_fingerprint"),
        validation_status=fields.get("validation_status"),
        delivery_status=fields.get("delivery_status"),
        fulfillment_status=fields.get("fulfillment_status"),
        transaction_state=fields.get("transaction_state"),
        validated_at=parse_wire_instant(fields.get("validated_at")),
        error=None if error is None else ErrorBody.from_json(error),
        evidence=tuple(_evidence(item) for item in evidence),
        extensions=method,
    )


def requirement_from_payload(payload: Mapping[str, Any]) -> PaymentRequirement:
    """A decoded Payment-Needed payload as a requirement; raise ``HeaderRefused``."""
    return _build(_requirement, payload, _NEEDED_REQUIRED, _NEEDED_OPTIONAL)


def proof_from_payload(payload: Mapping[str, Any]) -> PaymentProof:
    """A decoded Payment-Proof payload as a proof; raise ``HeaderRefused``."""
    return _build(_proof, payload, _PROOF_REQUIRED, _PROOF_OPTIONAL)


def validation_from_payload(payload: Mapping[str, Any]) -> PaymentValidation:
    """A decoded Payment-Validation payload; raise ``HeaderRefused``."""
    return _build(_validation, payload, _VALIDATION_REQUIRED, _VALIDATION_OPTIONAL)


# -- writing -----------------------------------------------------------------------------------


def _method_layer(extensions: Mapping[str, Any]) -> dict[str, Any]:
    if not extensions:
        raise ValidationError("A402 needs at least one method field")
    return dict(thaw_json(extensions))


def _binding(method: PaymentMethodRef, request: RequestBinding) -> dict[str, Any]:
    fields = {
        "method_id": method.method_id,
        "method_version": method.version,
        "request_method": request.http_method,
        "request_fingerprint": request.fingerprint,
    }
    if request.idempotency_key is not None:
        fields["idempotency_key"] = request.idempotency_key
    return fields


def requirement_payload(
    requirement: PaymentRequirement, *, with_signature_content: bool = True
) -> dict[str, Any]:
    """The decoded Payment-Needed payload (without ``signature_content`` for signing)."""
    signature = requirement.signature
    if signature is None:
        raise ValidationError("A402 Payment-Needed must be signed (see a402.signing)")
    protocol: dict[str, Any] = {
        **_binding(requirement.payment_method, requirement.request),
        "out_trade_no": requirement.out_trade_no,
        "amount": requirement.amount.amount_str(),
        "currency": requirement.amount.currency,
        "resource_id": requirement.resource_id,
        "pay_before": wire_instant(requirement.pay_before),
        "seller_unique_id": requirement.seller_id,
        "replay_window_seconds": requirement.replay_window_seconds,
        "signer_id": signature.signer_id,
        "signature_type": signature.signature_type,
    }
    if with_signature_content:
        protocol["signature_content"] = signature.value
    if requirement.buyer_id is not None:
        protocol["buyer_unique_id"] = requirement.buyer_id
    confirmation = requirement.commerce_confirmation
    if confirmation is not None:
        protocol["commerce_confirmation"] = {
            "confirmation_id": confirmation.confirmation_id,
            "confirmation_digest": confirmation.confirmation_digest,
        }
        if confirmation.confirmation_uri is not None:
            protocol["commerce_confirmation"]["confirmation_uri"] = confirmation.confirmation_uri
    return {"protocol": protocol, "method": _method_layer(requirement.extensions)}


def proof_payload(proof: PaymentProof) -> dict[str, Any]:
    """The decoded Payment-Proof payload."""
    protocol = {
        **_binding(proof.payment_method, proof.request),
        "out_trade_no": proof.out_trade_no,
        "resource_id": proof.resource_id,
        "buyer_unique_id": proof.buyer_id,
        "payment_proof": proof.credential,
        "trade_no": proof.trade_no,
        "expires_at": wire_instant(proof.expires_at),
    }
    return {"protocol": protocol, "method": _method_layer(proof.extensions)}


def validation_payload(validation: PaymentValidation) -> dict[str, Any]:
    """The decoded Payment-Validation payload."""
    protocol: dict[str, Any] = {
        "method_id": validation.payment_method.method_id,
        "method_version": validation.payment_method.version,
        "out_trade_no": validation.out_trade_no,
        "resource_id": validation.resource_id,
        "trade_no": validation.trade_no,
        "request_fingerprint": validation.request_fingerprint,
        "validation_status": str(validation.validation_status),
        "delivery_status": str(validation.delivery_status),
        "fulfillment_status": str(validation.fulfillment_status),
        "transaction_state": str(validation.transaction_state),
        "validated_at": wire_instant(validation.validated_at),
    }
    if validation.error is not None:
        protocol["error"] = validation.error.to_json()
    if validation.evidence:
        protocol["evidence_refs"] = [
            {"type": str(ref.type), "digest": ref.digest, **({"uri": ref.uri} if ref.uri else {})}
            for ref in validation.evidence
        ]
    return {"protocol": protocol, "method": _method_layer(validation.extensions)}


# -- headers -----------------------------------------------------------------------------------


def decode_payment_needed(value: str) -> PaymentRequirement:
    """Decode a ``Payment-Needed`` value; only ``HeaderRefused`` escapes."""
    return requirement_from_payload(decode_json_header(value))


def decode_payment_proof(value: str) -> PaymentProof:
    """Decode a ``Payment-Proof`` value; only ``HeaderRefused`` escapes."""
    return proof_from_payload(decode_json_header(value))


def decode_payment_validation(value: str) -> PaymentValidation:
    """Decode a ``Payment-Validation`` value; only ``HeaderRefused`` escapes."""
    return validation_from_payload(decode_json_header(value))


def encode_payment_needed(requirement: PaymentRequirement) -> str:
    return encode_json_header(requirement_payload(requirement))


def encode_payment_proof(proof: PaymentProof) -> str:
    return encode_json_header(proof_payload(proof))


def encode_payment_validation(validation: PaymentValidation) -> str:
    return encode_json_header(validation_payload(validation))


class A402Codec:
    """ACT 2.1 A402 as a ``PaymentHeaderCodec``."""

    requirement_header = PAYMENT_NEEDED
    proof_header = PAYMENT_PROOF
    validation_header = PAYMENT_VALIDATION

    def encode_requirement(self, requirement: PaymentRequirement) -> str:
        return encode_payment_needed(requirement)

    def decode_requirement(self, value: str) -> PaymentRequirement:
        return decode_payment_needed(value)

    def encode_proof(self, proof: PaymentProof) -> str:
        return encode_payment_proof(proof)

    def decode_proof(self, value: str) -> PaymentProof:
        return decode_payment_proof(value)

    def encode_validation(self, validation: PaymentValidation) -> str:
        return encode_payment_validation(validation)

    def decode_validation(self, value: str) -> PaymentValidation:
        return decode_payment_validation(value)


A402 = A402Codec()
