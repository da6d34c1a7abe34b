"""The seller's proof validation (ACT 2.1 A402 section 2.5) as one pure function.

``validate_proof`` takes the requirement the seller stands behind, the decoded proof, the
request being served, a credential verifier holding the PSP keys, the set of replay keys already
delivered, and ``now``. It returns a ``ValidatedPayment`` or raises ``ProofRefused`` with the
first failing rule, in this order (each its own ``ProofRejection``):

1. binding (the buyer's unsigned claims against the requirement and this request): payment
   method, order (``out_trade_no``), resource, request (method, fingerprint, idempotency key),
   and the buyer if the requirement names one;
2. authenticity: the credential's signature under a PSP key, then well-formed claims;
3. consistency of the PSP's signed claims: ``trade_no`` as presented, the same order, resource,
   method, request and buyer, paid to this seller, in this currency and exactly this amount;
4. time: paid no later than ``pay_before``; not paid in the future (beyond ``clock_skew``);
   ``now`` before the earlier of the two ``expires_at``; ``now`` within
   ``replay_window_seconds`` of the payment, so a seen-set kept that long catches every replay;
5. replay: the credential's ``replay_key`` is not in ``seen``.

Nothing is recorded here. The shell must add ``replay_key`` to its store atomically (insert
that fails on a duplicate) before it delivers, so two concurrent retries deliver once.

A changed amount, order or resource is never patched into an old requirement: the proof is
refused (``NEW_REQUIREMENT_NEEDED``) and the seller issues a new requirement under a new
``out_trade_no``; ``check_reissue`` refuses an order number reused with other terms (ACT
checklist item 20).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime, timedelta

from trustcart.core.errors import ValidationError
from trustcart.crypto.errors import InvalidSignature
from trustcart.payments.a402.codes import ProofRejection
from trustcart.payments.a402.credential import CredentialVerifier, VerifiedCredential
from trustcart.payments.a402.errors import ProofRefused, RequirementConflict
from trustcart.payments.a402.model import PaymentProof, PaymentRequirement, RequestBinding

DEFAULT_CLOCK_SKEW = timedelta(seconds=60)
_R = ProofRejection


@dataclass(frozen=True)
class ValidatedPayment:
    """A proof that passed every rule; deliver only after recording ``replay_key``."""

    requirement: PaymentRequirement
    proof: PaymentProof
    credential: VerifiedCredential
    validated_at: datetime

    @property
    def replay_key(self) -> str:
        return self.credential.replay_key


def _require(condition: bool, reason: ProofRejection, detail: str) -> None:
    if not condition:
        raise ProofRefused(reason, detail)


def _check_binding(
    requirement: PaymentRequirement, proof: PaymentProof, request: RequestBinding
) -> None:
    _require(
        proof.payment_method == requirement.payment_method,
        _R.METHOD_MISMATCH,
        "the proof is for another payment method or version",
    )
    _require(
        proof.out_trade_no == requirement.out_trade_no,
        _R.ORDER_MISMATCH,
        "the proof is for another order",
    )
    _require(
        proof.resource_id == requirement.resource_id,
        _R.RESOURCE_MISMATCH,
        "the proof is for another resource",
    )
    _require(
        proof.request == requirement.request == request,
        _R.REQUEST_MISMATCH,
        "the retried request is not the request the payment was for",
    )
    _require(
        requirement.buyer_id is None or proof.buyer_id == requirement.buyer_id,
        _R.BUYER_MISMATCH,
        "the requirement was for another buyer",
    )


def _verify(credentials: CredentialVerifier, proof: PaymentProof) -> VerifiedCredential:
    try:
        return credentials.verify(proof.credential)
    except InvalidSignature as e:
        raise ProofRefused(_R.SIGNATURE_INVALID, "the credential does not verify") from e
    except ValidationError as e:
        raise ProofRefused(_R.CREDENTIAL_MALFORMED, "the signed credential is malformed") from e


def _check_claims(
    requirement: PaymentRequirement, proof: PaymentProof, verified: VerifiedCredential
) -> None:
    claims = verified.credential
    _require(claims.trade_no == proof.trade_no, _R.TRADE_NO_MISMATCH, "trade_no differs")
    _require(claims.out_trade_no == requirement.out_trade_no, _R.ORDER_MISMATCH, "paid order")
    _require(claims.resource_id == requirement.resource_id, _R.RESOURCE_MISMATCH, "paid resource")
    _require(
        claims.method_id == requirement.payment_method.method_id,
        _R.METHOD_MISMATCH,
        "paid with another method",
    )
    _require(
        claims.request_fingerprint == requirement.request.fingerprint,
        _R.REQUEST_MISMATCH,
        "paid for another request",
    )
    _require(claims.buyer_id == proof.buyer_id, _R.BUYER_MISMATCH, "paid by another buyer")
    _require(claims.seller_id == requirement.seller_id, _R.PAYEE_MISMATCH, "paid another seller")
    _require(
        claims.amount.currency == requirement.amount.currency,
        _R.CURRENCY_MISMATCH,
        f"paid in {claims.amount.currency}, asked {requirement.amount.currency}",
    )
    _require(
        claims.amount == requirement.amount,
        _R.AMOUNT_MISMATCH,
        f"paid {claims.amount}, asked {requirement.amount}",
    )


def _check_time(
    requirement: PaymentRequirement,
    proof: PaymentProof,
    verified: VerifiedCredential,
    now: datetime,
    clock_skew: timedelta,
) -> None:
    claims = verified.credential
    _require(claims.paid_at <= requirement.pay_before, _R.PAID_AFTER_DEADLINE, "paid too late")
    _require(claims.paid_at <= now + clock_skew, _R.NOT_YET_VALID, "paid in the future")
    expires_at = min(claims.expires_at, proof.expires_at)
    _require(now < expires_at, _R.EXPIRED, "the credential has expired")
    window = timedelta(seconds=requirement.replay_window_seconds)
    _require(
        now <= claims.paid_at + window,
        _R.OUTSIDE_REPLAY_WINDOW,
        "older than the replay window",
    )


def validate_proof(
    requirement: PaymentRequirement,
    proof: PaymentProof,
    *,
    request: RequestBinding,
    credentials: CredentialVerifier,
    seen: Container[str],
    now: datetime,
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> ValidatedPayment:
    """Check a proof against the requirement, this request and the PSP's signature.

    Returns the validated payment, or raises ``ProofRefused`` naming the first rule that
    failed (see the module docstring for the order).
    """
    if now.tzinfo is None:
        raise ValidationError("now must be an aware datetime")
    _check_binding(requirement, proof, request)
    verified = _verify(credentials, proof)
    _check_claims(requirement, proof, verified)
    _check_time(requirement, proof, verified, now, clock_skew)
    _require(verified.replay_key not in seen, _R.REPLAYED, "this payment was already used")
    return ValidatedPayment(requirement, proof, verified, now)


def check_reissue(previous: PaymentRequirement | None, current: PaymentRequirement) -> None:
    """Refuse to reissue an ``out_trade_no`` with other terms: that needs a new requirement.

    Reissuing the same terms (a fresh ``pay_before``, say) is allowed.
    """
    if previous is None or previous.out_trade_no != current.out_trade_no:
        return
    if previous.terms() != current.terms():
        raise RequirementConflict(
            f"order {current.out_trade_no} was issued with other terms; use a new out_trade_no"
        )
