"""The A402 header codec: known answers from the ACT fixture, round-trips, strict refusals."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.a402 import load, paid, schema_errors
from trustcart.core.errors import ValidationError
from trustcart.core.money import CURRENCY_EXPONENTS, Money
from trustcart.payments.a402 import codec
from trustcart.payments.a402.body import error_body
from trustcart.payments.a402.codes import A402Code
from trustcart.payments.a402.fields import parse_amount, parse_wire_instant, wire_instant
from trustcart.payments.a402.model import (
    CommerceConfirmation,
    DeliveryStatus,
    EvidenceRef,
    EvidenceType,
    FulfillmentStatus,
    MessageSignature,
    PaymentMethodRef,
    PaymentProof,
    PaymentRequirement,
    PaymentValidation,
    RequestBinding,
    ValidationStatus,
    redefines_baseline,
)
from trustcart.payments.a402.states import TransactionState

FIXTURE = load("fixtures/valid/payment-needed.json")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def header(payload: Any) -> str:
    """The header text computed independently of the codec: base64url(JCS(payload))."""
    return b64(rfc8785.dumps(payload))


# -- known answers -----------------------------------------------------------------------------


def test_the_fixture_decodes_to_its_values() -> None:
    requirement = codec.decode_payment_needed(header(FIXTURE))
    assert requirement.payment_method == PaymentMethodRef("example:a402/test-pay", "1.0.0")
    assert requirement.out_trade_no == "ORDER-20260803-001"
    assert requirement.amount == Money(1, "CNY")
    assert requirement.resource_id == "resource-weather-001"
    assert requirement.pay_before == datetime(2026, 8, 3, 12, 30, tzinfo=UTC)
    assert requirement.seller_id == "seller-example-001"
    assert requirement.buyer_id == "buyer-agent-001"
    assert requirement.request == RequestBinding(
        "POST", "sha-256:" + "A" * 43, "delivery-ORDER-20260803-001"
    )
    assert requirement.replay_window_seconds == 3600
    assert requirement.commerce_confirmation == CommerceConfirmation(
        "CID-CFM-20260803-001",
        "sha-256:" + "B" * 43,
        "https://merchant.example/confirmations/CID-CFM-20260803-001",
    )
    assert requirement.signature == MessageSignature(
        "seller-key-2026-01", "ED25519", "ZXhhbXBsZS1zaWduYXR1cmU"
    )
    assert dict(requirement.extensions) == FIXTURE["method"]


def test_the_fixture_encodes_byte_exact() -> None:
    requirement = codec.requirement_from_payload(FIXTURE)
    assert codec.requirement_payload(requirement) == FIXTURE
    assert codec.encode_payment_needed(requirement) == header(FIXTURE)
    assert schema_errors("payment-needed.schema.json", FIXTURE) == []


def test_a_non_canonical_spelling_decodes_to_the_same_value() -> None:
    spelled = copy.deepcopy(FIXTURE)
    spelled["protocol"]["amount"] = "0.010"
    spelled["protocol"]["pay_before"] = "2026-08-03T20:30:00+08:00"
    pretty = b64(json.dumps(spelled, indent=2, ensure_ascii=False).encode())
    requirement = codec.decode_payment_needed(pretty)
    assert requirement == codec.decode_payment_needed(header(FIXTURE))
    assert codec.encode_payment_needed(requirement) == header(FIXTURE)


def test_amounts_and_instants_are_written_canonically() -> None:
    assert parse_amount("100", "JPY") == Money(100, "JPY")
    assert parse_amount("1.5", "KWD") == Money(1500, "KWD")
    assert parse_amount("0", "JPY") == Money(0, "JPY")
    assert parse_amount("12.300000000000000000", "CNY") == Money(1230, "CNY")
    for inexact in ("1234567890123.000000000000000001", "0.001", "1.5"):
        with pytest.raises(ValidationError):
            parse_amount(inexact, "CNY" if inexact != "1.5" else "JPY")
    with pytest.raises(ValidationError):
        parse_amount("10000000000000.01", "CNY")  # beyond Money's range
    assert Money(1500, "KWD").amount_str() == "1.500"
    when = datetime(2026, 8, 3, 4, 30, 0, 500000, tzinfo=UTC)
    assert wire_instant(when) == "2026-08-03T04:30:00.5Z"
    assert parse_wire_instant("2026-08-03T12:30:00.5+08:00") == when
    assert parse_wire_instant("2026-08-03T04:30:00.123456789Z").microsecond == 123456


# -- round trips -------------------------------------------------------------------------------

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
identifiers = st.text(min_size=1, max_size=24)
fingerprints = st.text(_ALPHABET, min_size=43, max_size=43).map(lambda t: "sha-256:" + t)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
methods = st.builds(
    PaymentMethodRef,
    st.from_regex(r"[a-z][a-z0-9+.-]{0,8}:[a-z0-9][a-z0-9._/-]{0,12}", fullmatch=True),
    st.from_regex(r"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})", fullmatch=True),
)
requests = st.one_of(
    st.builds(RequestBinding, st.sampled_from(["GET", "HEAD"]), fingerprints, st.none()),
    st.builds(
        RequestBinding, st.sampled_from(["POST", "PUT", "DELETE"]), fingerprints, identifiers
    ),
)
money = st.builds(Money, st.integers(0, 10**12), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), st.text(max_size=8)
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
extensions = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda key: not redefines_baseline(key)),
    json_values,
    min_size=1,
    max_size=4,
)
signatures = st.builds(
    MessageSignature,
    identifiers,
    st.sampled_from(["ED25519", "ES256"]),
    st.text(_ALPHABET, min_size=1, max_size=90),
)
confirmations = st.none() | st.builds(
    CommerceConfirmation, identifiers, fingerprints, st.none() | st.just("https://m.example/c/1")
)
requirements = st.builds(
    PaymentRequirement,
    payment_method=methods,
    out_trade_no=identifiers,
    amount=money,
    resource_id=identifiers,
    pay_before=instants,
    seller_id=identifiers,
    request=requests,
    replay_window_seconds=st.integers(1, 2_592_000),
    buyer_id=st.none() | identifiers,
    commerce_confirmation=confirmations,
    signature=signatures,
    extensions=extensions,
)
proofs = st.builds(
    PaymentProof,
    payment_method=methods,
    out_trade_no=identifiers,
    resource_id=identifiers,
    buyer_id=identifiers,
    credential=st.text(_ALPHABET, min_size=1, max_size=200),
    trade_no=identifiers,
    expires_at=instants,
    request=requests,
    extensions=extensions,
)


def _phases() -> list[tuple[Any, ...]]:
    """Every (validation, delivery, fulfillment, state) combination the model accepts."""
    accepted = []
    for combo in (
        (v, d, f, s)
        for v in ValidationStatus
        for d in DeliveryStatus
        for f in FulfillmentStatus
        for s in TransactionState
    ):
        try:
            _validation(*combo)
        except ValidationError:
            continue
        accepted.append(combo)
    return accepted


def _validation(
    status: ValidationStatus,
    delivery: DeliveryStatus,
    fulfillment: FulfillmentStatus,
    state: TransactionState,
    **changes: Any,
) -> PaymentValidation:
    fields: dict[str, Any] = {
        "payment_method": PaymentMethodRef("trustcart:a402/psp-credential", "1.0.0"),
        "out_trade_no": "ORDER-1",
        "resource_id": "resource-1",
        "trade_no": "T-1",
        "request_fingerprint": "sha-256:" + "A" * 43,
        "validation_status": status,
        "delivery_status": delivery,
        "fulfillment_status": fulfillment,
        "transaction_state": state,
        "validated_at": datetime(2026, 8, 3, tzinfo=UTC),
        "error": None if status is ValidationStatus.VALID else error_body(A402Code.PROOF_INVALID),
        "extensions": {"psp_id": "p"},
    }
    return PaymentValidation(**{**fields, **changes})


PHASES = _phases()
evidence = st.lists(
    st.builds(EvidenceRef, st.sampled_from(list(EvidenceType)), fingerprints),
    max_size=3,
    unique=True,
).map(tuple)
validations = st.builds(
    lambda combo, refs, ext, when: _validation(
        *combo, evidence=refs, extensions=ext, validated_at=when
    ),
    st.sampled_from(PHASES),
    evidence,
    extensions,
    instants,
)


@settings(max_examples=150, deadline=None)
@given(requirements)
def test_requirement_round_trip(requirement: PaymentRequirement) -> None:
    value = codec.encode_payment_needed(requirement)
    assert codec.decode_payment_needed(value) == requirement
    assert schema_errors("payment-needed.schema.json", codec.requirement_payload(requirement)) == []


@settings(max_examples=150, deadline=None)
@given(proofs)
def test_proof_round_trip(proof: PaymentProof) -> None:
    value = codec.encode_payment_proof(proof)
    assert codec.decode_payment_proof(value) == proof
    assert schema_errors("payment-proof.schema.json", codec.proof_payload(proof)) == []


@settings(max_examples=150, deadline=None)
@given(validations)
def test_validation_round_trip(validation: PaymentValidation) -> None:
    value = codec.encode_payment_validation(validation)
    assert codec.decode_payment_validation(value) == validation
    payload = codec.validation_payload(validation)
    assert schema_errors("payment-validation.schema.json", payload) == []


V, D, F, S = ValidationStatus, DeliveryStatus, FulfillmentStatus, TransactionState


def test_the_phase_rules_accept_the_honest_answers_and_refuse_later_claims() -> None:
    assert (V.VALID, D.NOT_STARTED, F.NOT_CONFIRMED, S.WAIT_SELLER_FULFILLMENT) in PHASES
    assert (V.VALID, D.DELIVERED, F.PENDING, S.WAIT_BUYER_RECEIPT) in PHASES
    assert (V.VALID, D.DELIVERED, F.CONFIRMED, S.TRADE_FINISHED) in PHASES
    assert (V.INVALID, D.NOT_STARTED, F.NOT_CONFIRMED, S.WAIT_BUYER_PAY) in PHASES
    assert (V.UNKNOWN, D.UNKNOWN, F.UNKNOWN, S.WAIT_BUYER_PAY) in PHASES
    for refused in (
        (V.INVALID, D.DELIVERED, F.NOT_CONFIRMED, S.WAIT_BUYER_PAY),  # failed yet delivered
        (V.UNKNOWN, D.NOT_STARTED, F.CONFIRMED, S.WAIT_BUYER_PAY),  # unknown yet confirmed
        (V.INVALID, D.NOT_STARTED, F.NOT_CONFIRMED, S.WAIT_SELLER_FULFILLMENT),  # failed yet paid
        (V.VALID, D.NOT_STARTED, F.NOT_CONFIRMED, S.WAIT_BUYER_PAY),  # valid yet unpaid
        (V.VALID, D.STARTED, F.CONFIRMED, S.TRADE_FINISHED),  # confirmed before delivery
        (V.VALID, D.DELIVERED, F.PENDING, S.WAIT_SELLER_FULFILLMENT),  # delivered, state behind
        (V.VALID, D.NOT_STARTED, F.NOT_CONFIRMED, S.WAIT_BUYER_RECEIPT),  # receipt undelivered
        (V.VALID, D.DELIVERED, F.PENDING, S.TRADE_FINISHED),  # finished unconfirmed
    ):
        assert refused not in PHASES, refused
    with pytest.raises(ValidationError):
        _validation(
            V.VALID,
            D.NOT_STARTED,
            F.NOT_CONFIRMED,
            S.TRADE_CLOSED,
            error=error_body(A402Code.PROOF_INVALID),
        )
    with pytest.raises(ValidationError):
        _validation(V.INVALID, D.NOT_STARTED, F.NOT_CONFIRMED, S.WAIT_BUYER_PAY, error=None)


def test_values_are_immutable() -> None:
    requirement = paid().requirement
    with pytest.raises(TypeError):
        requirement.extensions["psp_id"] = "other"  # type: ignore[index]
    nested = codec.requirement_from_payload({**FIXTURE, "method": {"list": [1, {"a": "b"}]}})
    assert nested.extensions["list"] == (1, {"a": "b"})
    with pytest.raises(TypeError):
        nested.extensions["list"][1]["a"] = "c"


def test_encoding_refuses_what_a402_cannot_carry() -> None:
    requirement = paid().requirement
    with pytest.raises(ValidationError):
        codec.encode_payment_needed(
            PaymentRequirement(**{**requirement.__dict__, "signature": None})
        )
    with pytest.raises(ValidationError):
        codec.encode_payment_needed(
            PaymentRequirement(**{**requirement.__dict__, "extensions": {}})
        )
    with pytest.raises(ValidationError):
        PaymentRequirement(**{**requirement.__dict__, "extensions": {"Trade_No": "x"}})
    with pytest.raises(ValidationError):
        PaymentRequirement(**{**requirement.__dict__, "extensions": {"x": 1.5}})
