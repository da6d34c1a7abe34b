"""Fuzz the A402 decoders with one rule: only ``HeaderRefused`` may escape.

Inputs go from raw text and bytes, through Base64URL of arbitrary bytes, to single mutations of
valid payloads. A decoder that accepts a mutated payload must also produce a payload the pinned
schema accepts: the strict decoder is never laxer than the schema.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.helpers.a402 import load, paid, schema_errors
from trustcart.payments.a402 import codec
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.gate import validation_for
from trustcart.payments.a402.model import BASELINE_FIELDS, DeliveryStatus, FulfillmentStatus
from trustcart.payments.a402.states import TransactionState
from trustcart.payments.a402.validation import validate_proof
from trustcart.payments.a402.wire import encode_json_header

DECODERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "payment-needed": (codec.decode_payment_needed, "payment-needed.schema.json"),
    "payment-proof": (codec.decode_payment_proof, "payment-proof.schema.json"),
    "payment-validation": (codec.decode_payment_validation, "payment-validation.schema.json"),
}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_payloads() -> dict[str, dict[str, Any]]:
    p = paid("EdDSA", "POST")
    payment = validate_proof(
        p.requirement, p.proof, request=p.request, credentials=p.credentials, seen=(), now=p.now
    )
    answer = validation_for(
        payment,
        delivery_status=DeliveryStatus.NOT_STARTED,
        fulfillment_status=FulfillmentStatus.NOT_CONFIRMED,
        transaction_state=TransactionState.WAIT_SELLER_FULFILLMENT,
    )
    return {
        "payment-needed": load("fixtures/valid/payment-needed.json"),
        "payment-proof": codec.proof_payload(p.proof),
        "payment-validation": codec.validation_payload(answer),
    }


VALID = _valid_payloads()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_or_refuse(kind: str, value: Any) -> Any:
    """Decode; a refusal is fine, any other exception fails the test by escaping."""
    decode, _ = DECODERS[kind]
    try:
        return decode(value)
    except HeaderRefused:
        return None


kinds = st.sampled_from(sorted(DECODERS))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["0.01", "CNY", "GET", "POST", "2026-08-03T12:00:00Z", "sha-256:" + "A" * 43]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
field_names = st.sampled_from(sorted(BASELINE_FIELDS)) | st.text(max_size=12)


@FUZZ
@given(kinds, st.text(max_size=300))
def test_arbitrary_text(kind: str, text: str) -> None:
    decode_or_refuse(kind, text)


@FUZZ
@given(kinds, st.binary(max_size=600))
def test_base64url_of_arbitrary_bytes(kind: str, data: bytes) -> None:
    decode_or_refuse(kind, b64(data))


@FUZZ
@given(kinds, json_values)
def test_arbitrary_json(kind: str, value: Any) -> None:
    try:
        text = json.dumps(value)
    except ValueError:
        return
    decode_or_refuse(kind, b64(text.encode("utf-8", "surrogatepass")))


@FUZZ
@given(kinds, st.data())
def test_single_mutations_of_valid_payloads(kind: str, data: st.DataObject) -> None:
    payload = copy.deepcopy(VALID[kind])
    layer = data.draw(st.sampled_from(["protocol", "method"]))
    target = payload[layer]
    action = data.draw(st.sampled_from(["set", "delete", "add"]))
    if action == "delete" and target:
        del target[data.draw(st.sampled_from(sorted(target)))]
    elif action == "set" and target:
        target[data.draw(st.sampled_from(sorted(target)))] = data.draw(json_values)
    else:
        target[data.draw(field_names)] = data.draw(json_values)
    try:
        text = json.dumps(payload)
    except ValueError:
        return
    decoded = decode_or_refuse(kind, b64(text.encode("utf-8", "surrogatepass")))
    event("accepted" if decoded is not None else "refused")
    if decoded is not None:
        _, schema = DECODERS[kind]
        assert schema_errors(schema, payload) == [], payload


@FUZZ
@given(kinds, st.data())
def test_character_level_mutations_of_valid_headers(kind: str, data: st.DataObject) -> None:
    header = encode_json_header(VALID[kind])
    position = data.draw(st.integers(0, len(header) - 1))
    replacement = data.draw(st.sampled_from("AZaz09-_=+/ .é"))
    cut = data.draw(st.booleans())
    mutated = header[:position] if cut else header[:position] + replacement + header[position + 1 :]
    decode_or_refuse(kind, mutated)


def test_the_valid_payloads_decode() -> None:
    # The fuzzing above starts from values that really are valid.
    for kind, payload in VALID.items():
        decode, schema = DECODERS[kind]
        assert decode(b64(json.dumps(payload).encode())) is not None
        assert schema_errors(schema, payload) == []
