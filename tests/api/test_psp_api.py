"""The PSP over HTTP: signed agent requests, idempotency headers, problem+json refusals, and a
merchant notice delivered to a real server on loopback, signed by the PSP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from tests.helpers.payments import (
    ACCOUNT,
    AGENT,
    MERCHANT,
    PSP_ID,
    World,
    make_world,
    sign_binding,
)
from trustcart.api.agent_auth import (
    AgentRequestSigner,
    RequestVerifier,
    VerifiedRequest,
    require_signed_request,
)
from trustcart.api.common import create_app
from trustcart.api.psp import create_psp_app
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey, keys_from_jwks
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.local.servers import Servers, free_port
from trustcart.payments.notices import HttpMerchantNotifier
from trustcart.payments.provider import PaymentProvider
from trustcart.payments.receipts import verify_receipt
from trustcart.store.db import Database

BASE = "http://psp.test"


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    return make_world(db, clock)


@pytest.fixture
def agent_key(world: World) -> SigningKey:
    key = SigningKey.generate()
    world.directory.register(key.public, party_id=AGENT, role="agent")
    return key


def psp_app(world: World) -> FastAPI:
    verifier = RequestVerifier(
        world.directory, InMemoryNonceCache(), world.clock, allowed_roles=("agent", "merchant")
    )
    return create_psp_app(world.provider, verifier)


def call(
    world: World, key: SigningKey | None, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    auth = AgentRequestSigner(key, clock=world.clock) if key else None

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=psp_app(world)), base_url=BASE, auth=auth
        ) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def test_signed_payment_then_idempotent_replay(world: World, agent_key: SigningKey) -> None:
    body = world.request()
    first = call(
        world, agent_key, "POST", "/payments", json=body, headers={"Idempotency-Key": "k1"}
    )
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    psp_keys = keys_from_jwks(call(world, None, "GET", "/.well-known/jwks.json").json())
    receipt = verify_receipt(first.json()["receipt"], psp_keys)
    assert receipt["agent_id"] == AGENT
    snapshot = world.snapshot()
    again = call(
        world, agent_key, "POST", "/payments", json=body, headers={"Idempotency-Key": "k1"}
    )
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert world.snapshot() == snapshot
    conflict = call(
        world,
        agent_key,
        "POST",
        "/payments",
        json=world.request(world.cart(unit_price="3.00")),
        headers={"Idempotency-Key": "k1"},
    )
    assert conflict.status_code == 422
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["code"] == "idempotency-conflict"
    assert world.snapshot() == snapshot


def test_unsigned_or_keyless_payments_move_no_money(world: World, agent_key: SigningKey) -> None:
    before = world.snapshot()
    unsigned = call(
        world, None, "POST", "/payments", json=world.request(), headers={"Idempotency-Key": "k1"}
    )
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "signature-missing")
    keyless = call(world, agent_key, "POST", "/payments", json=world.request())
    assert (keyless.status_code, keyless.json()["code"]) == (400, "idempotency-key-missing")
    stranger = SigningKey.generate()  # not in the directory
    unknown = call(
        world,
        stranger,
        "POST",
        "/payments",
        json=world.request(),
        headers={"Idempotency-Key": "k2"},
    )
    assert unknown.json()["code"] == "unknown-agent"
    assert world.snapshot() == before


def test_a_merchant_key_cannot_pay_and_an_agent_cannot_refund(
    world: World,
    agent_key: SigningKey,
) -> None:
    before = world.snapshot()
    as_merchant = call(
        world,
        world.merchant_key,
        "POST",
        "/payments",
        json=world.request(),
        headers={"Idempotency-Key": "k1"},
    )
    assert (as_merchant.status_code, as_merchant.json()["code"]) == (403, "role-not-allowed")
    assert world.snapshot() == before
    paid = call(
        world,
        agent_key,
        "POST",
        "/payments",
        json=world.request(),
        headers={"Idempotency-Key": "k2"},
    ).json()
    refund = {"trade_no": paid["trade_no"], "amount": {"amount": "1.00", "currency": "CNY"}}
    by_agent = call(
        world, agent_key, "POST", "/refunds", json=refund, headers={"Idempotency-Key": "r1"}
    )
    assert by_agent.json()["code"] == "role-not-allowed"
    by_merchant = call(
        world,
        world.merchant_key,
        "POST",
        "/refunds",
        json=refund,
        headers={"Idempotency-Key": "r1"},
    )
    assert by_merchant.status_code == 200, by_merchant.text
    assert by_merchant.json()["refunded_total"] == {"amount": "1.00", "currency": "CNY"}
    assert world.provider.balance(ACCOUNT) == Money.parse("183.00", "CNY")


def test_refusal_is_problem_json_with_a_stable_code(world: World, agent_key: SigningKey) -> None:
    world.status.down = True
    before = world.snapshot()
    response = call(
        world,
        agent_key,
        "POST",
        "/payments",
        json=world.request(),
        headers={"Idempotency-Key": "k1"},
    )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://trustcart.dev/problems/status-unavailable"
    assert world.snapshot() == before


def test_status_query_by_trade_no_and_by_order(world: World, agent_key: SigningKey) -> None:
    paid = call(
        world,
        agent_key,
        "POST",
        "/payments",
        json=world.request(),
        headers={"Idempotency-Key": "k1"},
    ).json()
    by_trade = call(world, agent_key, "GET", f"/payments/{paid['trade_no']}")
    assert by_trade.status_code == 200
    assert by_trade.json()["receipt"] == paid["receipt"]
    by_order = call(
        world,
        world.merchant_key,
        "GET",
        f"/payments?merchant_id={MERCHANT}&out_trade_no={paid['out_trade_no']}",
    )
    assert by_order.json()["trade_no"] == paid["trade_no"]
    other = SigningKey.generate()
    world.directory.register(other.public, party_id="agent:other", role="agent")
    hidden = call(world, other, "GET", f"/payments/{paid['trade_no']}")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "unknown-payment")


def test_binding_over_http_returns_the_token_once(world: World) -> None:
    world.clock.advance(timedelta(seconds=5))  # the fixture bound at T0 with the same bytes
    request = sign_binding(world.alice, world.iac, world.now)
    created = call(world, None, "POST", "/bindings", json={"binding": request})
    assert created.status_code == 201, created.text
    assert set(created.json()) == {
        "payment_token",
        "token_id",
        "agent_id",
        "delegation_id",
        "expires_at",
    }
    assert ACCOUNT not in created.text
    replay = call(world, None, "POST", "/bindings", json={"binding_request": request})
    assert (replay.status_code, replay.json()["code"]) == (403, "binding-refused")
    bad = call(world, None, "POST", "/bindings", json={"binding": 5})
    assert bad.json()["code"] == "invalid-request"


# -- the merchant notice over a real loopback server --------------------------------------------


@pytest.fixture
def merchant_server(world: World) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    app = create_app("merchant notice receiver")
    # The merchant accepts notices only from keys the directory lists as the PSP's.
    app.state.request_verifier = RequestVerifier(
        world.directory, InMemoryNonceCache(), world.clock, allowed_roles=("psp",)
    )

    @app.post("/payment-notifications")
    async def notice(
        signed: Annotated[VerifiedRequest, Depends(require_signed_request)],
    ) -> dict[str, str]:
        received.append({"from": signed.party_id, **signed.json})
        return {"ok": "true"}

    port = free_port()
    # The same loopback servers the demo runs (trustcart.local.deployment.Servers).
    with Servers({"app": app}, {"app": port}):
        yield f"http://127.0.0.1:{port}", received


def test_psp_signed_notice_reaches_the_merchant_server(
    world: World,
    merchant_server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = merchant_server
    with httpx.Client() as client:
        notifier = HttpMerchantNotifier(
            client,
            {MERCHANT: f"{url}/payment-notifications"}.get,
            AgentRequestSigner(world.psp_key, clock=world.clock),
        )
        provider = PaymentProvider(
            world.db,
            psp_id=PSP_ID,
            signing_key=world.psp_key,
            directory=world.directory,
            status_checker=world.status,
            notifier=notifier,
            clock=world.clock,
        )
        outcome = provider.submit_payment(
            agent_id=AGENT, idempotency_key="k1", request=world.request()
        )
        assert outcome.status == 200, outcome.body
        assert [n["trade_no"] for n in received] == [outcome.body["trade_no"]]
        assert received[0]["from"] == PSP_ID
        assert verify_receipt(received[0]["receipt"], {world.psp_key.kid: world.psp_key.public})
        # A notice signed by a key the merchant does not know as the PSP's is refused, and
        # stays in the outbox for a retry.
        rogue = HttpMerchantNotifier(
            client,
            {MERCHANT: f"{url}/payment-notifications"}.get,
            AgentRequestSigner(SigningKey.generate(), clock=world.clock),
        )
        rogue_provider = PaymentProvider(
            world.db,
            psp_id=PSP_ID,
            signing_key=world.psp_key,
            directory=world.directory,
            status_checker=world.status,
            notifier=rogue,
            clock=world.clock,
        )
        paid = rogue_provider.submit_payment(
            agent_id=AGENT, idempotency_key="k2", request=world.request()
        )
        assert paid.status == 200
        assert len(received) == 1
        assert provider.deliver_pending_notices() == 1
        assert len(received) == 2


def test_notifier_without_endpoint_keeps_the_notice(world: World) -> None:
    with httpx.Client() as client:
        notifier = HttpMerchantNotifier(
            client, lambda _merchant: None, AgentRequestSigner(world.psp_key)
        )
        provider = PaymentProvider(
            world.db,
            psp_id=PSP_ID,
            signing_key=world.psp_key,
            directory=world.directory,
            status_checker=world.status,
            notifier=notifier,
            clock=world.clock,
        )
        assert (
            provider.submit_payment(
                agent_id=AGENT, idempotency_key="k1", request=world.request()
            ).status
            == 200
        )
        assert provider.deliver_pending_notices() == 0
