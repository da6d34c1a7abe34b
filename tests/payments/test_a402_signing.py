"""The seller's Payment-Needed signature and the PSP's credential: made, verified, attacked."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from tests.helpers.a402 import paid
from trustcart.core.errors import ValidationError
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url, canonicalize
from trustcart.crypto.keys import SigningKey
from trustcart.payments.a402 import codec
from trustcart.payments.a402.credential import (
    EXAMPLE_CREDENTIAL,
    PspCredentials,
    credential_claims,
    credential_from_claims,
    issue_credential,
)
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.signing import sign_requirement, signing_input, verify_payment_needed
from trustcart.payments.a402.wire import decode_json_header, encode_json_header


def _reencode(value: str, change: Any) -> str:
    payload = decode_json_header(value)
    change(payload)
    return encode_json_header(payload)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_a_signed_requirement_verifies(alg: Any) -> None:
    p = paid(alg)
    value = codec.encode_payment_needed(p.requirement)
    assert verify_payment_needed(value, {p.seller.kid: p.seller.public}) == p.requirement
    signature = p.requirement.signature
    assert signature is not None
    assert signature.signer_id == p.seller.kid
    assert signature.signature_type == {"EdDSA": "ED25519", "ES256": "ES256"}[alg]


def test_ed25519_signature_is_over_the_documented_bytes() -> None:
    p = paid()
    payload = codec.requirement_payload(p.requirement)
    protocol = {k: v for k, v in payload["protocol"].items() if k != "signature_content"}
    expected = canonicalize({"protocol": protocol, "method": payload["method"]})
    assert signing_input(payload) == expected
    signature = p.requirement.signature
    assert signature is not None
    assert signature.value == b64url(p.seller.sign(expected))  # Ed25519 is deterministic


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["protocol"].__setitem__("amount", "0.01"),
        lambda d: d["protocol"].__setitem__("resource_id", "resource-2"),
        lambda d: d["protocol"].__setitem__("pay_before", "2030-01-01T00:00:00Z"),
        lambda d: d["protocol"].__setitem__("seller_unique_id", "attacker"),
        lambda d: d["method"].__setitem__("psp_id", "attacker-psp"),
        lambda d: d["method"].__setitem__("endpoint", "https://attacker.example/pay"),
        lambda d: d["protocol"].__setitem__("signature_type", "ES256"),
    ],
    ids=["amount", "resource", "deadline", "seller", "psp", "added method field", "type"],
)
def test_any_change_breaks_the_signature(change: Any) -> None:
    p = paid()
    value = _reencode(codec.encode_payment_needed(p.requirement), change)
    with pytest.raises(InvalidSignature):
        verify_payment_needed(value, {p.seller.kid: p.seller.public})


def test_unknown_signer_and_wrong_key_are_refused() -> None:
    p = paid()
    value = codec.encode_payment_needed(p.requirement)
    other = SigningKey.generate()
    with pytest.raises(InvalidSignature):
        verify_payment_needed(value, {})
    with pytest.raises(InvalidSignature):
        verify_payment_needed(value, {p.seller.kid: other.public})
    with pytest.raises(InvalidSignature):
        verify_payment_needed(value, lambda kid: None)
    with pytest.raises(HeaderRefused):
        verify_payment_needed("not a header", {p.seller.kid: p.seller.public})


def test_verification_is_over_the_payload_as_received() -> None:
    # A peer that writes "19.900" and an offset instant signs those bytes; they verify as sent.
    p = paid()
    payload = copy.deepcopy(codec.requirement_payload(p.requirement))
    payload["protocol"]["amount"] = "19.900"
    payload["protocol"]["pay_before"] = "2026-08-03T20:10:00+08:00"
    signature = b64url(p.seller.sign(signing_input(payload)))
    payload["protocol"]["signature_content"] = signature
    raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    verified = verify_payment_needed(raw, {p.seller.kid: p.seller.public})
    assert replace(verified, signature=p.requirement.signature) == p.requirement


def test_signing_replaces_an_earlier_signature() -> None:
    p = paid()
    other = SigningKey.generate()
    again = sign_requirement(p.requirement, other)
    assert again.signature is not None
    assert again.signature.signer_id == other.kid
    verify_payment_needed(codec.encode_payment_needed(again), {other.kid: other.public})


# -- the PSP credential ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_credentials_round_trip_and_name_their_issuer(alg: Any) -> None:
    psp = SigningKey.generate(alg)
    verified = PspCredentials({psp.kid: psp.public}).verify(
        issue_credential(EXAMPLE_CREDENTIAL, psp)
    )
    assert verified.credential == EXAMPLE_CREDENTIAL
    assert verified.issuer == psp.kid
    assert verified.replay_key == f"{psp.kid}:{EXAMPLE_CREDENTIAL.trade_no}"
    assert credential_from_claims(credential_claims(EXAMPLE_CREDENTIAL)) == EXAMPLE_CREDENTIAL


def test_a_credential_is_opaque_when_it_fails() -> None:
    psp = SigningKey.generate()
    verifier = PspCredentials({psp.kid: psp.public})
    token = issue_credential(EXAMPLE_CREDENTIAL, psp)
    for bad in (token + "=", token[:-4], "AAAA", b64url(b"a.b.c"), b64url("é.é.é".encode())):
        with pytest.raises(InvalidSignature):
            verifier.verify(bad)
    with pytest.raises(InvalidSignature):
        PspCredentials({}).verify(token)


@pytest.mark.parametrize(
    "change",
    [
        {"expires_at": EXAMPLE_CREDENTIAL.paid_at},
        {"amount": "not money"},
        {"trade_no": ""},
        {"method_id": "Not-A-Method"},
        {"request_fingerprint": "sha-256:x"},
        {"paid_at": EXAMPLE_CREDENTIAL.paid_at.replace(tzinfo=None)},
    ],
)
def test_credentials_validate_when_built(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        replace(EXAMPLE_CREDENTIAL, **change)
