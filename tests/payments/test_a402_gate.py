"""The seller's decision: 402 with Payment-Needed unless a proof validates; then honest answers."""

from __future__ import annotations

import pytest

from tests.helpers.a402 import load, paid, schema_errors
from trustcart.core.errors import ValidationError
from trustcart.payments.a402 import codec
from trustcart.payments.a402.codes import A402Code
from trustcart.payments.a402.gate import (
    AccessGranted,
    PaymentChallenge,
    decide_access,
    validation_header_for,
)
from trustcart.payments.a402.model import DeliveryStatus, FulfillmentStatus, ValidationStatus
from trustcart.payments.a402.signing import verify_payment_needed
from trustcart.payments.a402.states import TransactionState


def test_no_proof_is_a_402_with_the_signed_requirement() -> None:
    p = paid()
    decision = decide_access(
        p.requirement, None, request=p.request, credentials=p.credentials, seen=set(), now=p.now
    )
    assert isinstance(decision, PaymentChallenge)
    assert decision.status == 402
    assert decision.error is None
    ((name, value),) = decision.headers
    assert name == "Payment-Needed"
    assert verify_payment_needed(value, {p.seller.kid: p.seller.public}) == p.requirement
    assert decision.body == {
        "error": "Payment Needed",
        "message": "Pay 19.90 CNY before accessing this resource",
        "resource_id": "resource-1",
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("garbage!", A402Code.REQUEST_INVALID),
        ("e30", A402Code.METHOD_UNSUPPORTED),  # {} has no protocol/method layers
    ],
)
def test_an_undecodable_proof_is_challenged_with_the_reason(value: str, code: A402Code) -> None:
    p = paid()
    decision = decide_access(
        p.requirement, value, request=p.request, credentials=p.credentials, seen=set(), now=p.now
    )
    assert isinstance(decision, PaymentChallenge)
    assert decision.status == 402
    assert decision.error is not None
    assert decision.error.code is code
    assert decision.body["act_error"] == decision.error.to_json()
    assert schema_errors("error.schema.json", decision.body["act_error"]) == []


def test_a_refused_proof_is_challenged_again_and_a_replay_too() -> None:
    p = paid()
    value = codec.encode_payment_proof(p.proof)
    granted = decide_access(
        p.requirement, value, request=p.request, credentials=p.credentials, seen=set(), now=p.now
    )
    assert isinstance(granted, AccessGranted)
    replayed = decide_access(
        p.requirement,
        value,
        request=p.request,
        credentials=p.credentials,
        seen={granted.payment.replay_key},
        now=p.now,
    )
    assert isinstance(replayed, PaymentChallenge)
    assert replayed.error is not None
    assert replayed.error.to_json()["details"] == {"reason": "a402-proof-replayed"}


def test_the_validation_answer_reports_each_phase_as_it_is() -> None:
    p = paid()
    value = codec.encode_payment_proof(p.proof)
    granted = decide_access(
        p.requirement, value, request=p.request, credentials=p.credentials, seen=set(), now=p.now
    )
    assert isinstance(granted, AccessGranted)
    name, header = validation_header_for(
        granted.payment,
        delivery_status=DeliveryStatus.DELIVERED,
        fulfillment_status=FulfillmentStatus.PENDING,
        transaction_state=TransactionState.WAIT_BUYER_RECEIPT,
    )
    assert name == "Payment-Validation"
    answer = codec.decode_payment_validation(header)
    assert answer.validation_status is ValidationStatus.VALID
    assert (answer.trade_no, answer.out_trade_no, answer.resource_id) == (
        "T-1",
        "ORDER-1",
        "resource-1",
    )
    assert answer.request_fingerprint == p.request.fingerprint
    assert schema_errors("payment-validation.schema.json", codec.validation_payload(answer)) == []
    with pytest.raises(ValidationError):  # delivery not started cannot mean a finished trade
        validation_header_for(
            granted.payment,
            delivery_status=DeliveryStatus.NOT_STARTED,
            fulfillment_status=FulfillmentStatus.NOT_CONFIRMED,
            transaction_state=TransactionState.TRADE_FINISHED,
        )


def test_the_upstream_flow_fixture_shape_is_what_we_write() -> None:
    # The pinned fixture and our own requirement share the same protocol field set shape.
    fixture = load("fixtures/valid/payment-needed.json")
    ours = codec.requirement_payload(paid().requirement)
    optional = {"buyer_unique_id", "idempotency_key", "commerce_confirmation"}
    assert set(ours["protocol"]) - optional == set(fixture["protocol"]) - optional
