"""Issue 10, item 4 on every app: deep, huge or broken JSON is a problem+json refusal, never a 500,
and anything unexpected is a problem+json 500 that says nothing about its cause.

Every POST route of every app the deployment serves (status, trust, merchant, psp) and the
try-on app is called with JSON nested ~990 deep (2 KB), unsigned and signed by a registered
key, and with tokens whose JWS header or payload is nested that deep.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, cast

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustcart.api.agent_auth import AgentRequestSigner
from trustcart.api.body_timeout import BODY_TIMEOUT_SECONDS, BodyTimeoutMiddleware
from trustcart.api.common import MAX_BODY_BYTES, create_app
from trustcart.api.tryon import create_tryon_app
from trustcart.core.problem import PROBLEM_CONTENT_TYPE
from trustcart.local.deployment import Deployment, build
from trustcart.local.servers import ROLE_NAMES, Endpoints
from trustcart.store.db import Database

DEEP = "[" * 990 + "]" * 990  # 1,980 bytes
DEEP_OBJECT = '{"a":' * 600 + "1" + "}" * 600
JSON = {"content-type": "application/json"}


@pytest.fixture
def deployment(sqlite_db: Database, tmp_path: Path) -> Iterator[Deployment]:
    ports = dict.fromkeys(ROLE_NAMES, 9)  # never called: the apps are driven in process
    built = build(sqlite_db, tmp_path, Endpoints.on_ports(ports))
    try:
        yield built
    finally:
        built.close()


def _apps(deployment: Deployment) -> dict[str, FastAPI]:
    return {**deployment.apps, "tryon": create_tryon_app()}


def _post_paths(app: FastAPI) -> list[str]:
    paths = []
    for route in app.routes:
        if isinstance(route, APIRoute) and "POST" in (route.methods or ()):
            paths.append(
                route.path.replace("{delegation_id}", "dlg_x").replace("{merchant_id}", "m_x")
            )
    return paths


class _Response(Protocol):
    """What the checks read of an httpx (or TestClient) response."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    def json(self) -> Any: ...


def _assert_problem(response: _Response, *statuses: int) -> str:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    code = response.json()["code"]
    assert isinstance(code, str)
    return code


# Routes of a peer protocol on our apps refuse in the peer's shape, not problem+json: our UCP
# platform's order-webhook receiver answers UCP's error_response (docs/ucp-platform.md).
PEER_ROUTES = frozenset({"/ucp/order-webhooks"})


def _assert_peer_error(response: _Response, *statuses: int) -> str:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["ucp"]["status"] == "error"
    code = body["messages"][0]["code"]
    assert isinstance(code, str)
    return code


def test_every_post_route_is_covered(deployment: Deployment) -> None:
    routes = {name: _post_paths(app) for name, app in _apps(deployment).items()}
    assert routes["status"] == ["/delegations", "/delegations/dlg_x/transitions"]
    assert "/payments" in routes["psp"]
    assert "/carts" in routes["merchant"]
    assert routes["trust"] == ["/records", "/ucp/order-webhooks"]
    assert routes["tryon"] == ["/tryon"]


@pytest.mark.parametrize("document", [DEEP, DEEP_OBJECT])
def test_deep_json_unsigned_is_refused_on_every_post(deployment: Deployment, document: str) -> None:
    for app in _apps(deployment).values():
        client = TestClient(app, raise_server_exceptions=False)
        for path in _post_paths(app):
            response = client.post(path, content=document, headers=JSON)
            if path in PEER_ROUTES:  # unsigned: refused before its body is parsed
                assert _assert_peer_error(response, 401) == "signature_missing", path
                continue
            code = _assert_problem(response, 400, 401)
            # A signed route refuses the missing signature first (nothing is parsed before
            # the signature verifies); every other route refuses the depth.
            assert code in ("json-too-deep", "signature-missing"), (path, code)


def test_deep_json_signed_by_a_registered_key_is_refused(deployment: Deployment) -> None:
    signer = AgentRequestSigner(deployment.agent_key, clock=deployment.clock)
    for role in ("merchant", "psp"):
        app = deployment.apps[role]
        for path in _post_paths(app):
            headers = {**JSON, "Idempotency-Key": "k1"}
            response = asyncio.run(_signed_post(app, signer, path, DEEP, headers))
            assert _assert_problem(response, 400) == "json-too-deep", path


