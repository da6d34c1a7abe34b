"""RFC 9421 signing and verification in trustcart's profile; every check has a test that
tries to get past it, for Ed25519 and ES256 alike."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import HTTPMessageSigner

from tests.helpers.clock import T0
from trustcart.core.errors import ValidationError
from trustcart.crypto.digest import DigestMismatch, make_content_digest
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.fields import FieldLines, HttpRequestView
from trustcart.crypto.httpsig.profile import algorithm_for, new_nonce
from trustcart.crypto.httpsig.signing import sign_request
from trustcart.crypto.httpsig.verification import (
    NonceReplayed,
    SignatureExpired,
    SignatureMissing,
    UnknownKey,
    verify_request,
)
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.crypto.nonces import InMemoryNonceCache

URL = "https://merchant.example/checkout-sessions?currency=CNY"
BODY = b'{"items":[{"id":"p_1","quantity":1}]}'
HEADERS = {"Content-Type": "application/json", "Idempotency-Key": "idem-1"}
NONCE = "bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2U"
# RFC 9421 Appendix B.1.4 test-key-ed25519, as a JWK (RFC 8037).
RFC_ED25519 = {
    "kty": "OKP",
    "crv": "Ed25519",
    "x": "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs",
    "d": "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU",
}


@pytest.fixture(params=["EdDSA", "ES256"])
def key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(request.param)


def resolver(*keys: SigningKey) -> Callable[[str], PublicKey | None]:
    table = {k.kid: k.public for k in keys}
    return table.get


def signed(
    key: SigningKey,
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    headers: dict[str, str] | None = None,
    now: datetime = T0,
    nonce: str = NONCE,
    **options: Any,
) -> dict[str, str]:
    base = dict(HEADERS if headers is None else headers)
    return {**base, **sign_request(method, url, base, body, key, now, nonce, **options)}


def verify(
    key: SigningKey,
    headers: dict[str, str],
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    now: datetime = T0 + timedelta(seconds=2),
    cache: InMemoryNonceCache | None = None,
    resolve: Callable[[str], PublicKey | None] | None = None,
) -> Any:
    return verify_request(
        method,
        url,
        headers,
        body,
        resolve or resolver(key),
        now,
        cache if cache is not None else InMemoryNonceCache(),
    )


def craft(
    key: SigningKey,
    *,
    components: list[str],
    body: bytes = BODY,
    url: str = URL,
    created: datetime = T0,
    expires: datetime | None = T0 + timedelta(seconds=60),
    nonce: str | None = NONCE,
    tag: str | None = "web-bot-auth",
    key_id: str | None = None,
    label: str = "sig1",
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """A signature made directly with the library, to build what sign_request never would."""
    lines = FieldLines({**HEADERS, "Content-Digest": make_content_digest(body), **(headers or {})})
    message = HttpRequestView("POST", url, lines)
    signer = HTTPMessageSigner(signature_algorithm=algorithm_for(key.public))
    prepared = signer.prepare(
        message,
        key_id=key_id or key.kid,
        created=created,
        expires=expires,
        nonce=nonce,
        label=label,
        tag=tag,
        include_alg=False,
        covered_component_ids=components,
        use_existing_digest=True,
    )
    signer.apply(message, prepared, key.sign(prepared.signature_base))
    return dict(lines.items())


FULL = [
    '"@method"',
    '"@authority"',
    '"@path"',
    '"@query"',
    '"idempotency-key"',
    '"content-digest"',
    '"content-type"',
]


def test_round_trip(key: SigningKey) -> None:
    headers = signed(key, signature_agent="https://agent.example/.well-known/jwks.json")
    result = verify(key, headers)
    assert result.keyid == key.kid
    assert result.tag == "web-bot-auth"
    assert result.nonce == NONCE
    assert result.created == T0
    assert result.expires == T0 + timedelta(seconds=60)
    assert result.algorithm == {"EdDSA": "ed25519", "ES256": "ecdsa-p256-sha256"}[key.alg]
    assert result.signature_agent == "https://agent.example/.well-known/jwks.json"
    assert result.covered_components == (
        '"@method"',
        '"@authority"',
        '"@path"',
        '"@query"',
        '"signature-agent";key="sig1"',
        '"idempotency-key"',
        '"content-digest"',
        '"content-type"',
    )


def test_signature_base_and_ed25519_signature_are_exact() -> None:
    key = SigningKey.from_jwk(RFC_ED25519)
    headers = signed(
        key,
        url="https://merchant.example/orders",
        headers={"Content-Type": "application/json"},
        body=b'{"hello": "world"}',
    )
    assert headers["Content-Digest"] == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    params = (
        f'("@method" "@authority" "@path" "content-digest" "content-type");created=1795939200'
        f';keyid="{key.kid}";expires=1795939260;nonce="{NONCE}";tag="web-bot-auth"'
    )
    assert headers["Signature-Input"] == f"sig1={params}"
    base = (
        '"@method": POST\n"@authority": merchant.example\n"@path": /orders\n'
        '"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n'
        '"content-type": application/json\n'
        f'"@signature-params": {params}'
    )
    signature = base64.b64decode(headers["Signature"].removeprefix("sig1=:").removesuffix(":"))
    public = ed25519.Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(RFC_ED25519["x"] + "=")
    )
    public.verify(signature, base.encode())  # raises if the base differs by one byte


def test_alg_parameter_when_sent_is_accepted(key: SigningKey) -> None:
    headers = signed(key, include_alg=True)
    assert 'alg="' in headers["Signature-Input"]
    verify(key, headers)


def test_get_without_body(key: SigningKey) -> None:
    headers = signed(
        key, method="GET", body=b"", headers={}, url="https://merchant.example/orders/1"
    )
    assert "Content-Digest" not in headers
    verify(key, headers, method="GET", body=b"", url="https://merchant.example/orders/1")


# --- every check, tried -----------------------------------------------------------------


def test_tampered_body(key: SigningKey) -> None:
    with pytest.raises(DigestMismatch):
        verify(key, signed(key), body=BODY.replace(b'"quantity":1', b'"quantity":9'))


def test_body_smuggled_into_a_get(key: SigningKey) -> None:
    headers = signed(key, method="GET", body=b"", headers={})
    with pytest.raises(DigestMismatch):
        verify(key, headers, method="GET", body=b'{"x":"1"}')


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Content-Type", "text/plain"),
        ("Idempotency-Key", "idem-2"),
        ("Content-Digest", make_content_digest(b"other")),
    ],
)
def test_tampered_header(key: SigningKey, name: str, value: str) -> None:
    headers = signed(key)
    headers[name] = value
    with pytest.raises(InvalidSignature):
        verify(key, headers)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", URL),
        ("POST", "https://evil.example/checkout-sessions?currency=CNY"),
        ("POST", "https://merchant.example/refunds?currency=CNY"),
        ("POST", "https://merchant.example/checkout-sessions?currency=USD"),
        ("POST", "https://merchant.example/checkout-sessions"),
    ],
)
def test_tampered_target(key: SigningKey, method: str, url: str) -> None:
    with pytest.raises(InvalidSignature):
        verify(key, signed(key), method=method, url=url)


def test_query_added_to_an_unsigned_query(key: SigningKey) -> None:
    headers = signed(key, url="https://merchant.example/checkout-sessions")
    with pytest.raises(InvalidSignature):
        verify(key, headers, url="https://merchant.example/checkout-sessions?admin=1")


def test_missing_content_digest(key: SigningKey) -> None:
    headers = signed(key)
    del headers["Content-Digest"]
    with pytest.raises(DigestMismatch):
        verify(key, headers)


def test_content_digest_not_covered(key: SigningKey) -> None:
    headers = craft(key, components=[c for c in FULL if c != '"content-digest"'])
    verify_headers = dict(headers)
    with pytest.raises(InvalidSignature, match="does not cover content-digest"):
        verify(key, verify_headers)


@pytest.mark.parametrize(
    "dropped",
    ['"@method"', '"@authority"', '"@path"', '"@query"', '"idempotency-key"', '"content-type"'],
)
def test_every_required_component_must_be_covered(key: SigningKey, dropped: str) -> None:
    with pytest.raises(InvalidSignature, match="does not cover"):
        verify(key, craft(key, components=[c for c in FULL if c != dropped]))


def test_crafted_full_coverage_verifies(key: SigningKey) -> None:
    verify(key, craft(key, components=FULL))  # the crafting helper itself is sound


def test_signature_agent_added_after_signing(key: SigningKey) -> None:
    headers = signed(key)
    headers["Signature-Agent"] = 'sig1="https://evil.example/jwks.json"'
    with pytest.raises(InvalidSignature, match="signature-agent"):
        verify(key, headers)


def test_signature_agent_swapped(key: SigningKey) -> None:
    headers = signed(key, signature_agent="https://agent.example/jwks.json")
    headers["Signature-Agent"] = 'sig1="https://evil.example/jwks.json"'
    with pytest.raises(InvalidSignature):
        verify(key, headers)


def test_unknown_keyid(key: SigningKey) -> None:
    with pytest.raises(UnknownKey):
        verify(key, signed(key), resolve=resolver(SigningKey.generate()))


def test_keyid_that_is_not_the_resolved_keys_thumbprint(key: SigningKey) -> None:
    other = SigningKey.generate(key.alg)
    with pytest.raises(InvalidSignature):
        verify(key, signed(key), resolve=lambda kid: other.public)


def test_signed_by_another_key_under_the_victims_keyid(key: SigningKey) -> None:
    attacker = SigningKey.generate(key.alg)
    forged = craft(attacker, components=FULL, key_id=key.kid)
    with pytest.raises(InvalidSignature):
        verify(key, forged)


def test_wrong_algorithm_key_for_the_keyid() -> None:
    ed, ec = SigningKey.generate("EdDSA"), SigningKey.generate("ES256")
    forged = craft(ec, components=FULL, key_id=ed.kid)
    with pytest.raises(InvalidSignature):
        verify(ed, forged)


def test_expired(key: SigningKey) -> None:
    headers = signed(key)
    verify(key, headers, now=T0 + timedelta(seconds=69))  # within the 10 s skew
    with pytest.raises(SignatureExpired):
        verify(key, headers, now=T0 + timedelta(seconds=71))


def test_created_in_the_future(key: SigningKey) -> None:
    # docs/errors.md: a signature "in the future" is signature-expired, not signature-invalid.
    verify(key, signed(key, now=T0 + timedelta(seconds=10)), now=T0)  # within the 10 s skew
    with pytest.raises(SignatureExpired, match="future"):
        verify(key, signed(key, now=T0 + timedelta(seconds=11)), now=T0)


def test_lifetime_too_long(key: SigningKey) -> None:
    with pytest.raises(ValidationError):
        signed(key, lifetime=timedelta(seconds=301))
    verify(key, craft(key, components=FULL, expires=T0 + timedelta(seconds=300)))
    crafted = craft(key, components=FULL, expires=T0 + timedelta(seconds=301))
    with pytest.raises(SignatureExpired, match="lifetime"):
        verify(key, crafted)


def test_expires_before_created(key: SigningKey) -> None:
    crafted = craft(key, components=FULL, created=T0, expires=T0 - timedelta(seconds=1))
    with pytest.raises(SignatureExpired):
        verify(key, crafted, now=T0)


def test_no_expires(key: SigningKey) -> None:
    with pytest.raises(InvalidSignature, match="expires"):
        verify(key, craft(key, components=FULL, expires=None))


def test_replayed_nonce(key: SigningKey) -> None:
    cache = InMemoryNonceCache()
    headers = signed(key)
    verify(key, headers, cache=cache)
    with pytest.raises(NonceReplayed):
        verify(key, headers, cache=cache)


def test_failed_verification_does_not_burn_the_nonce(key: SigningKey) -> None:
    cache = InMemoryNonceCache()
    headers = signed(key)
    with pytest.raises(DigestMismatch):
        verify(key, headers, cache=cache, body=b"{}")
    verify(key, headers, cache=cache)


@pytest.mark.parametrize("nonce", [None, "short"])
def test_missing_or_short_nonce(key: SigningKey, nonce: str | None) -> None:
    with pytest.raises(InvalidSignature, match="nonce"):
        verify(key, craft(key, components=FULL, nonce=nonce))


@pytest.mark.parametrize("tag", [None, "header-example", "Web-Bot-Auth"])
def test_wrong_or_missing_tag(key: SigningKey, tag: str | None) -> None:
    with pytest.raises(InvalidSignature, match="tagged"):
        verify(key, craft(key, components=FULL, tag=tag))


def test_two_web_bot_auth_signatures_are_ambiguous(key: SigningKey) -> None:
    first = craft(key, components=FULL, label="sig1")
    second = craft(key, components=FULL, label="sig2")
    headers = dict(first)
    headers["Signature-Input"] += ", " + second["Signature-Input"]
    headers["Signature"] += ", " + second["Signature"]
    with pytest.raises(InvalidSignature, match="exactly one"):
        verify(key, headers)


@pytest.mark.parametrize("dropped", ["Signature", "Signature-Input"])
def test_missing_signature_headers(key: SigningKey, dropped: str) -> None:
    headers = signed(key)
    del headers[dropped]
    with pytest.raises(SignatureMissing):
        verify(key, headers)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Signature-Input", "sig1=(("),
        ("Signature", "sig1=:%%%:"),
        ("Signature", "sig2=:AAAA:"),
        ("Signature-Input", 'sig1="not a list";tag="web-bot-auth"'),
    ],
)
def test_malformed_signature_headers(key: SigningKey, name: str, value: str) -> None:
    headers = signed(key)
    headers[name] = value
    with pytest.raises(InvalidSignature):
        verify(key, headers)


def test_sign_request_needs_content_type_with_a_body(key: SigningKey) -> None:
    with pytest.raises(ValidationError):
        sign_request("POST", URL, {}, BODY, key, T0, NONCE)


def test_new_nonce_is_random_and_long() -> None:
    first, second = new_nonce(), new_nonce()
    assert first != second
    assert len(base64.urlsafe_b64decode(first + "==")) == 64
