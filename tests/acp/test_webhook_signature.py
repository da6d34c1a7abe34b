"""ACP ``Merchant-Signature``: HMAC-SHA256 over ``<t>.<raw body>``, checked independently of
our own code, against the pinned header pattern, and every tampering tried."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.acp import SPEC
from trustcart.commerce.acp.webhooks import sign_merchant_signature, verify_merchant_signature
from trustcart.crypto.errors import InvalidSignature

SECRET = "whsec_test_secret"
T = 1764662400  # 2025-12-02T08:00:00Z
NOW = datetime.fromtimestamp(T, UTC)
BODY = b'{"type":"order_create","data":{"type":"order","id":"ord_1"}}'


def pinned_pattern() -> re.Pattern[str]:
    document = yaml.safe_load(
        (SPEC / "openapi" / "openapi.agentic_checkout_webhook.yaml").read_text(encoding="utf-8")
    )
    parameters = document["paths"]["/agentic_checkout/webhooks/order_events"]["post"]["parameters"]
    header = next(p for p in parameters if p["name"] == "Merchant-Signature")
    return re.compile(header["schema"]["pattern"])


def test_the_header_is_the_spec_hmac_of_timestamp_dot_body() -> None:
    header = sign_merchant_signature(BODY, SECRET, T)
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={T},v1={expected}"
    assert pinned_pattern().match(header)
    verify_merchant_signature(header, BODY, SECRET, NOW)


@pytest.mark.parametrize(
    ("header", "body", "secret", "now"),
    [
        (None, BODY, SECRET, NOW),  # missing
        ("", BODY, SECRET, NOW),
        ("v1,1764662400,abc", BODY, SECRET, NOW),  # the RFC's example shape, not the OpenAPI's
        (f"t={T},v1=" + "0" * 64, BODY, SECRET, NOW),  # wrong MAC
        (f"t={T},v1=" + "0" * 63, BODY, SECRET, NOW),  # malformed
        (f"t={T},v1={'g' * 64}", BODY, SECRET, NOW),
        (" t=1,v1=" + "0" * 64, BODY, SECRET, NOW),
        ("SIGNED", BODY + b" ", SECRET, NOW),  # tampered body
        ("SIGNED", BODY, SECRET + "x", NOW),  # another secret
        ("SIGNED", BODY, SECRET, NOW + timedelta(seconds=301)),  # replayed late
        ("SIGNED", BODY, SECRET, NOW - timedelta(seconds=301)),  # from the future
        ("RESTAMPED", BODY, SECRET, NOW),  # the MAC of t, under another t
    ],
)
def test_every_tampering_is_refused(
    header: str | None, body: bytes, secret: str, now: datetime
) -> None:
    if header == "SIGNED":
        header = sign_merchant_signature(BODY, SECRET, T)
    elif header == "RESTAMPED":
        header = sign_merchant_signature(BODY, SECRET, T).replace(f"t={T}", f"t={T + 1}")
    with pytest.raises(InvalidSignature):
        verify_merchant_signature(header, body, secret, now)


def test_the_window_is_inclusive_at_300_seconds() -> None:
    header = sign_merchant_signature(BODY, SECRET, T)
    verify_merchant_signature(header, BODY, SECRET, NOW + timedelta(seconds=300))
    verify_merchant_signature(
        header.upper().replace("T=", "t=").replace("V1=", "v1="), BODY, SECRET, NOW
    )


@given(st.binary(max_size=512), st.integers(min_value=0, max_value=511), st.integers(1, 255))
def test_any_changed_byte_breaks_the_signature(body: bytes, index: int, flip: int) -> None:
    header = sign_merchant_signature(body, SECRET, T)
    verify_merchant_signature(header, body, SECRET, NOW)
    if body:
        changed = bytearray(body)
        changed[index % len(body)] ^= flip
        with pytest.raises(InvalidSignature):
            verify_merchant_signature(header, bytes(changed), SECRET, NOW)
