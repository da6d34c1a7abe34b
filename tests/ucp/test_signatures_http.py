"""RFC 9421 signatures and negotiation over real loopback HTTP, with a real platform profile
server: signed requests admitted, tampered, replayed and unsigned ones refused with nothing
changed, every response signed with the key the business publishes; version and capability
negotiation with the platform's profile; an unreachable profile is refused or falls back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers.ucp_flow import create_body, milk_tea
from tests.helpers.ucp_platform import PlatformServer, platform_server, signed
from tests.helpers.ucp_schemas import validate_checkout, validate_error, validate_profile
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.crypto.httpsig.ucp import verify_response
from trustcart.crypto.keys import PublicKey
from trustcart.store.checkout import CheckoutSessionRow
from trustcart.store.db import Database


def sessions(world: UcpWorld) -> int:
    with world.deployment.db.read() as db:
        return int(db.scalar(select(func.count()).select_from(CheckoutSessionRow)) or 0)


def business_keys(world: UcpWorld) -> dict[str, PublicKey]:
    profile = world.client.get("/.well-known/ucp").json()
    validate_profile(profile)
    return {
        key["kid"]: PublicKey.from_jwk(key)
        for key in profile["signing_keys"]
        if key.get("alg") == "ES256"
    }


def assert_signed_by_business(world: UcpWorld, answer: httpx.Response) -> None:
    keys = business_keys(world)
    verified = verify_response(
        answer.status_code,
        list(answer.headers.multi_items()),
        answer.content,
        keys.get,
        datetime.now(UTC),
    )
    assert verified.covered_components == ("@status", "content-digest", "content-type")


def assert_transport_error(answer: httpx.Response, code: str) -> None:
    """UCP's REST transport error (discovery, version, signature): ``{"code", "content"}``."""
    body = answer.json()
    assert set(body) == {"code", "content"}, body
    assert body["code"] == code
    assert isinstance(body["content"], str)


def send_signed(
    world: UcpWorld, platform: PlatformServer, method: str, path: str, body: object = None
) -> httpx.Response:
    headers, raw = signed(platform, method, f"{world.deployment.endpoints.ucp}{path}", body)
    return world.client.request(method, path, content=raw, headers=headers)


@pytest.fixture
def platform() -> Iterator[PlatformServer]:
    with platform_server() as server:
        yield server


def test_signed_requests_pass_and_every_response_is_signed(
    db: Database, tmp_path: Path, platform: PlatformServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTCART_UCP_REQUIRE_SIGNATURES", "1")
    with ucp_world(db, tmp_path) as world:
        url = f"{world.deployment.endpoints.ucp}/checkout-sessions"
        product_id = _product_id(world, platform)
        body = create_body(product_id, None)
        created = send_signed(world, platform, "POST", "/checkout-sessions", body)
        assert created.status_code == 201, created.text
        validate_checkout(created.json())
        assert_signed_by_business(world, created)
        fetched = send_signed(world, platform, "GET", f"/checkout-sessions/{created.json()['id']}")
        assert fetched.status_code == 200, fetched.text
        assert_signed_by_business(world, fetched)
        count = sessions(world)

        def refused(headers: dict[str, str], raw: bytes, code: str, status: int) -> None:
            answer = world.client.post("/checkout-sessions", content=raw, headers=headers)
            assert answer.status_code == status, answer.text
            assert_transport_error(answer, code)
            assert_signed_by_business(world, answer)  # errors are signed too

        headers, raw = signed(platform, "POST", url, body)
        refused(headers, raw.replace(b'"quantity": 1', b'"quantity": 9'), "digest_mismatch", 400)
        refused({**headers, "Idempotency-Key": str(uuid.uuid4())}, raw, "signature_invalid", 401)
        replayed = world.client.post("/checkout-sessions", content=raw, headers=headers)
        assert replayed.status_code == 201  # the first use of this signature
        refused(headers, raw, "signature_replayed", 401)  # the same nonce again
        stale_headers, stale = signed(
            platform, "POST", url, body, now=datetime.now(UTC) - timedelta(minutes=10)
        )
        refused(stale_headers, stale, "signature_expired", 401)
        other_headers, other = signed(platform, "POST", url, body, kid="not-published")
        refused(other_headers, other, "key_not_found", 401)
        unsigned = {
            "UCP-Agent": platform.agent_header,
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        refused(unsigned, raw, "signature_missing", 401)
        assert sessions(world) == count + 1  # only the one admitted create made a session


def _product_id(world: UcpWorld, platform: PlatformServer) -> str:
    request = {"query": "pearl milk tea", "pagination": {"limit": 5}}
    found = send_signed(world, platform, "POST", "/catalog/search", request)
    assert found.status_code == 200, found.text
    products = found.json()["products"]
    return str(next(p for p in products if p["price_range"]["min"]["amount"] <= 2500)["id"])


def test_negotiation_with_the_platform_profile(
    sqlite_db: Database, tmp_path: Path, platform: PlatformServer
) -> None:
    with ucp_world(sqlite_db, tmp_path) as world:
        product_id = milk_tea(world)["id"]
        agent = {"UCP-Agent": platform.agent_header}
        # the platform lists checkout only: no discount or fulfillment in the answer
        platform.document["ucp"]["capabilities"] = {
            "dev.ucp.shopping.checkout": [{"version": "2026-04-08"}],
            "dev.ucp.shopping.catalog.search": [{"version": "2026-04-08"}],
        }
        created = world.send(
            "POST", "/checkout-sessions", create_body(product_id, None), headers=agent
        )
        assert created.status_code == 201, created.text
        assert set(created.json()["ucp"]["capabilities"]) == {"dev.ucp.shopping.checkout"}
        assert "discounts" not in created.json()
        assert "fulfillment" not in created.json()
        assert_signed_by_business(world, created)  # unsigned requests get signed answers too
        # no cart capability: carts are capabilities_incompatible (200, nothing made)
        count = sessions(world)
        cart = world.send(
            "POST",
            "/carts",
            {"line_items": create_body(product_id, None)["line_items"]},
            headers=agent,
        )
        assert cart.status_code == 200, cart.text
        validate_error(cart.json())
        assert cart.json()["messages"][0]["code"] == "capabilities_incompatible"
        assert sessions(world) == count


def test_wrong_platform_version_and_unreachable_profiles(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTCART_UCP_UNREACHABLE_PROFILE", "reject")
    with platform_server() as old, ucp_world(sqlite_db, tmp_path) as world:
        old.document["ucp"]["version"] = "2026-01-11"
        body = {"query": "pearl milk tea"}
        answer = world.send(
            "POST", "/catalog/search", body, headers={"UCP-Agent": old.agent_header}
        )
        assert answer.status_code == 422, answer.text
        assert_transport_error(answer, "version_unsupported")
        # the default world platform (https://platform.test) does not resolve: 400 when rejecting
        unresolved = world.send("POST", "/catalog/search", body)
        assert unresolved.status_code == 400, unresolved.text
        assert_transport_error(unresolved, "invalid_profile_url")
        # a host that answers 404 for the profile: 424, whatever the policy
        old.status = 404
        gone = world.send(
            "POST", "/catalog/search", body, headers={"UCP-Agent": f'profile="{old.url}?n=1"'}
        )
        assert gone.status_code == 424, gone.text
        assert_transport_error(gone, "profile_unreachable")
        plain = world.send(
            "POST", "/catalog/search", body, headers={"UCP-Agent": 'profile="http://p.example/u"'}
        )
        assert plain.status_code == 400
        assert_transport_error(plain, "invalid_profile_url")
