"""The x402 v2 codec: round trips, strict refusals, and fuzzing with one rule (only
``X402Error`` escapes)."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustcart.payments.x402.codec import (
    ExactAuthorization,
    ExactRequirements,
    decode_payment_required,
    decode_payment_signature,
    encode_payment_required,
)
from trustcart.payments.x402.errors import X402Error, X402Reason

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REQUIREMENTS = ExactRequirements(
    "eip155:84532",
    "0x" + "AB" * 20,
    10_000,
    "0x" + "cd" * 20,
    300,
    {"name": "USDC", "version": "2"},
)


def _signature_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "x402Version": 2,
        "resource": {"url": "http://127.0.0.1/paid/x"},
        "accepted": REQUIREMENTS.to_json(),
        "payload": {
            "signature": "0x" + "11" * 65,
            "authorization": {
                "from": "0x" + "ee" * 20,
                "to": "0x" + "cd" * 20,
                "value": "10000",
                "validAfter": "0",
                "validBefore": "1900000000",
                "nonce": "0x" + "22" * 32,
            },
        },
    }
    document.update(changes)
    return document


def _encode(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def test_a_payment_signature_decodes_into_values() -> None:
    payment = decode_payment_signature(_encode(_signature_document()))
    assert payment.accepted == REQUIREMENTS
    assert payment.accepted.asset == "0x" + "ab" * 20  # addresses compare in lower case
    assert payment.authorization == ExactAuthorization(
        "0x" + "EE" * 20, "0x" + "cd" * 20, 10_000, 0, 1_900_000_000, "0x" + "22" * 32
    )
    assert payment.resource_url == "http://127.0.0.1/paid/x"


def test_payment_required_round_trips() -> None:
    header = encode_payment_required([REQUIREMENTS], url="http://x/r", error="x402-expired")
    assert decode_payment_required(header) == ([REQUIREMENTS], "http://x/r")
    assert json.loads(base64.b64decode(header))["error"] == "x402-expired"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (_signature_document(x402Version=1), X402Reason.VERSION_UNSUPPORTED),
        (
            _signature_document(accepted={**REQUIREMENTS.to_json(), "scheme": "upto"}),
            X402Reason.SCHEME_UNSUPPORTED,
        ),
        (
            _signature_document(accepted={**REQUIREMENTS.to_json(), "amount": "1.5"}),
            X402Reason.HEADER_INVALID,
        ),
        (
            _signature_document(accepted={**REQUIREMENTS.to_json(), "payTo": "0x12"}),
            X402Reason.HEADER_INVALID,
        ),
        (_signature_document(payload={"signature": "0x11"}), X402Reason.HEADER_INVALID),
        ([1, 2], X402Reason.HEADER_INVALID),
    ],
)
def test_malformed_payment_signatures_are_refused(document: Any, reason: X402Reason) -> None:
    with pytest.raises(X402Error) as refused:
        decode_payment_signature(_encode(document))
    assert refused.value.reason is reason


def test_a_float_or_boolean_amount_is_refused() -> None:
    for bad in (True, 1.5, -1, "01"):
        document = _signature_document()
        document["payload"]["authorization"]["value"] = bad
        with pytest.raises(X402Error):
            decode_payment_signature(_encode(document))


@FUZZ
@given(st.text(max_size=300))
def test_fuzzed_text_raises_only_x402_error(text: str) -> None:
    with contextlib.suppress(X402Error):
        decode_payment_signature(text)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzzed_base64_raises_only_x402_error(raw: bytes) -> None:
    with contextlib.suppress(X402Error):
        decode_payment_signature(base64.b64encode(raw).decode())


_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.just([])
)


@FUZZ
@given(st.lists(st.sampled_from(["accepted", "payload", "resource"]), min_size=1), _LEAVES)
def test_mutated_payloads_raise_only_x402_error(path: list[str], leaf: Any) -> None:
    document = copy.deepcopy(_signature_document())
    node: Any = document
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
    node[path[-1]] = leaf
    with contextlib.suppress(X402Error):
        decode_payment_signature(_encode(document))
