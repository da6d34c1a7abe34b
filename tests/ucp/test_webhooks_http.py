"""UCP order webhooks over real loopback HTTP, on SQLite and PostgreSQL.

The platform names its profile in ``UCP-Agent``; the profile (served by the platform's own
receiver) names its order ``webhook_url``. The platform goes down once the checkout is admitted; the
events wait in the outbox. It comes up; a relay killed right after its POST reached the
receiver is resumed. The receiver has every event at least once and exactly once after
de-duplicating by ``Webhook-Id``; every body validates against the pinned ``order.json``;
every RFC 9421 signature verifies with the merchant key the business profile publishes, and a
tampered body, id or timestamp does not.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.ucp_flow import complete_body, create_body, milk_tea, update_body
from tests.helpers.ucp_schemas import validate
from tests.helpers.ucp_world import UcpWorld, ucp_world
from tests.helpers.webhook_receiver import Received, WebhookReceiver
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.ucp_webhook import verify_webhook
from trustcart.crypto.keys import PublicKey
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.delivery.messages import MessageKind, OutboxMessage, Outcome
from trustcart.delivery.relay import OutboxRelay
from trustcart.local.ucp import BUSINESS_KEY
from trustcart.local.webhooks import webhook_transport
from trustcart.store.db import Database

COVERED = (
    '"@method"',
    '"@authority"',
    '"@path"',
    '"ucp-agent"',
    '"idempotency-key"',
    '"webhook-id"',
    '"webhook-timestamp"',
    '"content-digest"',
    '"content-type"',
)


class KilledAfterPost:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def deliver(self, message: OutboxMessage) -> Outcome:
        self.inner.deliver(message)
        raise SystemExit("relay killed mid-delivery")


def buy(world: UcpWorld, agent: str) -> dict[str, Any]:
    product = milk_tea(world)
    iac, token = world.credential()
    headers = {"UCP-Agent": agent}
    created = world.send(
        "POST", "/checkout-sessions", create_body(product["id"], iac.token), headers=headers
    )
    assert created.status_code == 201, created.text
    path = f"/checkout-sessions/{created.json()['id']}"
    ready = world.send("PUT", path, update_body(product["id"], 1, []), headers=headers)
    assert ready.json()["status"] == "ready_for_complete", ready.text
    done = world.send("POST", f"{path}/complete", complete_body(token), headers=headers)
    assert done.status_code == 200, done.text
    return dict(done.json())


def business_key(world: UcpWorld, kid: str) -> PublicKey | None:
    profile = world.client.get("/.well-known/ucp").json()
    for jwk in profile["signing_keys"]:
        if jwk["kid"] == kid:
            return PublicKey.from_jwk({k: v for k, v in jwk.items() if k not in ("use", "alg")})
    return None


def verify(world: UcpWorld, request: Received, url: str, body: bytes | None = None) -> str:
    verified = verify_webhook(
        url,
        request.headers,
        request.body if body is None else body,
        lambda kid: business_key(world, kid),
        datetime.now(UTC),
        InMemoryNonceCache(),
    )
    return verified.keyid


def test_a_platform_down_for_the_whole_checkout_gets_every_event_once(
    db: Database, tmp_path: Path
) -> None:
    with WebhookReceiver() as receiver, ucp_world(db, tmp_path) as world:
        deployment = world.deployment
        agent = f'profile="{receiver.profile_url}"'
        # The business reads the platform's profile to admit the checkout (version and
        # capability negotiation), so the platform is up for that; it goes down before any
        # event is sent and stays down through the order's fulfilment.
        receiver.start()
        done = buy(world, agent)
        receiver.stop()
        order_id = done["order"]["id"]
        deployment.relay.run_now()  # the profile is out of reach: retried later
        deployment.merchants.fulfil(order_id)
        counts = deployment.relay.status().counts[MessageKind.WEBHOOK.value]
        assert counts == {"pending": 2, "delivered": 0, "refused": 0}
        assert receiver.posts() == []

        receiver.start()
        transport, clients = webhook_transport(
            deployment.db,
            deployment.clock,
            deployment.keys.get(BUSINESS_KEY, "ES256"),
            ucp_url=deployment.endpoints.ucp,
        )
        try:
            killed = OutboxRelay(
                deployment.db, deployment.clock, {MessageKind.WEBHOOK: KilledAfterPost(transport)}
            )
            with pytest.raises(SystemExit):
                killed.run_now()
        finally:
            for client in clients:
                client.close()
        assert len(receiver.posts()) == 1  # arrived, never recorded as delivered
        deployment.relay.run_now()  # resumed (as ``trustcart relay --once --now`` does)
        counts = deployment.relay.status().counts[MessageKind.WEBHOOK.value]
        assert counts == {"pending": 0, "delivered": 2, "refused": 0}

        posts = receiver.posts()
        assert len(posts) == 3
        kept = receiver.unique("Webhook-Id")
        assert len(kept) == 2
        orders = [r.json() for r in kept.values()]
        for order in orders:
            validate(order, "shopping/order.json")
            assert order["id"] == order_id
            assert order["checkout_id"] == done["id"]
        statuses = sorted(o["line_items"][0]["status"] for o in orders)
        assert statuses == ["fulfilled", "processing"]

        url = receiver.url
        business = f'profile="{deployment.endpoints.ucp}/.well-known/ucp"'
        for request in posts:
            headers = request.headers
            assert headers["ucp-agent"] == business
            assert str(uuid.UUID(headers["webhook-id"])) == headers["webhook-id"]
            assert int(headers["webhook-timestamp"]) > 0
            assert all(c in headers["signature-input"] for c in COVERED)
            assert verify(world, request, url) == business_key_kid(world, request)
            # UCP's profile: ES256, the business key (not a merchant's Ed25519 cart key)
            assert business_key_kid(world, request) == deployment.keys.get(BUSINESS_KEY).kid
            assert headers["idempotency-key"] == headers["webhook-id"]
            tampered = request.body.replace(order_id.encode(), b"ord_forged")
            assert tampered != request.body
            with pytest.raises(InvalidSignature):
                verify(world, request, url, body=tampered)
            for name, value in (("webhook-id", str(uuid.uuid4())), ("webhook-timestamp", "1")):
                forged = Received(
                    request.method, request.path, {**headers, name: value}, request.body
                )
                with pytest.raises(InvalidSignature):
                    verify(world, forged, url)
        repeated = [r for r in posts if r not in kept.values()]
        assert len(repeated) == 1
        assert repeated[0].body == kept[repeated[0].headers["webhook-id"]].body


def business_key_kid(world: UcpWorld, request: Received) -> str:
    """The kid the signature names, which must be a key of the business profile."""
    kid = request.headers["signature-input"].split('keyid="', 1)[1].split('"', 1)[0]
    assert business_key(world, kid) is not None
    return kid


def test_a_platform_whose_profile_names_no_webhook_url_is_refused_for_good(
    sqlite_db: Database, tmp_path: Path
) -> None:
    with WebhookReceiver() as receiver, ucp_world(sqlite_db, tmp_path) as world:
        no_hook = {"dev.ucp.shopping.checkout": [{"version": "2026-04-08"}]}
        receiver.profile = lambda: {"ucp": {"version": "2026-04-08", "capabilities": no_hook}}  # type: ignore[method-assign]
        receiver.start()
        buy(world, f'profile="{receiver.profile_url}"')
        world.deployment.relay.run_now()
        counts = world.deployment.relay.status().counts[MessageKind.WEBHOOK.value]
        assert counts == {"pending": 0, "delivered": 0, "refused": 1}
        assert receiver.posts() == []
