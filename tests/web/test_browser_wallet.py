"""``BrowserWallet`` signs the same credentials as ``Wallet``: only who holds the key changes.

Each credential the browser signs (answered here by a software key doing what shop.js does)
is compared with the one the key-store wallet makes from the same inputs: the same payload
fields and values (the instants and random ids aside), the same ``typ``, and it verifies with
the browser's public key (an IAC through ``verify_iac``, as the status service does).
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.helpers.clock import T0
from tests.helpers.delegation import make_isr
from tests.helpers.soft_browser import answering
from trustcart.assistant.errors import WalletError
from trustcart.assistant.wallet import sign_approval
from trustcart.core.clock import FixedClock
from trustcart.core.typs import APPROVAL_TYP, CART_TYP, REGISTRATION_TYP, TRANSITION_TYP
from trustcart.crypto.jws import peek_header, sign_compact, verify_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.iac import iac_payload, issue_iac, verify_iac
from trustcart.delegation.lifecycle import Actor, Transition, sign_transition_request
from trustcart.delegation.registration import iac_digest
from trustcart.web.browser_wallet import BrowserWallet
from trustcart.web.signing_desk import SigningDesk, SigningRequest

CART = {
    "out_trade_no": "ord_1",
    "merchant_id": "m_1",
    "total": {"amount": "18.00", "currency": "CNY"},
    "delegation_id": "dlg_1",
    "agent_id": "agent:trustcart-assistant",
}


class Sent(list[tuple[str, bytes]]):
    """What the wallet sent, (path, body), in order."""


def _wallet(key: SigningKey, sent: Sent, timeout: float = 5) -> BrowserWallet:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.path, request.content))
        if request.url.path == "/bindings":
            return httpx.Response(201, json={"payment_token": "ptk_1"})
        return httpx.Response(201, json={"status": "Revoked"})

    def client() -> httpx.Client:
        return httpx.Client(base_url="http://x", transport=httpx.MockTransport(handler))

    return BrowserWallet(
        desk=SigningDesk(key.public, timeout),
        identity="user:shp_1",
        account_id="acct_shp_1",
        clock=FixedClock(T0),
        status_service=client(),
        status_base_url="https://status.example",
        psp=client(),
        trust=client(),
    )


def _honest(_request: SigningRequest) -> None:
    return None


def test_the_iac_is_the_wallets_iac_signed_by_the_browser_key() -> None:
    key, sent = SigningKey.generate(), Sent()
    wallet = _wallet(key, sent)
    thread, refusals = answering(wallet.desk, key, _honest, 3)  # IAC, proof, record
    isr = make_isr(T0)
    iac = wallet.authorize(isr)
    thread.join(5)
    assert refusals == []
    assert verify_iac(iac.token, {key.kid: key.public}).delegation_id == iac.delegation_id
    reference = issue_iac(
        isr,
        delegation_id=iac.delegation_id,
        delegator_identity="user:shp_1",
        delegator_key=SigningKey.generate(),
        status_url=iac.status_url,
        now=T0,
    )
    assert iac_payload(iac) == iac_payload(reference)
    assert peek_header(iac.token)["typ"] == peek_header(reference.token)["typ"]
    assert [path for path, _ in sent] == ["/delegations", "/records"]
    # The registration carries the browser key's proof of possession for exactly this IAC.
    registered = json.loads(sent[0][1])
    assert set(registered) == {"iac", "proof"}
    proof = verify_compact(registered["proof"], {key.kid: key.public}, typ=REGISTRATION_TYP)
    assert proof.payload["iac_digest"] == iac_digest(iac.token)
    assert proof.payload["delegation_id"] == iac.delegation_id


def test_the_l1_approval_and_the_revocation_match_the_wallets() -> None:
    key, merchant, sent = SigningKey.generate(), SigningKey.generate(), Sent()
    wallet = _wallet(key, sent)
    cart_token = sign_compact(CART, merchant, typ=CART_TYP)
    thread, refusals = answering(wallet.desk, key, _honest, 2)
    approval = wallet.approve(cart_token, {merchant.kid: merchant.public})
    answer = wallet.transition("dlg_1", Transition.REVOKE)
    thread.join(5)
    assert refusals == []
    assert answer == {"status": "Revoked"}
    signed = verify_compact(approval, {key.kid: key.public}, typ=APPROVAL_TYP).payload
    assert (
        signed
        == verify_compact(
            sign_approval(CART, key=key, now=T0), {key.kid: key.public}, typ=APPROVAL_TYP
        ).payload
    )
    transition = verify_compact(
        sent[-1][1].decode().split('"')[3], {key.kid: key.public}, typ=TRANSITION_TYP
    ).payload
    reference = verify_compact(
        sign_transition_request(
            "dlg_1", Transition.REVOKE, key=key, actor=Actor.PRINCIPAL, now=T0, nonce="n"
        ),
        {key.kid: key.public},
        typ=TRANSITION_TYP,
    ).payload
    assert {**transition, "nonce": "n"} == reference


def test_a_cart_the_merchant_did_not_sign_is_never_presented() -> None:
    key, merchant, sent = SigningKey.generate(), SigningKey.generate(), Sent()
    wallet = _wallet(key, sent)
    forged = sign_compact(
        {**CART, "total": {"amount": "1.00", "currency": "CNY"}}, key, typ=CART_TYP
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - the cart's signature check refuses
        wallet.approve(forged, {merchant.kid: merchant.public})
    assert wallet.desk.pending() is None


def test_a_tampered_iac_registers_nothing() -> None:
    key, sent = SigningKey.generate(), Sent()
    wallet = _wallet(key, sent)
    thread, refusals = answering(
        wallet.desk, key, lambda request: request.payload_text.replace("80.00", "8000.00"), 1
    )
    with pytest.raises(WalletError, match=r"web\.signed-bytes-differ"):
        wallet.authorize(make_isr(T0))
    thread.join(5)
    assert len(refusals) == 1
    assert sent == []  # neither the status service nor the log heard of it
