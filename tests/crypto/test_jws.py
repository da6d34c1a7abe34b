"""JWS over JCS: known answers, and every way to slip a forged or altered token past verify."""

import base64
import json

import pytest

from tests.helpers.delegation import ALICE_JWK, alice_key
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import canonicalize, jcs_digest
from trustcart.crypto.jws import sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey, jwks, keys_from_jwks


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_rfc8037_thumbprint_known_answer() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the RFC 8032 test 1 public key.
    assert alice_key().kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert PublicKey.from_jwk(ALICE_JWK).kid == alice_key().kid


def test_ed25519_known_answer_is_deterministic() -> None:
    token = sign_compact({"b": "2", "a": "1"}, alice_key(), typ="t+jwt")
    header, payload, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
        "alg": "EdDSA",
        "kid": alice_key().kid,
        "typ": "t+jwt",
    }
    assert payload == _b64(b'{"a":"1","b":"2"}')
    assert token == sign_compact({"a": "1", "b": "2"}, alice_key(), typ="t+jwt")


def test_jcs_known_answers() -> None:
    # RFC 8785 section 3.2.2 ordering and number forms.
    assert canonicalize({"z": 1, "a": {"c": True, "b": None}}) == b'{"a":{"b":null,"c":true},"z":1}'
    assert canonicalize({"\u20ac": "x", "\r": "y"}) == '{"\\r":"y","€":"x"}'.encode()
    assert jcs_digest({}) == "sha-256:RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o"


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_round_trip_and_jwks(alg: str) -> None:
    key = SigningKey.generate(alg)  # type: ignore[arg-type]
    keys = keys_from_jwks(jwks([key.public]))
    assert verify_compact(sign_compact({"x": "1"}, key, typ="t"), keys, typ="t").payload == {
        "x": "1"
    }


def _tamper_payload(token: str, payload: bytes) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_b64(payload)}.{signature}"


def test_forgeries_fail() -> None:
    key, other = alice_key(), SigningKey.generate()
    keys = {key.kid: key.public}
    token = sign_compact({"amount": "29.90"}, key, typ="t")
    attempts = [
        _tamper_payload(token, b'{"amount":"9.90"}'),
        _tamper_payload(token, b'{"amount": "29.90"}'),  # same meaning, not canonical
        sign_compact({"amount": "29.90"}, other, typ="t"),  # unknown key
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token.replace(".", "..", 1),
        "",
        "a.b",
    ]
    for forged in attempts:
        with pytest.raises(InvalidSignature):
            verify_compact(forged, keys, typ="t")
    with pytest.raises(InvalidSignature):
        verify_compact(token, keys, typ="other")  # right signature, wrong kind of object
    # alg confusion: claim ES256 with an Ed25519 kid
    header = _b64(json.dumps({"alg": "ES256", "kid": key.kid, "typ": "t"}).encode())
    with pytest.raises(InvalidSignature):
        verify_compact(header + "." + token.split(".", 1)[1], keys, typ="t")
    # alg none
    header = _b64(json.dumps({"alg": "none", "kid": key.kid, "typ": "t"}).encode())
    with pytest.raises(InvalidSignature):
        verify_compact(header + "." + token.split(".")[1] + ".", keys, typ="t")
    # correctly signed, but with a critical extension we do not understand, or a non-object payload
    for header_json, payload_bytes in [
        ({"alg": "EdDSA", "kid": key.kid, "typ": "t", "crit": ["x"], "x": 1}, b'{"a":"1"}'),
        ({"alg": "EdDSA", "kid": key.kid, "typ": "t"}, b'["a"]'),
    ]:
        signing_input = _b64(json.dumps(header_json).encode()) + "." + _b64(payload_bytes)
        signed = signing_input + "." + _b64(key.sign(signing_input.encode()))
        with pytest.raises(InvalidSignature):
            verify_compact(signed, keys, typ="t")
