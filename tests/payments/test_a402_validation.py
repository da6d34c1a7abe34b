"""The seller's proof validation: every rule refused by a proof built to break it, and no other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.helpers.a402 import T0, Paid, paid
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.jcs import b64url
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.payments.a402.codes import (
    NEW_REQUIREMENT_NEEDED,
    PROOF_REJECTION_CODES,
    A402Code,
    ProofRejection,
)
from trustcart.payments.a402.credential import credential_claims
from trustcart.payments.a402.errors import ProofRefused, RequirementConflict
from trustcart.payments.a402.model import PaymentMethodRef, RequestBinding, request_fingerprint
from trustcart.payments.a402.signing import sign_requirement
from trustcart.payments.a402.validation import check_reissue, validate_proof

R = ProofRejection


def validate(p: Paid, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "requirement": p.requirement,
        "proof": p.proof,
        "request": p.request,
        "credentials": p.credentials,
        "seen": frozenset(),
        "now": p.now,
        **changes,
    }
    requirement, proof = arguments.pop("requirement"), arguments.pop("proof")
    return validate_proof(requirement, proof, **arguments)


def resign(p: Paid, **changes: Any) -> Any:
    """The requirement with changed terms, signed again by the seller."""
    return sign_requirement(replace(p.requirement, **changes), p.seller)


def _claims_signed_by_psp(p: Paid, claims: dict[str, Any], typ: str = "act-a402-proof+jwt") -> str:
    return b64url(sign_compact(claims, p.psp, typ=typ).encode("ascii"))


other_request = RequestBinding("GET", request_fingerprint("GET", "/other"))
Breaker = Callable[[Paid], dict[str, Any]]


def proof_with(**changes: Any) -> Breaker:
    """The buyer changes its own (unsigned) proof fields."""
    return lambda p: {"proof": replace(p.proof, **changes)}


def paid_with(**changes: Any) -> Breaker:
    """The PSP signed a credential with other facts."""
    return lambda p: {"proof": p.with_credential(**changes)}


def asked_with(**changes: Any) -> Breaker:
    """The seller now asks for something else."""
    return lambda p: {"requirement": resign(p, **changes)}


def arguments(**changes: Any) -> Breaker:
    return lambda p: changes


def credential(make: Callable[[Paid], str]) -> Breaker:
    return lambda p: {"proof": replace(p.proof, credential=make(p))}


def _forged(p: Paid) -> str:
    return _claims_signed_by_psp(
        replace(p, psp=SigningKey.generate()), credential_claims(p.credential)
    )


def _bit_flipped(p: Paid) -> str:
    text = p.proof.credential
    return text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]


LATE = T0 + timedelta(minutes=11)
OTHER_VERSION = PaymentMethodRef("trustcart:a402/psp-credential", "2.0.0")

# Each case breaks exactly one rule.
CASES: dict[str, tuple[Breaker, ProofRejection]] = {
    "method version": (proof_with(payment_method=OTHER_VERSION), R.METHOD_MISMATCH),
    "order in the proof": (proof_with(out_trade_no="ORDER-2"), R.ORDER_MISMATCH),
    "order changed by the seller": (asked_with(out_trade_no="ORDER-2"), R.ORDER_MISMATCH),
    "resource": (asked_with(resource_id="resource-2"), R.RESOURCE_MISMATCH),
    "retried request differs": (arguments(request=other_request), R.REQUEST_MISMATCH),
    "proof names another request": (proof_with(request=other_request), R.REQUEST_MISMATCH),
    "idempotency key differs": (
        lambda p: {"request": replace(p.request, idempotency_key="other")},
        R.REQUEST_MISMATCH,
    ),
    "requirement for another buyer": (asked_with(buyer_id="buyer-2"), R.BUYER_MISMATCH),
    "signed by another key": (credential(_forged), R.SIGNATURE_INVALID),
    "a receipt passed off as a credential": (
        credential(
            lambda p: _claims_signed_by_psp(
                p, credential_claims(p.credential), typ="act-payment-receipt+jwt"
            )
        ),
        R.SIGNATURE_INVALID,
    ),
    "credential is not a JWS": (credential(lambda p: "bm90LWEtandz"), R.SIGNATURE_INVALID),
    "credential is not ASCII": (credential(lambda p: "_w"), R.SIGNATURE_INVALID),
    "one bit flipped": (credential(_bit_flipped), R.SIGNATURE_INVALID),
    "signed claims malformed": (
        credential(
            lambda p: _claims_signed_by_psp(
                p, {**credential_claims(p.credential), "amount": "19.9x"}
            )
        ),
        R.CREDENTIAL_MALFORMED,
    ),
    "signed claims with an extra claim": (
        credential(
            lambda p: _claims_signed_by_psp(p, {**credential_claims(p.credential), "note": "x"})
        ),
        R.CREDENTIAL_MALFORMED,
    ),
    "trade_no relabelled": (proof_with(trade_no="T-2"), R.TRADE_NO_MISMATCH),
    "paid for another order": (paid_with(out_trade_no="ORDER-2"), R.ORDER_MISMATCH),
    "paid for another resource": (paid_with(resource_id="resource-2"), R.RESOURCE_MISMATCH),
    "paid with another method": (paid_with(method_id="other:method"), R.METHOD_MISMATCH),
    "paid for another request": (
        paid_with(request_fingerprint=other_request.fingerprint),
        R.REQUEST_MISMATCH,
    ),
    "paid by another buyer": (paid_with(buyer_id="buyer-2"), R.BUYER_MISMATCH),
    "paid another seller": (paid_with(seller_id="seller-2"), R.PAYEE_MISMATCH),
    "paid in another currency": (paid_with(amount=Money(1990, "USD")), R.CURRENCY_MISMATCH),
    "paid one fen less": (paid_with(amount=Money(1989, "CNY")), R.AMOUNT_MISMATCH),
    "paid one fen more": (paid_with(amount=Money(1991, "CNY")), R.AMOUNT_MISMATCH),
    "price changed by the seller": (asked_with(amount=Money(2990, "CNY")), R.AMOUNT_MISMATCH),
    "paid after pay_before": (
        lambda p: {"proof": p.with_credential(paid_at=LATE), "now": LATE},
        R.PAID_AFTER_DEADLINE,
    ),
    "paid in the future": (arguments(now=T0 - timedelta(minutes=1)), R.NOT_YET_VALID),
    "credential expired": (arguments(now=T0 + timedelta(hours=1)), R.EXPIRED),
    "proof header expires earlier": (
        proof_with(expires_at=T0 + timedelta(minutes=2)),
        R.EXPIRED,
    ),
    "older than the replay window": (
        arguments(now=LATE + timedelta(seconds=1)),
        R.OUTSIDE_REPLAY_WINDOW,
    ),
    "replayed": (lambda p: {"seen": {f"{p.psp.kid}:T-1"}}, R.REPLAYED),
}


def test_every_rejection_has_a_case() -> None:
    assert {reason for _, reason in CASES.values()} == set(ProofRejection)


@pytest.mark.parametrize(("break_it", "reason"), CASES.values(), ids=list(CASES))
def test_each_rule_refuses(
    break_it: Callable[[Paid], dict[str, Any]], reason: ProofRejection
) -> None:
    p = paid()
    validate(p)  # the unbroken proof passes, so the refusal below is this rule's
    with pytest.raises(ProofRefused) as refused:
        validate(p, **break_it(p))
    assert refused.value.rejection is reason
    assert refused.value.code is PROOF_REJECTION_CODES[reason]
    assert refused.value.body().to_json()["details"] == {"reason": str(reason)}


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
@pytest.mark.parametrize("http_method", ["GET", "POST"])
def test_a_genuine_proof_validates(alg: Any, http_method: str) -> None:
    p = paid(alg, http_method)
    payment = validate(p)
    assert payment.replay_key == f"{p.psp.kid}:T-1"
    assert payment.credential.credential == p.credential
    assert payment.validated_at == p.now


def test_boundaries() -> None:
    p = paid()
    validate(p, now=T0 + timedelta(minutes=11))  # exactly paid_at + window: still inside
    validate(p, now=T0)  # paid one minute ahead of this clock: within the skew
    with pytest.raises(ProofRefused):
        validate(p, now=T0, clock_skew=timedelta(0))
    on_time = p.with_credential(paid_at=p.requirement.pay_before)
    validate(p, proof=on_time, now=p.requirement.pay_before)
    with pytest.raises(ValidationError):
        validate(p, now=p.now.replace(tzinfo=None))


def test_a_changed_amount_order_or_resource_needs_a_new_requirement() -> None:
    p = paid()
    for changes in (
        {"amount": Money(2990, "CNY")},
        {"resource_id": "r-2"},
        {"out_trade_no": "O-2"},
    ):
        with pytest.raises(ProofRefused) as refused:
            validate(p, requirement=resign(p, **changes))
        assert refused.value.rejection in NEW_REQUIREMENT_NEEDED
        assert "CREATE_NEW_REQUIREMENT" in refused.value.body().to_json()["valid_next_actions"]


def test_reissuing_an_order_number_with_other_terms_is_refused() -> None:
    p = paid()
    check_reissue(None, p.requirement)
    check_reissue(p.requirement, resign(p, pay_before=T0 + timedelta(hours=1)))  # same terms
    check_reissue(p.requirement, resign(p, out_trade_no="ORDER-2", amount=Money(2990, "CNY")))
    for changes in (
        {"amount": Money(2990, "CNY")},
        {"resource_id": "resource-2"},
        {"seller_id": "seller-2"},
        {"request": other_request},
    ):
        with pytest.raises(RequirementConflict) as refused:
            check_reissue(p.requirement, resign(p, **changes))
        assert refused.value.code is A402Code.REQUEST_INVALID


def test_nothing_is_recorded_by_validation() -> None:
    p = paid()
    seen: set[str] = set()
    validate(p, seen=seen)
    validate(p, seen=seen)  # the shell records the replay key, not the core
    assert seen == set()
