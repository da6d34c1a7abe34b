"""L3 (autonomous) payments over HTTP: a signed L3 payment succeeds with an L3 receipt, and
every refusal of an L3 body names its stage, including the shell's own (role, idempotency
header, body shape); an L2 refusal carries no stage."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.helpers.payments import AGENT, MERCHANT, World, make_world
from trustcart.api.agent_auth import AgentRequestSigner, RequestVerifier
from trustcart.api.psp import create_psp_app
from trustcart.core.clock import FixedClock
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.delegation.terms import DelegationMode
from trustcart.store.db import Database


def post(world: World, key: SigningKey, body: Any, headers: dict[str, str]) -> httpx.Response:
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
            return await client.post("/payments", json=body, headers=headers)

    return asyncio.run(go())


def registered(world: World, party: str = AGENT, role: str = "agent") -> SigningKey:
    key = SigningKey.generate()
    world.directory.register(key.public, party_id=party, role=role)
    return key


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    return make_world(db, clock)


def test_a_signed_l3_payment_gets_an_l3_receipt(world: World) -> None:
    answer = post(world, registered(world), world.request(mode="L3"), {"Idempotency-Key": "k1"})
    assert answer.status_code == 200, answer.text
    assert peek_payload(answer.json()["receipt"])["mode"] == "L3"


def test_a_specified_iac_is_refused_over_http_at_stage_mode(
    db: Database, clock: FixedClock
) -> None:
    w = make_world(db, clock, delegation_mode=DelegationMode.SPECIFIED)
    answer = post(w, registered(w), w.request(mode="L3"), {"Idempotency-Key": "k1"})
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["code"], answer.json()["stage"]) == ("aup-not-bounded", "mode")


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("no-idempotency-key", "idempotency-key-missing"),
        ("merchant-calls", "role-not-allowed"),
        ("bad-shape", "payment-request-invalid"),
    ],
)
def test_the_shells_refusals_of_an_l3_body_name_stage_request(
    world: World, case: str, code: str
) -> None:
    body, headers = world.request(mode="L3"), {"Idempotency-Key": "k1"}
    key = registered(world)
    if case == "no-idempotency-key":
        headers = {}
    elif case == "merchant-calls":
        key = registered(world, MERCHANT, "merchant")
    else:
        body["request_id"] = 7
    before = world.snapshot()
    answer = post(world, key, body, headers)
    assert (answer.json()["code"], answer.json().get("stage")) == (code, "request"), answer.text
    assert world.snapshot() == before


def test_an_l2_refusal_names_no_stage(world: World) -> None:
    answer = post(world, registered(world), world.request(), {})
    assert answer.json()["code"] == "idempotency-key-missing"
    assert "stage" not in answer.json()
