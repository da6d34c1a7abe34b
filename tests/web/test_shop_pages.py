"""The shopper routes' defences, without a browser: CSRF, key registration, no key, no request.

The app runs over a store whose roles are not started (``tests.helpers.web_app``), so these
are the checks that need no other service: what the routes refuse before any shopping.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers.web_app import csrf_token, web_client
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.store.payments import PspAccount
from trustcart.web.services import WebServices
from trustcart.web.shoppers import account_of


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[TestClient, WebServices, str]]:
    with web_client(tmp_path) as (client, services):
        yield client, services, csrf_token(client, "/chat")


def test_without_a_key_the_chat_is_disabled_and_refuses(
    shop: tuple[TestClient, WebServices, str],
) -> None:
    client, _services, token = shop
    page = client.get("/chat").text
    assert 'data-registered="false"' in page
    assert '<script type="module" src="/static/shop.js"></script>' in page
    assert "<script>" not in page
    said = client.post("/chat", data={"message": "2 pearl milk teas", "csrf_token": token})
    assert said.status_code == 409
    approve = client.post("/chat/approve", headers={"X-CSRF-Token": token})
    assert approve.json()["code"] == "web.key-not-registered"
    assert client.get("/shop/signing").json() == {"pending": None, "job": None}
    orders = client.get("/my/orders").text
    assert "open the assistant first" in orders


def test_key_registration_needs_the_csrf_token(shop: tuple[TestClient, WebServices, str]) -> None:
    client, _services, _token = shop
    jwk = SigningKey.generate().public.to_jwk()
    assert client.post("/shop/key", json={"jwk": jwk}).status_code == 403
    assert client.post(
        "/shop/key", json={"jwk": jwk}, headers={"X-CSRF-Token": "x"}
    ).status_code == (403)
    assert client.get("/shop/key").json() == {"kid": None}


def test_a_public_key_is_registered_once_and_bound(
    shop: tuple[TestClient, WebServices, str],
) -> None:
    client, services, token = shop
    key, other = SigningKey.generate(), SigningKey.generate()
    headers = {"X-CSRF-Token": token}
    first = client.post("/shop/key", json={"jwk": key.public.to_jwk()}, headers=headers)
    assert first.status_code == 201
    assert first.json() == {"kid": key.kid}
    again = client.post("/shop/key", json={"jwk": key.public.to_jwk()}, headers=headers)
    assert again.status_code == 201
    moved = client.post("/shop/key", json={"jwk": other.public.to_jwk()}, headers=headers)
    assert moved.status_code == 422
    assert moved.json()["code"] == "web.key-mismatch"
    assert client.get("/shop/key").json() == {"kid": key.kid}
    with services.db.transaction() as session:
        accounts = list(session.scalars(select(PspAccount.account_id)).all())
    shopper_accounts = [a for a in accounts if a.startswith(account_of("shp_"))]
    assert len(shopper_accounts) == 1  # one wallet, bound to the first key
    assert services.deployment.psp.balance(shopper_accounts[0]) == Money.parse("500.00", "CNY")


def test_a_private_or_foreign_key_is_refused(shop: tuple[TestClient, WebServices, str]) -> None:
    client, _services, token = shop
    headers = {"X-CSRF-Token": token}
    key = SigningKey.generate()
    for jwk in (key.to_private_jwk(), {"kty": "EC", "crv": "P-256"}, "not a jwk", None):
        answer = client.post("/shop/key", json={"jwk": jwk}, headers=headers)
        assert answer.status_code == 422
        assert answer.json()["code"] == "web.bad-key"
    assert client.get("/shop/key").json() == {"kid": None}


def test_signing_answers_without_a_pending_request_are_refused(
    shop: tuple[TestClient, WebServices, str],
) -> None:
    client, _services, token = shop
    body = {"request_id": "sig_x", "signing_input": "a.b", "signature": "c"}
    assert client.post("/shop/signing", json=body).status_code == 403  # no CSRF token
    answer = client.post("/shop/signing", json=body, headers={"X-CSRF-Token": token})
    assert answer.json()["code"] == "web.no-pending-signature"
    revoke = client.post("/my/delegations/dlg_x/revoke", headers={"X-CSRF-Token": token})
    assert revoke.status_code == 404


def test_the_key_module_is_local_and_the_policy_has_no_inline_script(
    shop: tuple[TestClient, WebServices, str],
) -> None:
    client, _services, _token = shop
    policy = client.get("/chat").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    module = client.get("/static/shop.js")
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    source = module.text
    # The private key is made non-extractable and is never exported: only the public half.
    assert 'generateKey({ name: "Ed25519" }, false, ["sign", "verify"])' in source
    assert "exportKey(" in source
    assert source.count("exportKey(") == 1
    assert 'exportKey("jwk", pair.publicKey)' in source
    assert "http://" not in source
    assert "https://" not in source
