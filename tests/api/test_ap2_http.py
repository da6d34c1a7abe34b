"""``POST /ap2/payments`` over HTTP: the agent's RFC 9421-signed AP2 payment is paid, and a
refused mandate answers problem+json ``ap2-mandate-refused`` (as docs/errors.md documents) with
its reason and an Error receipt, moving no money."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.helpers.ap2 import AP2Parties, make_ap2_parties
from tests.helpers.error_docs import PAYMENT_PROVIDER, statuses
from tests.helpers.payments import AGENT, MERCHANT, make_world
from trustcart.api.agent_auth import AgentRequestSigner, RequestVerifier
from trustcart.api.psp import create_psp_app
from trustcart.core.clock import FixedClock
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.store.db import Database


def post(
    parties: AP2Parties, key: SigningKey, body: Any, headers: dict[str, str]
) -> httpx.Response:
    world = parties.world
    verifier = RequestVerifier(
        world.directory, InMemoryNonceCache(), world.clock, allowed_roles=("agent", "merchant")
    )
    app = create_psp_app(world.provider, verifier)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://psp.test",
            auth=AgentRequestSigner(key, clock=world.clock),
        ) as client:
            return await client.post("/ap2/payments", json=body, headers=headers)

    return asyncio.run(go())


def registered(parties: AP2Parties, party: str = AGENT, role: str = "agent") -> SigningKey:
    key = SigningKey.generate()
    parties.world.directory.register(key.public, party_id=party, role=role)
    return key


@pytest.fixture
def parties(db: Database, clock: FixedClock) -> AP2Parties:
    return make_ap2_parties(make_world(db, clock))


def test_a_signed_ap2_payment_is_paid_over_http(parties: AP2Parties) -> None:
    body = parties.body(parties.issue(parties.world.cart(unit_price="18.00")))
    answer = post(parties, registered(parties), body, {"Idempotency-Key": "k1"})
    assert answer.status_code == 200, answer.text
    assert peek_payload(answer.json()["ap2_payment_receipt"])["status"] == "Success"
    assert parties.world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "18.00"


def test_a_refused_mandate_is_documented_problem_json(parties: AP2Parties) -> None:
    world = parties.world
    first, second = world.cart(), world.cart()
    body = {
        **parties.body(parties.issue(first)),
        "payment_mandate": parties.body(parties.issue(second))["payment_mandate"],
    }
    before = world.snapshot()
    answer = post(parties, registered(parties), body, {"Idempotency-Key": "k1"})
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert answer.status_code in statuses(PAYMENT_PROVIDER, problem["code"])
    assert (problem["code"], problem["reason"]) == (
        "ap2-mandate-refused",
        "ap2-checkout-hash-mismatch",
    )
    assert peek_payload(problem["ap2_payment_receipt"])["status"] == "Error"
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("no-idempotency-key", "idempotency-key-missing"),
        ("merchant-calls", "role-not-allowed"),
        ("bad-shape", "payment-request-invalid"),
        ("unknown-field", "payment-request-invalid"),
    ],
)
def test_the_shell_refuses_before_any_mandate_is_read(
    parties: AP2Parties, case: str, code: str
) -> None:
    body = parties.body(parties.issue(parties.world.cart()))
    headers, key = {"Idempotency-Key": "k1"}, registered(parties)
    if case == "no-idempotency-key":
        headers = {}
    elif case == "merchant-calls":
        key = registered(parties, MERCHANT, "merchant")
    elif case == "bad-shape":
        body["request_id"] = 7
    else:
        body["cart"] = "x"
    before = parties.world.snapshot()
    answer = post(parties, key, body, headers)
    assert answer.json()["code"] == code, answer.text
    assert answer.status_code in statuses(PAYMENT_PROVIDER, code)
    assert parties.world.snapshot() == before
