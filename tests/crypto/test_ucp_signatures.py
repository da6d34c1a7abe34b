"""UCP's RFC 9421 profile: known answers from RFC 9421, tampering, replay, coverage, keys."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc.jwk import ECKey

from trustcart.conformance.rfc9421 import load_vectors
from trustcart.crypto.digest import DigestMismatch
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.ucp import (
    AlgorithmUnsupported,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)
from trustcart.crypto.httpsig.verification import (
    NonceReplayed,
    SignatureExpired,
    SignatureMissing,
    UnknownKey,
)
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.crypto.nonces import InMemoryNonceCache

NOW = datetime(2026, 12, 2, 8, tzinfo=UTC)
URL = "https://business.example/checkout-sessions"
KEY = SigningKey.generate("ES256")
KEYS = {"platform-2026": KEY.public}
BODY = b'{"line_items":[{"item":{"id":"p_1"},"quantity":2}]}'


def _request_headers(**extra: str) -> dict[str, str]:
    return {
        "Host": "business.example",
        "Content-Type": "application/json",
        "UCP-Agent": 'profile="https://platform.example/.well-known/ucp"',
        "Idempotency-Key": "550e8400-e29b-41d4-a716-446655440000",
        **extra,
    }


def _signed(body: bytes = BODY, nonce: str | None = "n-0123456789abcdef") -> dict[str, str]:
    headers = _request_headers()
    headers.update(sign_request("POST", URL, headers, body, KEY, "platform-2026", NOW, nonce=nonce))
    return headers


def _verify(headers: dict[str, str], body: bytes = BODY, **kw: object) -> object:
    cache = kw.pop("cache", InMemoryNonceCache())
    return verify_request(
        str(kw.pop("method", "POST")),
        str(kw.pop("url", URL)),
        headers,
        body,
        KEYS.get,
        kw.pop("now", NOW),  # type: ignore[arg-type]
        cache,  # type: ignore[arg-type]
    )


def _vector_key(name: str) -> PublicKey:
    pem = load_vectors()["keys"][name]["public_pem"]
    return PublicKey.from_jwk(ECKey.import_key(pem).as_dict(private=False))


def test_rfc9421_b24_response_verifies_in_the_ucp_profile() -> None:
    """B.2.4: a response signed with ecdsa-p256-sha256 over @status, type and digest."""
    vectors = load_vectors()
    case = next(c for c in vectors["cases"] if c["id"] == "B.2.4")
    message = vectors["messages"][case["message"]]
    label = case["signature_input"].split("=", 1)[0]
    headers = [
        *[(str(k), str(v)) for k, v in message["headers"]],
        ("Signature-Input", case["signature_input"]),
        ("Signature", case["signature"]),
    ]
    key = {"test-key-ecc-p256": _vector_key("test-key-ecc-p256")}
    created = datetime.fromtimestamp(1618884473, tz=UTC)
    verified = verify_response(200, headers, message["body"].encode(), key.get, created)
    assert (verified.keyid, verified.label) == ("test-key-ecc-p256", label)
    assert verified.covered_components[:3] == ("@status", "content-type", "content-digest")
    with pytest.raises(InvalidSignature):  # another status: the same bytes do not verify
        verify_response(201, headers, message["body"].encode(), key.get, created)
    with pytest.raises(DigestMismatch):
        verify_response(200, headers, b'{"message": "bad dog"}', key.get, created)
    flipped = bytearray(base64.b64decode(case["signature"].split(":")[1]))
    flipped[5] ^= 1
    tampered = [
        *headers[:-1],
        ("Signature", f"{label}=:{base64.b64encode(bytes(flipped)).decode()}:"),
    ]
    with pytest.raises(InvalidSignature):
        verify_response(200, tampered, message["body"].encode(), key.get, created)


def test_rfc9421_request_vector_is_refused_for_not_covering_what_ucp_requires() -> None:
    """4.3 sig1 verifies as RFC 9421 but covers neither @query nor idempotency-key."""
    vectors = load_vectors()
    case = next(c for c in vectors["cases"] if c["id"] == "4.3-sig1")
    message = vectors["messages"][case["message"]]
    headers = [
        *[(str(k), str(v)) for k, v in message["headers"]],
        ("Signature-Input", case["signature_input"]),
        ("Signature", case["signature"]),
    ]
    key = {"test-key-ecc-p256": _vector_key("test-key-ecc-p256")}
    created = datetime.fromtimestamp(1618884475, tz=UTC)
    with pytest.raises(InvalidSignature, match="does not cover @query"):
        verify_request(
            "POST",
            message["url"],
            headers,
            message["body"].encode(),
            key.get,
            created,
            InMemoryNonceCache(),
        )


def test_signed_request_verifies_and_says_what_it_covers() -> None:
    headers = _signed()
    assert headers["Signature-Input"].startswith(
        'sig1=("@method" "@authority" "@path" "ucp-agent" "idempotency-key" '
        '"content-digest" "content-type");created='
    )
    assert "alg=" not in headers["Signature-Input"]  # UCP: the algorithm comes from the key
    assert len(base64.b64decode(headers["Signature"].split(":")[1])) == 64  # raw r||s
    verified = _verify(headers)
    assert verified.keyid == "platform-2026"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Idempotency-Key", "another-key-0000"),
        ("UCP-Agent", 'profile="https://evil.example/.well-known/ucp"'),
        ("Content-Type", "text/plain"),
        ("Host", "other.example"),
    ],
)
def test_a_tampered_signed_header_is_refused(name: str, value: str) -> None:
    headers = _signed()
    headers[name] = value
    url = "https://other.example/checkout-sessions" if name == "Host" else URL
    with pytest.raises(InvalidSignature):
        _verify(headers, url=url)


def test_tampered_body_method_and_path_are_refused() -> None:
    headers = _signed()
    with pytest.raises(DigestMismatch):
        _verify(headers, BODY.replace(b"2", b"9"))
    with pytest.raises(InvalidSignature):
        _verify(headers, method="PUT")
    with pytest.raises(InvalidSignature):
        _verify(headers, url="https://business.example/carts")
    forged = dict(headers, **{"Content-Digest": "sha-256=:" + "A" * 43 + "=:"})
    with pytest.raises(DigestMismatch):
        _verify(forged)


def test_replayed_nonce_is_refused_and_another_platform_key_is_unknown() -> None:
    cache = InMemoryNonceCache()
    headers = _signed()
    _verify(headers, cache=cache)
    with pytest.raises(NonceReplayed):
        _verify(headers, cache=cache)
    other = SigningKey.generate("ES256")
    stranger = _request_headers()
    stranger.update(
        sign_request("POST", URL, stranger, BODY, other, "stranger", NOW, nonce="n" * 16)
    )
    with pytest.raises(UnknownKey):
        _verify(stranger)
    impostor = _request_headers()
    impostor.update(
        sign_request("POST", URL, impostor, BODY, other, "platform-2026", NOW, nonce="m" * 16)
    )
    with pytest.raises(InvalidSignature):  # the right kid, the wrong key
        _verify(impostor)


def test_missing_stale_and_future_signatures_are_refused() -> None:
    with pytest.raises(SignatureMissing):
        _verify(_request_headers())
    headers = _signed()
    with pytest.raises(SignatureExpired):
        _verify(headers, now=NOW + timedelta(minutes=6))
    with pytest.raises(SignatureExpired):
        _verify(headers, now=NOW - timedelta(minutes=1))


def test_alg_that_is_not_the_keys_is_refused() -> None:
    headers = _signed()
    headers["Signature-Input"] = headers["Signature-Input"] + ';alg="ed25519"'
    with pytest.raises(AlgorithmUnsupported):
        _verify(headers)


def test_a_request_without_idempotency_key_cannot_be_signed_or_pass() -> None:
    headers = _request_headers()
    del headers["Idempotency-Key"]
    with pytest.raises(ValueError, match="Idempotency-Key"):
        sign_request("POST", URL, headers, BODY, KEY, "platform-2026", NOW)
    get = {"Host": "business.example", "UCP-Agent": headers["UCP-Agent"]}
    get.update(sign_request("GET", URL, get, b"", KEY, "platform-2026", NOW))
    _verify(get, b"", method="GET")
    with pytest.raises(InvalidSignature):  # the same signature, replayed as a POST
        _verify(get, b"", method="POST")


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=200), st.integers(0, 199), st.integers(1, 255))
def test_response_signature_binds_every_byte_of_the_body(body: bytes, at: int, xor: int) -> None:
    headers = {"Content-Type": "application/json"}
    headers.update(sign_response(200, headers, body, KEY, "business", NOW))
    verify_response(200, headers, body, {"business": KEY.public}.get, NOW)
    changed = bytearray(body)
    changed[at % len(body)] ^= xor
    with pytest.raises(InvalidSignature):
        verify_response(200, headers, bytes(changed), {"business": KEY.public}.get, NOW)
