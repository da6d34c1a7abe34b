"""The ACT A402 assertion catalog (``tests/a402-assertions.json``) against the pure core.

Each assertion is either checked here, on one in-process scenario (a seller key, a PSP key, a
signed requirement, a PSP credential and the buyer's proof, at fixed instants), or reported as
not applicable with the reason. Checks drive ``gate.decide_access`` and
``validation.validate_proof`` directly: they prove the decisions an HTTP shell will render,
not the HTTP responses themselves, and say so in their detail. A catalog id with neither a
check nor a reason fails, so a new assertion cannot slip through unexamined.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trustcart.conformance import CaseResult
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.payments.a402.body import error_body
from trustcart.payments.a402.codec import A402, PAYMENT_NEEDED
from trustcart.payments.a402.codes import CATALOG, A402Code, Phase, ProofRejection, Retryability
from trustcart.payments.a402.credential import (
    TRUSTCART_METHOD,
    PaymentCredential,
    PspCredentials,
    issue_credential,
)
from trustcart.payments.a402.errors import IllegalTransactionTransition
from trustcart.payments.a402.gate import (
    AccessGranted,
    PaymentChallenge,
    decide_access,
    validation_for,
)
from trustcart.payments.a402.model import (
    DeliveryStatus,
    FulfillmentStatus,
    PaymentProof,
    PaymentRequirement,
    PaymentValidation,
    RequestBinding,
    ValidationStatus,
    request_fingerprint,
)
from trustcart.payments.a402.signing import sign_requirement, verify_payment_needed
from trustcart.payments.a402.states import TransactionEvent, TransactionState, next_state

T0 = datetime(2026, 8, 3, 12, 0, tzinfo=UTC)
_R = ProofRejection


@dataclass(frozen=True)
class Scenario:
    """One paid request, both sides in one process; ``now`` is two minutes after ``T0``."""

    seller: SigningKey
    psp: SigningKey
    request: RequestBinding
    requirement: PaymentRequirement
    proof: PaymentProof
    now: datetime = T0 + timedelta(minutes=2)

    @classmethod
    def build(cls) -> Scenario:
        seller, psp = SigningKey.generate(), SigningKey.generate()
        request = RequestBinding("GET", request_fingerprint("GET", "/market/trend"))
        requirement = PaymentRequirement(
            payment_method=TRUSTCART_METHOD,
            out_trade_no="ORDER-1",
            amount=Money(1, "CNY"),
            resource_id="resource-1",
            pay_before=T0 + timedelta(minutes=10),
            seller_id="seller-1",
            request=request,
            replay_window_seconds=600,
            extensions={"psp_id": "trustcart-psp"},
        )
        credential = PaymentCredential(
            trade_no="T-1",
            out_trade_no="ORDER-1",
            resource_id="resource-1",
            amount=Money(1, "CNY"),
            seller_id="seller-1",
            buyer_id="buyer-1",
            method_id=TRUSTCART_METHOD.method_id,
            request_fingerprint=request.fingerprint,
            paid_at=T0 + timedelta(minutes=1),
            expires_at=T0 + timedelta(hours=1),
        )
        proof = PaymentProof(
            payment_method=TRUSTCART_METHOD,
            out_trade_no="ORDER-1",
            resource_id="resource-1",
            buyer_id="buyer-1",
            credential=issue_credential(credential, psp),
            trade_no="T-1",
            expires_at=credential.expires_at,
            request=request,
            extensions={"client_session": "session-1"},
        )
        return cls(seller, psp, request, sign_requirement(requirement, seller), proof)

    def decide(
        self,
        proof: PaymentProof | str | None,
        *,
        requirement: PaymentRequirement | None = None,
        seen: Container[str] = frozenset(),
        now: datetime | None = None,
    ) -> PaymentChallenge | AccessGranted:
        header = A402.encode_proof(proof) if isinstance(proof, PaymentProof) else proof
        return decide_access(
            requirement or self.requirement,
            header,
            request=self.request,
            credentials=PspCredentials({self.psp.kid: self.psp.public}),
            seen=seen,
            now=now or self.now,
        )

    def refusal(
        self,
        proof: PaymentProof | str | None,
        *,
        requirement: PaymentRequirement | None = None,
        seen: Container[str] = frozenset(),
        now: datetime | None = None,
    ) -> str | None:
        """The ``details.reason`` of a challenge (None without a proof); raise if granted."""
        decision = self.decide(proof, requirement=requirement, seen=seen, now=now)
        if isinstance(decision, AccessGranted):
            raise AssertionError("access was granted")
        if decision.status != 402 or decision.headers[0][0] != PAYMENT_NEEDED:
            raise AssertionError("a refusal must be 402 with Payment-Needed")
        details = decision.error.details if decision.error else None
        return None if details is None else str(details["reason"])


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _granted(s: Scenario) -> AccessGranted:
    decision = s.decide(s.proof)
    if not isinstance(decision, AccessGranted):
        raise AssertionError(f"the genuine proof was refused: {decision.error}")
    return decision


def check_002(s: Scenario) -> str:
    decision = s.decide(None)
    if not isinstance(decision, PaymentChallenge):
        raise AssertionError("no challenge without a proof")
    _expect(decision.status == 402 and decision.error is None, "not a plain 402")
    ((name, value),) = decision.headers
    _expect(name == PAYMENT_NEEDED, f"header {name}")
    requirement = verify_payment_needed(value, {s.seller.kid: s.seller.public})
    _expect(requirement == s.requirement, "Payment-Needed does not carry the requirement")
    return "no proof: 402 with a seller-signed Payment-Needed (decision; HTTP rendering not built)"


def _forged(s: Scenario) -> str:
    """The genuine credential's claims, signed by a key that is not the PSP's."""
    claims = PspCredentials({s.psp.kid: s.psp.public}).verify(s.proof.credential).credential
    return issue_credential(claims, SigningKey.generate())


def check_003(s: Scenario) -> str:
    forged = _forged(s)
    attempts: dict[str, PaymentProof | str] = {
        "arbitrary text": "not-a-payment-proof",
        "malformed JSON": "eyJwcm90b2NvbCI6",
        "unsigned credential": replace(s.proof, credential="c2VsZi1pc3N1ZWQ"),
        "credential signed by another key": replace(s.proof, credential=forged),
    }
    for name, attempt in attempts.items():
        _expect(isinstance(s.decide(attempt), PaymentChallenge), f"{name} was granted")
    _granted(s)
    return f"{len(attempts)} unvalidated proofs refused with 402; the genuine one granted"


def check_004(s: Scenario) -> str:
    _granted(s)
    forged = replace(s.proof, credential=_forged(s))
    expected = {
        "authenticity": (s.refusal(forged), _R.SIGNATURE_INVALID),
        "expiry": (s.refusal(s.proof, now=T0 + timedelta(hours=2)), _R.EXPIRED),
        "replay": (s.refusal(s.proof, seen={f"{s.psp.kid}:T-1"}), _R.REPLAYED),
        "consistency": (s.refusal(replace(s.proof, trade_no="T-2")), _R.TRADE_NO_MISMATCH),
    }
    for name, (reason, wanted) in expected.items():
        _expect(reason == wanted, f"{name}: refused as {reason}, expected {wanted}")
    return "authenticity, expiry, replay and consistency each refused; all passing granted"


def check_005(s: Scenario) -> str:
    payment = _granted(s).payment
    answer = validation_for(
        payment,
        delivery_status=DeliveryStatus.NOT_STARTED,
        fulfillment_status=FulfillmentStatus.NOT_CONFIRMED,
        transaction_state=next_state(
            TransactionState.WAIT_BUYER_PAY, TransactionEvent.PAYMENT_VALIDATED
        ),
    )
    _expect(A402.decode_validation(A402.encode_validation(answer)) == answer, "round-trip")
    try:
        replace(answer, transaction_state=TransactionState.TRADE_FINISHED)
    except ValidationError:
        pass
    else:
        raise AssertionError("payment alone was allowed to claim a finished trade")
    try:
        next_state(TransactionState.WAIT_SELLER_FULFILLMENT, TransactionEvent.FULFILLMENT_CONFIRMED)
    except IllegalTransactionTransition:
        return "validated payment: delivery NOT_STARTED, fulfillment NOT_CONFIRMED; no shortcut"
    raise AssertionError("fulfillment was confirmed without delivery")


def check_006(s: Scenario) -> str:
    other_resource = sign_requirement(replace(s.requirement, resource_id="resource-2"), s.seller)
    other_order = sign_requirement(replace(s.requirement, out_trade_no="ORDER-2"), s.seller)
    relabelled = replace(s.proof, resource_id="resource-2")
    other_request = RequestBinding("GET", request_fingerprint("GET", "/other"))
    expected = {
        "another resource": (s.refusal(s.proof, requirement=other_resource), _R.RESOURCE_MISMATCH),
        "another order": (s.refusal(s.proof, requirement=other_order), _R.ORDER_MISMATCH),
        "relabelled proof": (
            s.refusal(relabelled, requirement=other_resource),
            _R.RESOURCE_MISMATCH,
        ),
        "another request": (
            s.refusal(replace(s.proof, request=other_request)),
            _R.REQUEST_MISMATCH,
        ),
    }
    for name, (reason, wanted) in expected.items():
        _expect(reason == wanted, f"{name}: refused as {reason}, expected {wanted}")
    return "a proof cannot be moved to another resource, order or request (signed claims too)"


def check_007(s: Scenario) -> str:
    first = _granted(s).payment
    again = s.refusal(s.proof, seen={first.replay_key})
    _expect(again == _R.REPLAYED, f"second submission refused as {again}")
    return "second submission refused as replayed (the shell records replay_key atomically)"


def check_008(s: Scenario) -> str:
    phases = {code: CATALOG[code].phase for code in A402Code}
    _expect(phases[A402Code.PROOF_INVALID] is Phase.PROOF_VALIDATION, "validation phase")
    _expect(phases[A402Code.FULFILLMENT_FAILED] is Phase.FULFILLMENT, "delivery phase")
    _expect(phases[A402Code.LIMIT_OR_ASSET_REJECTED] is Phase.AUTHORIZATION, "payment phase")
    unknown = CATALOG[A402Code.SYSTEM_UNAVAILABLE]
    _expect(unknown.retryability is Retryability.QUERY_FIRST, "an unknown outcome is queried")
    answer = validation_for(
        _granted(s).payment,
        delivery_status=DeliveryStatus.NOT_STARTED,
        fulfillment_status=FulfillmentStatus.NOT_CONFIRMED,
        transaction_state=TransactionState.WAIT_SELLER_FULFILLMENT,
    )
    failed = replace(
        answer,
        validation_status=ValidationStatus.UNKNOWN,
        error=error_body(A402Code.SYSTEM_UNAVAILABLE),
        transaction_state=TransactionState.WAIT_BUYER_PAY,
    )
    _expect(isinstance(failed, PaymentValidation), "an unknown outcome can be reported")
    try:
        replace(failed, delivery_status=DeliveryStatus.DELIVERED)
    except ValidationError:
        return "phases and retryability distinct; a failed validation cannot claim delivery"
    raise AssertionError("an unvalidated payment claimed delivery")


CHECKS: dict[str, Callable[[Scenario], str]] = {
    "A402-TEST-002": check_002,
    "A402-TEST-003": check_003,
    "A402-TEST-004": check_004,
    "A402-TEST-005": check_005,
    "A402-TEST-006": check_006,
    "A402-TEST-007": check_007,
    "A402-TEST-008": check_008,
}

_PSD = "belongs to the payment provider (PSD-PMT-BND, INS, DEL, AUP), not to the A402 core"
NOT_APPLICABLE: dict[str, str] = {
    "A402-TEST-001": "documentation-level statement about the specification's layering",
    "PSD-TEST-001": "documentation-level: a product profile's PSD component inventory",
    "PSD-TEST-002": _PSD,
    "PSD-TEST-003": _PSD,
    "PSD-TEST-004": _PSD,
    "PSD-TEST-005": _PSD,
}


def assertion_cases(folder: Path) -> Iterator[CaseResult]:
    path = folder / "tests" / "a402-assertions.json"
    catalog = json.loads(path.read_text(encoding="utf-8"))
    scenario = Scenario.build()
    for assertion in catalog["assertions"]:
        assertion_id = str(assertion["id"])
        case_id = f"assertion {assertion_id}"
        check = CHECKS.get(assertion_id)
        if check is not None:
            try:
                yield CaseResult(case_id, True, check(scenario))
            except Exception as e:
                yield CaseResult(case_id, False, f"{type(e).__name__}: {e}")
        elif assertion_id in NOT_APPLICABLE:
            reason = NOT_APPLICABLE[assertion_id]
            yield CaseResult.not_applicable(case_id, f"not applicable to a pure core: {reason}")
        else:
            yield CaseResult(case_id, False, "no check and no reason for this assertion")
