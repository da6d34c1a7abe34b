"""Our UCP platform publishes its profile and signs its requests; our business verifies them.

Over real loopback HTTP (SQLite and PostgreSQL): the trust app serves the platform profile at
``PLATFORM_PROFILE_PATH``, valid against the pinned ``platform_schema``, publishing the ES256
key of the key store's ``ucp-platform``. A ``UcpClient`` wired as ``platform_agent`` wires it
(``UCP-Agent`` naming that profile, ``UcpRequestSigner``) searches and creates a checkout at the
UCP business, which fetches the profile and verifies each signature (``api.ucp_gate``). A
signature made with another key under the published ``kid``, a body changed after signing, and
a replayed nonce are refused with UCP's codes, and nothing is created.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.helpers.ucp_flow import create_body
from tests.helpers.ucp_schemas import validate
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.assistant.ucp.client import UcpClient, fetch_profile
from trustcart.assistant.ucp.platform_profile import UcpRequestSigner
from trustcart.core.clock import SystemClock
from trustcart.crypto.httpsig.ucp import sign_request
from trustcart.crypto.keys import SigningKey
from trustcart.local.ucp_platform import PLATFORM_KEY, platform_profile_url
from trustcart.store.checkout import CheckoutSessionRow
from trustcart.store.db import Database


class ForgedSigner(httpx.Auth):
    """Signs with ``key`` but claims ``kid`` (the published key's id); ``tamper`` changes the
    body after signing; ``nonce`` is fixed when given."""

    requires_request_body = True

    def __init__(
        self, key: SigningKey, kid: str, *, tamper: bool = False, nonce: str | None = None
    ) -> None:
        self.key, self.kid, self.tamper, self.nonce = key, kid, tamper, nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        added = sign_request(
            request.method,
            str(request.url),
            dict(request.headers.items()),
            request.content,
            self.key,
            self.kid,
            datetime.now(UTC),
            nonce=self.nonce or uuid.uuid4().hex,
        )
        request.headers.update(added)
        if self.tamper:
            request = httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.content.replace(b'"quantity": 1', b'"quantity": 3'),
            )
        yield request


def _client(world: UcpWorld, http: httpx.Client) -> UcpClient:
    endpoints = world.deployment.endpoints
    with httpx.Client(timeout=10.0) as plain:
        business = fetch_profile(plain, endpoints.ucp)
    return UcpClient(http, business, platform=platform_profile_url(endpoints.trust))


def _sessions(world: UcpWorld) -> int:
    with world.deployment.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(CheckoutSessionRow)) or 0)


def test_platform_profile_is_served_signed_requests_verified_forgeries_refused(
    db: Database, tmp_path: Path
) -> None:
    with ucp_world(db, tmp_path) as world:
        deployment = world.deployment
        key = deployment.keys.get(PLATFORM_KEY, "ES256")
        url = platform_profile_url(deployment.endpoints.trust)
        served = httpx.get(url, timeout=10.0)
        assert served.status_code == 200
        document = served.json()
        validate(document["ucp"], "ucp.json#/$defs/platform_schema")
        assert [k["kid"] for k in document["signing_keys"]] == [key.kid]
        assert document["signing_keys"][0]["alg"] == "ES256"
        assert "d" not in document["signing_keys"][0]  # public only

        signer = UcpRequestSigner(key, SystemClock())
        with httpx.Client(timeout=20.0, auth=signer) as http:
            honest = _client(world, http)
            products = honest.search("pearl milk tea")
            product = next(p for p in products if p["price_range"]["min"]["amount"] <= 2500)
            before = _sessions(world)
            created = honest.create(create_body(product["id"], None), str(uuid.uuid4()))
        assert created["status"] in ("incomplete", "ready_for_complete")
        assert _sessions(world) == before + 1

        attempts = {
            "signature_invalid": ForgedSigner(SigningKey.generate("ES256"), key.kid),
            "digest_mismatch": ForgedSigner(key, key.kid, tamper=True),
        }
        body = create_body(product["id"], None)
        for code, auth in attempts.items():
            answer = _post(world, auth, body)
            assert answer.status_code in (400, 401), answer.text
            assert answer.json()["code"] == code
        nonce = uuid.uuid4().hex
        assert _post(world, ForgedSigner(key, key.kid, nonce=nonce), body).status_code == 201
        replayed = _post(world, ForgedSigner(key, key.kid, nonce=nonce), body)
        assert replayed.status_code == 401, replayed.text
        assert replayed.json()["code"] == "signature_replayed"
        assert _sessions(world) == before + 2  # the honest one and the first of the replayed


def _post(world: UcpWorld, auth: httpx.Auth, body: dict[str, object]) -> httpx.Response:
    endpoints = world.deployment.endpoints
    with httpx.Client(timeout=20.0, auth=auth) as http:
        return http.post(
            f"{endpoints.ucp}/checkout-sessions",
            content=json.dumps(body).encode(),
            headers={
                "UCP-Agent": f'profile="{platform_profile_url(endpoints.trust)}"',
                "Idempotency-Key": str(uuid.uuid4()),
                "Request-Id": str(uuid.uuid4()),
                "Content-Type": "application/json",
            },
        )
