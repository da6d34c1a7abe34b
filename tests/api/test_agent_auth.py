"""Signed agent requests end to end: the httpx signer against the FastAPI dependency, over
ASGITransport and over a real uvicorn server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from trustcart.api.agent_auth import (
    AgentRequestSigner,
    RequestVerifier,
    VerifiedRequest,
    received_url,
    require_signed_get,
    require_signed_request,
)
from trustcart.api.common import create_app
from trustcart.core.clock import Clock, FixedClock, SystemClock
from trustcart.crypto.keys import SigningKey
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.local.servers import Servers, free_port
from trustcart.trust.directory import InMemoryKeyDirectory

AGENT = "agent:trustcart-assistant"
BASE = "http://merchant.test"


def build_app(directory: InMemoryKeyDirectory, clock: Clock, *, configured: bool = True) -> FastAPI:
    app = create_app("signed test app")
    if configured:
        app.state.request_verifier = RequestVerifier(directory, InMemoryNonceCache(), clock)

    @app.post("/orders")
    async def create_order(
        signed: Annotated[VerifiedRequest, Depends(require_signed_request)],
    ) -> dict[str, Any]:
        return {
            "party": signed.party_id,
            "kid": signed.kid,
            "role": signed.role,
            "json": signed.json,
            "bytes": len(signed.body),
        }

    @app.get("/orders/{order_id}")
    async def get_order(
        order_id: str,
        signed: Annotated[VerifiedRequest, Depends(require_signed_get)],
    ) -> dict[str, Any]:
        return {"order": order_id, "party": signed.party_id}

    return app


@pytest.fixture
def directory() -> InMemoryKeyDirectory:
    return InMemoryKeyDirectory()


@pytest.fixture(params=["EdDSA", "ES256"])
def agent_key(request: pytest.FixtureRequest, directory: InMemoryKeyDirectory) -> SigningKey:
    key = SigningKey.generate(request.param)
    directory.register(key.public, party_id=AGENT, role="agent")
    return key


def call(
    app: FastAPI, key: SigningKey | None, clock: Clock, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    auth = (
        AgentRequestSigner(key, clock=clock, signature_agent="https://agent.test/jwks.json")
        if key
        else None
    )

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE, auth=auth
        ) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_signed_post(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    app = build_app(directory, clock)
    response = call(app, agent_key, clock, "POST", "/orders?currency=CNY", json={"item": "p_1"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "party": AGENT,
        "kid": agent_key.kid,
        "role": "agent",
        "json": {"item": "p_1"},
        "bytes": len(b'{"item":"p_1"}'),
    }


def test_signed_get(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    response = call(build_app(directory, clock), agent_key, clock, "GET", "/orders/o%201")
    assert response.status_code == 200, response.text
    assert response.json() == {"order": "o 1", "party": AGENT}


def test_unsigned(directory: InMemoryKeyDirectory, clock: FixedClock) -> None:
    app = build_app(directory, clock)
    assert_problem(call(app, None, clock, "POST", "/orders", json={}), 401, "signature-missing")
    assert_problem(call(app, None, clock, "GET", "/orders/1"), 401, "signature-missing")


def test_unknown_agent(directory: InMemoryKeyDirectory, clock: FixedClock) -> None:
    stranger = SigningKey.generate()
    response = call(build_app(directory, clock), stranger, clock, "POST", "/orders", json={})
    assert_problem(response, 401, "unknown-agent")


def test_revoked_agent(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    directory.revoke(agent_key.kid)
    response = call(build_app(directory, clock), agent_key, clock, "POST", "/orders", json={})
    assert_problem(response, 401, "unknown-agent")


def test_key_of_another_role(directory: InMemoryKeyDirectory, clock: FixedClock) -> None:
    merchant = SigningKey.generate()
    directory.register(merchant.public, party_id="merchant:m1", role="merchant")
    response = call(build_app(directory, clock), merchant, clock, "POST", "/orders", json={})
    assert_problem(response, 401, "unknown-agent")


def test_expired_on_arrival(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    server_clock = FixedClock(clock.now() + timedelta(minutes=5))
    response = call(
        build_app(directory, server_clock), agent_key, clock, "POST", "/orders", json={}
    )
    assert_problem(response, 401, "signature-expired")


def test_created_in_the_future(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    client_clock = FixedClock(clock.now() + timedelta(minutes=1))
    response = call(
        build_app(directory, clock), agent_key, client_clock, "POST", "/orders", json={}
    )
    assert_problem(response, 401, "signature-expired")  # docs/errors.md: "in the future"


def _signed_request(
    key: SigningKey, clock: Clock, method: str, url: str, **kwargs: Any
) -> httpx.Request:
    request = httpx.Request(method, url, **kwargs)
    next(AgentRequestSigner(key, clock=clock).auth_flow(request))
    return request


def _send(app: FastAPI, request: httpx.Request) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            return await client.send(request)

    return asyncio.run(go())


def test_replayed_request(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    app = build_app(directory, clock)
    request = _signed_request(agent_key, clock, "POST", f"{BASE}/orders", json={"item": "p_1"})
    assert _send(app, request).status_code == 200
    assert_problem(_send(app, request), 401, "nonce-replayed")


def test_tampered_body(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    signed = _signed_request(agent_key, clock, "POST", f"{BASE}/orders", json={"qty": "1"})
    headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
    tampered = httpx.Request("POST", f"{BASE}/orders", headers=headers, content=b'{"qty":"9"}')
    assert_problem(_send(build_app(directory, clock), tampered), 400, "digest-mismatch")


def test_tampered_header(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    signed = _signed_request(agent_key, clock, "POST", f"{BASE}/orders", json={"qty": "1"})
    signed.headers["Content-Type"] = "application/json; charset=latin-1"
    assert_problem(_send(build_app(directory, clock), signed), 401, "signature-invalid")


def test_retargeted_request(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    signed = _signed_request(agent_key, clock, "POST", f"{BASE}/orders", json={"qty": "1"})
    moved = httpx.Request(
        "POST", f"{BASE}/orders?admin=1", headers=signed.headers, content=signed.content
    )
    assert_problem(_send(build_app(directory, clock), moved), 401, "signature-invalid")


def test_json_is_parsed_only_after_the_signature(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    app = build_app(directory, clock)
    response = call(
        app,
        agent_key,
        clock,
        "POST",
        "/orders",
        content=b"[1, 2",
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400, "malformed-json")


def test_body_too_large(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    response = call(
        build_app(directory, clock),
        agent_key,
        clock,
        "POST",
        "/orders",
        json={"blob": "x" * 70_000},
    )
    assert_problem(response, 413, "body-too-large")


def test_unconfigured_app_refuses(
    directory: InMemoryKeyDirectory, agent_key: SigningKey, clock: FixedClock
) -> None:
    app = build_app(directory, clock, configured=False)
    assert_problem(call(app, agent_key, clock, "POST", "/orders", json={}), 500, "internal-error")


def test_received_url_keeps_the_raw_path() -> None:
    from starlette.requests import Request

    scope = {
        "type": "http",
        "scheme": "http",
        "path": "/a b",
        "raw_path": b"/a%20b",
        "query_string": b"x=1",
        "headers": [(b"host", b"m.test:8080")],
        "method": "GET",
    }
    assert received_url(Request(scope)) == "http://m.test:8080/a%20b?x=1"


# --- a real server on loopback -------------------------------------------------------------


@pytest.fixture
def live_server(directory: InMemoryKeyDirectory) -> Iterator[str]:
    port = free_port()
    app = build_app(directory, SystemClock())
    # The same loopback servers the demo runs (trustcart.local.deployment.Servers).
    with Servers({"app": app}, {"app": port}):
        yield f"http://127.0.0.1:{port}"


def test_real_server_round_trip_and_replay(
    live_server: str, directory: InMemoryKeyDirectory, agent_key: SigningKey
) -> None:
    signer = AgentRequestSigner(agent_key, signature_agent="https://agent.test/jwks.json")
    with httpx.Client(base_url=live_server, auth=signer, timeout=10) as client:
        created = client.post("/orders", json={"item": "p_1"})
        assert created.status_code == 200, created.text
        assert created.json()["party"] == AGENT
        fetched = client.get("/orders/o_1")
        assert fetched.status_code == 200, fetched.text
    with httpx.Client(timeout=10) as plain:
        assert plain.post(f"{live_server}/orders", json={}).json()["code"] == "signature-missing"
        request = plain.build_request("POST", f"{live_server}/orders", json={"item": "p_2"})
        next(AgentRequestSigner(agent_key).auth_flow(request))
        assert plain.send(request).status_code == 200
        replay = plain.send(request)
        assert replay.status_code == 401
        assert replay.json()["code"] == "nonce-replayed"
