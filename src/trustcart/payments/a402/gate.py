"""The seller's decision for one request to a paid resource, as data (no HTTP here).

``decide_access`` is what an HTTP shell calls with the request's proof header (or None):

* no proof, an undecodable one, or one that ``validate_proof`` refuses: a ``PaymentChallenge``,
  i.e. status 402 with the current requirement in the requirement header (A402 section 2.2:
  "no usable payment proof, or proof validation fails"). The body is for people and carries the
  ``error.schema.json`` object under ``act_error`` when a proof was refused; a refused proof is
  never a reason to deliver (A402-TEST-003).
* a valid proof: ``AccessGranted`` with the ``ValidatedPayment``. The shell records its
  ``replay_key``, delivers, confirms fulfillment to the PSP, and may answer with
  ``validation_header_for`` (delivery and fulfillment are reported as they are, never implied by
  the payment: A402-TEST-005).

The codec is a parameter, so x402 v2 can reuse the same decision with its own headers.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.payments.a402.body import ErrorBody
from trustcart.payments.a402.codec import A402, PaymentHeaderCodec
from trustcart.payments.a402.credential import CredentialVerifier
from trustcart.payments.a402.errors import HeaderRefused, ProofRefused
from trustcart.payments.a402.model import (
    DeliveryStatus,
    EvidenceRef,
    FulfillmentStatus,
    PaymentRequirement,
    PaymentValidation,
    RequestBinding,
    ValidationStatus,
)
from trustcart.payments.a402.states import TransactionState
from trustcart.payments.a402.validation import ValidatedPayment, validate_proof


@dataclass(frozen=True)
class PaymentChallenge:
    """Answer 402 with these headers and this body; deliver nothing."""

    headers: tuple[tuple[str, str], ...]
    body: Mapping[str, Any]
    error: ErrorBody | None = None
    status: int = 402


@dataclass(frozen=True)
class AccessGranted:
    payment: ValidatedPayment


def _challenge(
    requirement: PaymentRequirement, codec: PaymentHeaderCodec, error: ErrorBody | None
) -> PaymentChallenge:
    body: dict[str, Any] = {
        "error": "Payment Needed",
        "message": f"Pay {requirement.amount} before accessing this resource",
        "resource_id": requirement.resource_id,
    }
    if error is not None:
        body["act_error"] = error.to_json()
    header = (codec.requirement_header, codec.encode_requirement(requirement))
    return PaymentChallenge(headers=(header,), body=body, error=error)


def decide_access(
    requirement: PaymentRequirement,
    proof_header: str | None,
    *,
    request: RequestBinding,
    credentials: CredentialVerifier,
    seen: Container[str],
    now: datetime,
    codec: PaymentHeaderCodec = A402,
) -> PaymentChallenge | AccessGranted:
    """Grant access only for a proof that validates; otherwise challenge with ``requirement``."""
    if proof_header is None:
        return _challenge(requirement, codec, None)
    try:
        proof = codec.decode_proof(proof_header)
        payment = validate_proof(
            requirement, proof, request=request, credentials=credentials, seen=seen, now=now
        )
    except (HeaderRefused, ProofRefused) as refused:
        return _challenge(requirement, codec, refused.body())
    return AccessGranted(payment)


def validation_for(
    payment: ValidatedPayment,
    *,
    delivery_status: DeliveryStatus,
    fulfillment_status: FulfillmentStatus,
    transaction_state: TransactionState,
    evidence: tuple[EvidenceRef, ...] = (),
) -> PaymentValidation:
    """The ``VALID`` answer for a validated payment, with delivery and fulfillment as they are."""
    proof = payment.proof
    return PaymentValidation(
        payment_method=proof.payment_method,
        out_trade_no=proof.out_trade_no,
        resource_id=proof.resource_id,
        trade_no=proof.trade_no,
        request_fingerprint=proof.request.fingerprint,
        validation_status=ValidationStatus.VALID,
        delivery_status=delivery_status,
        fulfillment_status=fulfillment_status,
        transaction_state=transaction_state,
        validated_at=payment.validated_at,
        evidence=evidence,
        extensions=payment.requirement.extensions,
    )


def validation_header_for(
    payment: ValidatedPayment,
    *,
    delivery_status: DeliveryStatus,
    fulfillment_status: FulfillmentStatus,
    transaction_state: TransactionState,
    codec: PaymentHeaderCodec = A402,
) -> tuple[str, str]:
    """``(header name, value)`` of the validation answer for a granted request."""
    validation = validation_for(
        payment,
        delivery_status=delivery_status,
        fulfillment_status=fulfillment_status,
        transaction_state=transaction_state,
    )
    return codec.validation_header, codec.encode_validation(validation)