async def _signed_post(
    app: FastAPI, signer: AgentRequestSigner, path: str, body: str, headers: dict[str, str]
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", auth=signer) as c:
        return await c.post(path, content=body, headers=headers)


def _token(header: bytes, payload: bytes) -> str:
    encode = base64.urlsafe_b64encode
    return ".".join(encode(part).rstrip(b"=").decode() for part in (header, payload, b"sig"))


def test_deep_jws_inside_a_body_is_an_invalid_token(deployment: Deployment) -> None:
    deep = ("[" * 5000 + "]" * 5000).encode()
    status = TestClient(deployment.apps["status"], raise_server_exceptions=False)
    for token in (_token(deep, b"{}"), _token(b'{"alg":"EdDSA"}', deep)):
        registered = status.post("/delegations", json={"iac": token, "proof": token})
        _assert_problem(registered, 400)
        moved = status.post("/delegations/dlg_x/transitions", json={"request": token})
        _assert_problem(moved, 400)
        psp = TestClient(deployment.apps["psp"], raise_server_exceptions=False)
        _assert_problem(psp.post("/bindings", json={"binding": token}), 400, 403)
        trust = TestClient(deployment.apps["trust"], raise_server_exceptions=False)
        _assert_problem(trust.post("/records", json={"record": token}), 400, 401, 403)


def test_size_and_type_are_refused_before_parsing(deployment: Deployment) -> None:
    client = TestClient(deployment.apps["status"], raise_server_exceptions=False)
    huge = b"[" * (MAX_BODY_BYTES + 1)
    assert _assert_problem(client.post("/delegations", content=huge, headers=JSON), 413) == (
        "body-too-large"
    )
    assert _assert_problem(client.post("/delegations", content=b"[]", headers={}), 415) == (
        "unsupported-media-type"
    )
    broken = client.post("/delegations", content=b"\xff\xfe{", headers=JSON)
    assert _assert_problem(broken, 400) == "malformed-json"


def test_an_unexpected_error_is_a_problem_500_without_internals() -> None:
    app = create_app("boom")

    @app.post("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    @app.get("/recursion")
    def recursion() -> None:
        raise RecursionError("maximum recursion depth exceeded in /secret/path.py")

    client = TestClient(app, raise_server_exceptions=False)
    for response in (client.post("/boom"), client.get("/recursion")):
        assert _assert_problem(response, 500) == "internal-error"
        assert "hunter2" not in response.text
        assert "secret" not in response.text
        assert "Error" not in response.text  # no exception type either


def test_every_app_has_the_body_deadline(deployment: Deployment) -> None:
    for app in _apps(deployment).values():
        deadlines = [
            cast(float, m.kwargs["timeout"])
            for m in app.user_middleware
            if cast(object, m.cls) is BodyTimeoutMiddleware
        ]
        assert len(deadlines) == 1
        assert deadlines[0] >= BODY_TIMEOUT_SECONDS


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=12,
)
_tokenish = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda a, b: _token(a.encode(), b.encode()),
        st.sampled_from(['{"alg":"EdDSA","kid":"x","typ":"t"}', "[]", "{", "[" * 300]),
        st.sampled_from(["{}", '{"delegation_id":"dlg_x"}', "[" * 300, "1"]),
    ),
)
_bodies = st.one_of(
    _json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "iac": _tokenish,
            "proof": _tokenish,
            "request": _tokenish,
            "binding": _tokenish,
            "record": _tokenish,
            "category": st.text(max_size=10),
            "person_image": st.text(max_size=20),
            "product_image": st.text(max_size=20),
        },
    ),
)


@given(body=_bodies)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_json_body_makes_an_unsigned_route_fail_with_a_500(
    deployment: Deployment, body: Any
) -> None:
    for name, app in _apps(deployment).items():
        if name in ("merchant",):
            continue  # every merchant POST is signed: refused before its body is read
        client = TestClient(app, raise_server_exceptions=False)
        for path in _post_paths(app):
            response = client.post(path, json=body)
            assert response.status_code < 500 or response.status_code == 503, (path, body)
            if path in PEER_ROUTES:
                _assert_peer_error(response, 401)
                continue
            assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE or (
                response.status_code < 300
            )
