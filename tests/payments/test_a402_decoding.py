"""Strict A402 decoding: each documented defect, refused with its reason and ACT-A402 code."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import rfc8785

from tests.helpers.a402 import load, paid, schema_errors
from trustcart.payments.a402 import codec
from trustcart.payments.a402.body import error_body
from trustcart.payments.a402.codes import A402Code, HeaderDefect
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.fields import parse_wire_instant
from trustcart.payments.a402.gate import validation_for
from trustcart.payments.a402.model import (
    BASELINE_FIELDS,
    DeliveryStatus,
    FulfillmentStatus,
    redefines_baseline,
)
from trustcart.payments.a402.states import TransactionState
from trustcart.payments.a402.validation import validate_proof
from trustcart.payments.a402.wire import MAX_HEADER_CHARS

FIXTURE = load("fixtures/valid/payment-needed.json")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def header(payload: Any) -> str:
    return b64(rfc8785.dumps(payload))


def mutated(change: Any) -> str:
    payload = copy.deepcopy(FIXTURE)
    change(payload)
    return header(payload)


def _set(path: str, value: Any) -> Any:
    layer, name = path.split(".")
    return lambda payload: payload[layer].__setitem__(name, value)


def _drop(path: str) -> Any:
    layer, name = path.split(".")
    return lambda payload: payload[layer].pop(name)


CANONICAL = header(FIXTURE)
REFUSALS: dict[str, tuple[Any, HeaderDefect]] = {
    "not text": (b"eyJ9", HeaderDefect.NOT_BASE64URL),
    "empty": ("", HeaderDefect.NOT_BASE64URL),
    "oversize": ("A" * (MAX_HEADER_CHARS + 1), HeaderDefect.TOO_LARGE),
    "padded": (b64(b'{"a":"12"}') + "=", HeaderDefect.PADDED),
    "padding in the middle": ("eyJh=IjoiMSJ9", HeaderDefect.PADDED),
    "standard alphabet": (base64.b64encode(b'{"ab":">>?"}').decode(), HeaderDefect.NOT_BASE64URL),
    "whitespace": (" " + CANONICAL, HeaderDefect.NOT_BASE64URL),
    "impossible length": ("AAAAA", HeaderDefect.NOT_BASE64URL),
    "non-zero spare bits": ("QR", HeaderDefect.NOT_BASE64URL),  # "QQ" is the canonical "A"
    "not UTF-8": (b64(b'{"a":"\xc3\x28"}'), HeaderDefect.NOT_UTF8),
    "byte-order mark": (b64(b"\xef\xbb\xbf{}"), HeaderDefect.NOT_JSON),
    "not JSON": (b64(b"{protocol}"), HeaderDefect.NOT_JSON),
    "NaN": (b64(b'{"a": NaN}'), HeaderDefect.NOT_JSON),
    "duplicate key": (
        b64(b'{"protocol": {}, "protocol": {}, "method": {}}'),
        HeaderDefect.DUPLICATE_KEY,
    ),
    "nested duplicate": (
        b64(b'{"protocol": {"amount": "1", "amount": "2"}, "method": {"a": 1}}'),
        HeaderDefect.DUPLICATE_KEY,
    ),
    "float": (
        b64(b'{"protocol": {"replay_window_seconds": 60.0}, "method": {}}'),
        HeaderDefect.JSON_UNSUPPORTED,
    ),
    "huge integer": (b64(b'{"a": 9007199254740993}'), HeaderDefect.JSON_UNSUPPORTED),
    "lone surrogate": (b64(b'{"a": "\\ud800"}'), HeaderDefect.JSON_UNSUPPORTED),
    "deep nesting": (b64(b'{"a":' + b"[" * 40 + b"]" * 40 + b"}"), HeaderDefect.JSON_UNSUPPORTED),
    "array": (b64(b"[]"), HeaderDefect.NOT_OBJECT),
    "string": (b64(b'"protocol"'), HeaderDefect.NOT_OBJECT),
    "no method layer": (header({"protocol": FIXTURE["protocol"]}), HeaderDefect.ENVELOPE_INVALID),
    "extra top-level member": (header({**FIXTURE, "extra": {}}), HeaderDefect.ENVELOPE_INVALID),
    "flat payload": (header(FIXTURE["protocol"]), HeaderDefect.ENVELOPE_INVALID),
    "method not an object": (header({**FIXTURE, "method": ["a"]}), HeaderDefect.ENVELOPE_INVALID),
    "empty method": (header({**FIXTURE, "method": {}}), HeaderDefect.ENVELOPE_INVALID),
    "method redefines amount": (
        mutated(_set("method.amount", "0.00")),
        HeaderDefect.BASELINE_REDEFINED,
    ),
    "method redefines in capitals": (
        mutated(_set("method.AMOUNT", "0.00")),
        HeaderDefect.BASELINE_REDEFINED,
    ),
    "method redefines with hyphen": (
        mutated(_set("method.trade-no", "T")),
        HeaderDefect.BASELINE_REDEFINED,
    ),
    "method redefines with space": (
        mutated(_set("method.Resource Id", "r")),
        HeaderDefect.BASELINE_REDEFINED,
    ),
    "method redefines the signer": (
        mutated(_set("method.signer_id", "me")),
        HeaderDefect.BASELINE_REDEFINED,
    ),
    "unknown protocol field": (mutated(_set("protocol.discount", "1")), HeaderDefect.FIELD_UNKNOWN),
    "missing amount": (mutated(_drop("protocol.amount")), HeaderDefect.FIELD_MISSING),
    "missing signature": (mutated(_drop("protocol.signature_content")), HeaderDefect.FIELD_MISSING),
    "non-safe without idempotency key": (
        mutated(_drop("protocol.idempotency_key")),
        HeaderDefect.FIELD_INVALID,
    ),
    "amount as number": (mutated(_set("protocol.amount", 1)), HeaderDefect.FIELD_INVALID),
    "amount below a fen": (mutated(_set("protocol.amount", "0.001")), HeaderDefect.FIELD_INVALID),
    "negative amount": (mutated(_set("protocol.amount", "-1.00")), HeaderDefect.FIELD_INVALID),
    "amount with exponent": (mutated(_set("protocol.amount", "1e2")), HeaderDefect.FIELD_INVALID),
    "full-width digits": (mutated(_set("protocol.amount", "１.00")), HeaderDefect.FIELD_INVALID),
    "unknown currency": (mutated(_set("protocol.currency", "XYZ")), HeaderDefect.FIELD_INVALID),
    "lowercase currency": (mutated(_set("protocol.currency", "cny")), HeaderDefect.FIELD_INVALID),
    "naive instant": (
        mutated(_set("protocol.pay_before", "2026-08-03T12:30:00")),
        HeaderDefect.FIELD_INVALID,
    ),
    "date only": (mutated(_set("protocol.pay_before", "2026-08-03")), HeaderDefect.FIELD_INVALID),
    "impossible date": (
        mutated(_set("protocol.pay_before", "2026-02-30T00:00:00Z")),
        HeaderDefect.FIELD_INVALID,
    ),
    "window as boolean": (
        mutated(_set("protocol.replay_window_seconds", True)),
        HeaderDefect.FIELD_INVALID,
    ),
    "window too long": (
        mutated(_set("protocol.replay_window_seconds", 2_592_001)),
        HeaderDefect.FIELD_INVALID,
    ),
    "null field": (mutated(_set("protocol.buyer_unique_id", None)), HeaderDefect.FIELD_INVALID),
    "empty identifier": (mutated(_set("protocol.resource_id", "")), HeaderDefect.FIELD_INVALID),
    "long identifier": (
        mutated(_set("protocol.resource_id", "r" * 257)),
        HeaderDefect.FIELD_INVALID,
    ),
    "bad method id": (mutated(_set("protocol.method_id", "Example")), HeaderDefect.FIELD_INVALID),
    "bad version": (mutated(_set("protocol.method_version", "1.0")), HeaderDefect.FIELD_INVALID),
    "bad fingerprint": (
        mutated(_set("protocol.request_fingerprint", "sha-256:short")),
        HeaderDefect.FIELD_INVALID,
    ),
    "lowercase request method": (
        mutated(_set("protocol.request_method", "get")),
        HeaderDefect.FIELD_INVALID,
    ),
    "padded signature": (
        mutated(_set("protocol.signature_content", "ZXhh==")),
        HeaderDefect.FIELD_INVALID,
    ),
    "confirmation extra member": (
        mutated(lambda p: p["protocol"]["commerce_confirmation"].__setitem__("cart", [])),
        HeaderDefect.FIELD_INVALID,
    ),
}


@pytest.mark.parametrize(("value", "defect"), REFUSALS.values(), ids=list(REFUSALS))
def test_strict_decoding_refuses_with_the_documented_defect(
    value: Any, defect: HeaderDefect
) -> None:
    with pytest.raises(HeaderRefused) as refused:
        codec.decode_payment_needed(value)
    assert refused.value.defect is defect
    assert refused.value.code is (
        A402Code.METHOD_UNSUPPORTED
        if defect in (HeaderDefect.ENVELOPE_INVALID, HeaderDefect.BASELINE_REDEFINED)
        else A402Code.REQUEST_INVALID
    )


def test_the_baseline_list_holds_the_fourteen_fields_of_section_5_1() -> None:
    section_5_1 = {
        "method_id", "out_trade_no", "amount", "currency", "resource_id", "pay_before",
        "seller_unique_id", "buyer_unique_id", "payment_proof", "trade_no", "expires_at",
        "signer_id", "signature_content", "signature_type",
    }  # fmt: skip
    assert section_5_1 <= BASELINE_FIELDS
    assert not redefines_baseline("seller_unique_id_key")  # the spec's own example


def test_payment_proof_and_validation_decoders_are_strict_too() -> None:
    proof = codec.proof_payload(paid().proof)
    with pytest.raises(HeaderRefused) as refused:
        codec.decode_payment_proof(
            header({**proof, "method": {**proof["method"], "trade_no": "T-9"}})
        )
    assert refused.value.defect is HeaderDefect.BASELINE_REDEFINED
    with pytest.raises(HeaderRefused) as refused:
        codec.decode_payment_proof(
            header({**proof, "protocol": {**proof["protocol"], "amount": "1.00"}})
        )
    assert refused.value.defect is HeaderDefect.FIELD_UNKNOWN  # a proof carries no amount
    p = paid()
    payment = validate_proof(
        p.requirement, p.proof, request=p.request, credentials=p.credentials, seen=(), now=p.now
    )
    answer = validation_for(
        payment,
        delivery_status=DeliveryStatus.NOT_STARTED,
        fulfillment_status=FulfillmentStatus.NOT_CONFIRMED,
        transaction_state=TransactionState.WAIT_SELLER_FULFILLMENT,
    )
    payload = codec.validation_payload(answer)
    payload["protocol"]["transaction_state"] = "PAID"  # only the six states are accepted
    with pytest.raises(HeaderRefused) as refused:
        codec.decode_payment_validation(header(payload))
    assert refused.value.defect is HeaderDefect.FIELD_INVALID
    payload["protocol"]["transaction_state"] = "WAIT_SELLER_FULFILLMENT"
    payload["protocol"]["error"] = error_body(A402Code.PROOF_INVALID).to_json()
    with pytest.raises(HeaderRefused):  # VALID with an error
        codec.decode_payment_validation(header(payload))
    assert schema_errors("payment-validation.schema.json", payload) != []


def test_instants_move_only_earlier_when_truncated() -> None:
    instant = parse_wire_instant("2026-08-03T12:30:00.9999999Z")
    assert instant < datetime(2026, 8, 3, 12, 30, 1, tzinfo=UTC)
    assert instant - datetime(2026, 8, 3, 12, 30, tzinfo=UTC) < timedelta(seconds=1)
