"""Delegate SD-JWT chains (``delegation.ap2.dsdjwt``): a chain built by hand with jwcrypto, in
the layout of AP2's ``payment_mandate.md`` examples, verifies; RFC 9901's array-element
disclosure resolves to its known value; every way of bending a chain is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from trustcart.crypto.jcs import b64url, b64url_decode
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2 import dsdjwt
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.sdjwt import sha256_b64url

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WALLET, AGENT = SigningKey.generate("ES256"), SigningKey.generate("ES256")

# RFC 9901 section 4.2.2: the array element "FR" and its digest.
RFC_DISCLOSURE = "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0"
RFC_DIGEST = "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"


def _issuer(kid: str) -> PublicKey | None:
    return WALLET.public if kid == WALLET.kid else None


def _spaced(value: Any) -> str:  # Python's default separators, as AP2's examples are encoded
    return b64url(json.dumps(value).encode())


def _jws(header: dict[str, Any], payload: dict[str, Any], key: SigningKey) -> str:
    jws = JWS(payload=json.dumps(payload))
    jws.add_signature(JWK(**key.to_private_jwk()), alg="ES256", protected=json.dumps(header))
    token: str = jws.serialize(compact=True)
    return token


def _hand_made(*, closed_key: SigningKey = AGENT, aud: str = "psp:test") -> str:
    """A chain made without ``dsdjwt``: a payee element concealed in the open mandate."""
    payee = _spaced(["s9WPt2U4GapcJsonyEb6bjg", {"id": "m1", "name": "Demo"}])
    open_content = {
        "vct": "mandate.payment.open.1",
        "constraints": [
            {"type": "payment.allowed_payees", "allowed": [{"...": sha256_b64url(payee)}]},
            {"type": "payment.reference", "conditional_transaction_id": "abc"},
        ],
        "cnf": {"jwk": dict(AGENT.public.jwk)},
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    mandate = _spaced(["ZtKS5FSrIAY6HlGB4Ho7mg", open_content])
    issuer_jwt = _jws(
        {"alg": "ES256", "typ": "dc+sd-jwt", "kid": WALLET.kid},
        {"delegate_payload": [{"...": sha256_b64url(mandate)}], "_sd_alg": "sha-256"},
        WALLET,
    )
    open_part = f"{issuer_jwt}~{payee}~{mandate}~"
    closed = _spaced(["FW6McBJImqODuhQlpI4Idw", {"vct": "mandate.payment.1", "x": 1}])
    kb = _jws(
        {"alg": "ES256", "typ": "kb+sd-jwt"},
        {
            "delegate_payload": [{"...": sha256_b64url(closed)}],
            "iat": int(NOW.timestamp()),
            "aud": aud,
            "nonce": "n1",
            "sd_hash": sha256_b64url(open_part),
            "_sd_alg": "sha-256",
        },
        closed_key,
    )
    return f"{open_part}~{kb}~{closed}~"


def _verify(chain: str, **kwargs: Any) -> dsdjwt.VerifiedChain:
    args: dict[str, Any] = {"audience": "psp:test", "nonce": "n1", "now": NOW, **kwargs}
    return dsdjwt.verify_chain(chain, issuer_key=_issuer, **args)


def test_rfc_9901_array_element_resolves_to_its_known_value() -> None:
    assert sha256_b64url(RFC_DISCLOSURE) == RFC_DIGEST
    resolver = dsdjwt._Resolver((RFC_DISCLOSURE,))
    assert resolver.resolve({"nationalities": [{"...": RFC_DIGEST}, {"...": "other"}]}) == {
        "nationalities": ["FR"]  # the undisclosed element is dropped
    }
    resolver.check_all_used()


def test_a_hand_made_chain_verifies() -> None:
    chain = _hand_made()
    verified = _verify(chain)
    assert verified.open_claims["constraints"][0]["allowed"] == [{"id": "m1", "name": "Demo"}]
    assert verified.closed_claims == {"vct": "mandate.payment.1", "x": 1}
    assert verified.agent_key == AGENT.public
    assert verified.open_reference == sha256_b64url(chain.split("~", maxsplit=1)[0])
    assert verified.digest == dsdjwt.chain_reference(chain) == sha256_b64url(chain.split("~~")[1])


def test_issue_select_close_round_trip() -> None:
    concealed, elements = dsdjwt.conceal_elements(
        [{"id": "m1", "name": "A"}, {"id": "m2", "name": "B"}]
    )
    content = {"vct": "x", "allowed": concealed, "cnf": {"jwk": dict(AGENT.public.jwk)}}
    issued = dsdjwt.issue_open(content, elements, issuer_key=WALLET, now=NOW)
    shown = dsdjwt.select(issued, lambda v: v.get("id") == "m2")
    chain = dsdjwt.close(
        shown, {"vct": "y"}, agent_key=AGENT, audience="psp:test", nonce="n1", now=NOW
    )
    verified = _verify(chain)
    assert verified.open_claims["allowed"] == [{"id": "m2", "name": "B"}]  # m1 not revealed
    assert verified.closed_claims == {"vct": "y"}


def _swap_closed_key(chain: str) -> str:
    return _hand_made(closed_key=SigningKey.generate("ES256"))


def _extra_disclosure(chain: str) -> str:
    open_part, closed = chain.split("~~")
    return f"{open_part}~{_spaced(['salt', {'id': 'm9', 'name': 'X'}])}~~{closed}"


def _tamper_open(chain: str) -> str:
    open_part, closed = chain.split("~~")
    jwt, _, mandate = open_part.split("~")
    changed = _spaced(["s9WPt2U4GapcJsonyEb6bjg", {"id": "m2", "name": "Demo"}])
    return f"{jwt}~{changed}~{mandate}~~{closed}"


def _rebound(chain: str) -> str:  # the closed part moved under another open mandate
    other = _hand_made().split("~~")[0]
    return f"{other}~~{chain.split('~~')[1]}"


def _two_hops(chain: str) -> str:
    return chain + "~" + chain.split("~~")[1]


@pytest.mark.parametrize(
    ("bend", "code", "kwargs"),
    [
        (_swap_closed_key, AP2Refusal.SIGNATURE_INVALID, {}),
        (_extra_disclosure, AP2Refusal.MALFORMED, {}),
        (_tamper_open, AP2Refusal.MALFORMED, {}),
        (_rebound, AP2Refusal.KEY_BINDING_INVALID, {}),
        (_two_hops, AP2Refusal.MALFORMED, {}),
        (lambda c: c, AP2Refusal.KEY_BINDING_INVALID, {"audience": "psp:other"}),
        (lambda c: c, AP2Refusal.KEY_BINDING_INVALID, {"nonce": "n2"}),
        (lambda c: c, AP2Refusal.KEY_BINDING_INVALID, {"now": NOW + timedelta(minutes=10)}),
        (lambda c: c.replace("~~", "~"), AP2Refusal.MALFORMED, {}),
    ],
)
def test_a_bent_chain_is_refused(
    bend: Callable[[str], str], code: AP2Refusal, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(MandateRefused) as refused:
        _verify(bend(_hand_made()), **kwargs)
    assert refused.value.code is code


def test_an_open_mandate_by_an_unknown_key_is_refused() -> None:
    with pytest.raises(MandateRefused) as refused:
        dsdjwt.verify_chain(
            _hand_made(), issuer_key=lambda kid: None, audience="psp:test", nonce="n1", now=NOW
        )
    assert refused.value.code is AP2Refusal.ISSUER_UNKNOWN


def test_an_expired_issuer_jwt_is_refused_even_outside_the_delegate_payload() -> None:
    content = {"vct": "x", "cnf": {"jwk": dict(AGENT.public.jwk)}}
    issued = dsdjwt.issue_open(content, [], issuer_key=WALLET, now=NOW)
    jwt, rest = issued.split("~", maxsplit=1)
    header, payload, _ = jwt.split(".")
    claims = {**json.loads(b64url_decode(payload)), "exp": int(NOW.timestamp()) - 1}
    expired = _jws(json.loads(b64url_decode(header)), claims, WALLET) + "~" + rest
    chain = dsdjwt.close(
        expired, {"vct": "y"}, agent_key=AGENT, audience="psp:test", nonce="n1", now=NOW
    )
    with pytest.raises(MandateRefused) as refused:
        _verify(chain)
    assert refused.value.code is AP2Refusal.EXPIRED
