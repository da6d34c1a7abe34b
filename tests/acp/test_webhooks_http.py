"""ACP order webhooks over real loopback HTTP, on SQLite and PostgreSQL.

The platform's receiver is down for the whole checkout (create, complete, fulfil); the events
wait in the outbox, committed with the order changes. It comes up; a relay is killed right
after its POST reached the receiver and before it recorded the delivery; a new relay resumes
after the lease. The receiver has every event at least once, and exactly once after
de-duplicating by ``Request-Id``; every body validates against the pinned
``openapi.agentic_checkout_webhook.yaml``; every ``Merchant-Signature`` verifies with the
platform's secret, and a tampered body does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.helpers.acp import SPEC, HttpAcp, _openapi, acp_installation, delegate_body
from tests.helpers.webhook_receiver import WebhookReceiver
from trustcart.commerce.acp.platforms import register_platform
from trustcart.commerce.acp.webhooks import verify_merchant_signature
from trustcart.commerce.errors import IllegalTransition
from trustcart.conformance.acp_world import MERCHANT_ID
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.errors import InvalidSignature
from trustcart.delivery.errors import InvalidWebhookUrl
from trustcart.delivery.messages import MessageKind, OutboxMessage, Outcome
from trustcart.delivery.relay import OutboxRelay
from trustcart.local.webhooks import webhook_transport
from trustcart.store.db import Database

ADDRESS = {
    "name": "Ada Lovelace",
    "line_one": "1234 Chat Road",
    "city": "San Francisco",
    "state": "CA",
    "country": "US",
    "postal_code": "94131",
}


@cache
def webhook_event_schema() -> Draft202012Validator:
    """``WebhookEvent`` of the pinned webhook OpenAPI, its ``Order`` from the checkout one."""
    hooks = yaml.safe_load(
        (SPEC / "openapi" / "openapi.agentic_checkout_webhook.yaml").read_text(encoding="utf-8")
    )
    components = json.loads(json.dumps(_openapi("openapi.agentic_checkout.yaml")["components"]))
    text = json.dumps(hooks["components"]["schemas"]).replace(
        "./openapi.agentic_checkout.yaml#/components/schemas/Order", "#/components/schemas/Order"
    )
    components["schemas"].update(json.loads(text))
    return Draft202012Validator(
        {"$ref": "#/components/schemas/WebhookEvent", "components": components}
    )


class HookedPlatform:
    """An ACP platform registered with a webhook URL, speaking over HTTP."""

    def __init__(self, acp: HttpAcp, api_key: str) -> None:
        self.acp, self.api_key, self.n = acp, api_key, 0

    def post(self, path: str, body: dict[str, Any]) -> Any:
        self.n += 1
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "API-Version": "2026-04-17",
            "Content-Type": "application/json",
            "Idempotency-Key": f"hook-{self.n}",
        }
        return self.acp.send("POST", path, headers, json.dumps(body).encode())

    def buy(self) -> dict[str, Any]:
        created = self.post(
            "/checkout_sessions",
            {
                "currency": "usd",
                "line_items": [{"id": "item_123", "quantity": 1}],
                "fulfillment_details": {"name": "Ada", "address": ADDRESS},
            },
        )
        assert created.status == 201, created.body
        session_id = created.body["id"]
        total = next(t["amount"] for t in created.body["totals"] if t["type"] == "total")
        body = delegate_body(self.acp.deployment.clock, session_id, Money(total, "USD"))
        minted = self.acp.delegate(body, key=f"hook-dp-{session_id}")
        assert minted.status_code == 201, minted.text
        completed = self.post(
            f"/checkout_sessions/{session_id}/complete",
            {
                "buyer": {"first_name": "Ada", "email": "ada@example.com"},
                "payment_data": {
                    "handler_id": "trustcart_delegated_card",
                    "instrument": {
                        "type": "card",
                        "credential": {"type": "spt", "token": minted.json()["id"]},
                    },
                },
            },
        )
        assert completed.status == 200, completed.body
        assert completed.body["status"] == "completed"
        return dict(completed.body)


class KilledAfterPost:
    """A relay's transport that dies (SystemExit) once its POST reached the receiver."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def deliver(self, message: OutboxMessage) -> Outcome:
        self.inner.deliver(message)
        raise SystemExit("relay killed mid-delivery")


def webhook_counts(acp: HttpAcp) -> dict[str, int]:
    return acp.deployment.relay.status().counts[MessageKind.WEBHOOK.value]


@pytest.fixture
def hooked(db: Database, tmp_path: Path, clock: FixedClock) -> Iterator[tuple[HttpAcp, Any]]:
    with WebhookReceiver() as receiver, acp_installation(db, tmp_path / "home", clock) as acp:
        yield acp, receiver


def test_a_platform_down_for_the_whole_checkout_gets_every_event_once(
    hooked: tuple[HttpAcp, WebhookReceiver], clock: FixedClock
) -> None:
    acp, receiver = hooked
    deployment = acp.deployment
    with deployment.db.transaction() as session:
        registration = register_platform(
            session, MERCHANT_ID, "hooked platform", now=clock.now(), webhook_url=receiver.url
        )
    secret = registration.platform.webhook_secret
    assert secret is not None
    assert secret.startswith("whsec_")
    platform = HookedPlatform(acp, registration.api_key)

    done = platform.buy()  # the receiver is down throughout
    order_id = done["order"]["id"]
    assert webhook_counts(acp) == {"pending": 1, "delivered": 0, "refused": 0}  # with the order
    assert deployment.relay.run_once().retrying  # refused connection: retried later

    def broken_hook(*_args: object) -> None:
        raise RuntimeError("the transaction fails after the webhook was staged")

    deployment.merchants._market.order_hooks.append(broken_hook)
    with pytest.raises(RuntimeError):  # the order change and its event roll back together
        deployment.merchants.fulfil(order_id)
    deployment.merchants._market.order_hooks.remove(broken_hook)
    assert webhook_counts(acp)["pending"] == 1
    assert deployment.merchants.order(order_id).status.value == "PAID"
    deployment.merchants.fulfil(order_id)  # the merchant API, not the checkout: still reported
    assert webhook_counts(acp)["pending"] == 2
    with pytest.raises(IllegalTransition):  # a change that does not happen stages nothing
        deployment.merchants.fulfil(order_id)
    assert webhook_counts(acp)["pending"] == 2
    clock.advance(timedelta(seconds=30))
    deployment.relay.run_once()
    assert webhook_counts(acp)["pending"] == 2
    assert receiver.posts() == []

    receiver.start()
    clock.advance(timedelta(minutes=1))
    transport, clients = webhook_transport(deployment.db, clock, None, ucp_url=None)
    try:
        killed = OutboxRelay(
            deployment.db, clock, {MessageKind.WEBHOOK: KilledAfterPost(transport)}
        )
        with pytest.raises(SystemExit):
            killed.run_once()
    finally:
        for client in clients:
            client.close()
    assert len(receiver.posts()) == 1  # it arrived; the relay never recorded it
    assert webhook_counts(acp)["pending"] == 2
    clock.advance(timedelta(minutes=2))  # past the dead relay's lease and every backoff
    report = deployment.relay.run_once()
    assert set(receiver.unique("Request-Id")) <= set(report.delivered)
    assert webhook_counts(acp) == {"pending": 0, "delivered": 2, "refused": 0}

    posts = receiver.posts()
    assert len(posts) == 3  # at least once: the killed relay's POST came again
    kept = receiver.unique("Request-Id")
    assert len(kept) == 2  # exactly once after de-duplication
    events = sorted((r.json() for r in kept.values()), key=lambda e: e["type"])
    assert [e["type"] for e in events] == ["order_create", "order_update"]
    assert [e["data"]["status"] for e in events] == ["confirmed", "completed"]
    for event in events:
        errors = [e.message for e in webhook_event_schema().iter_errors(event)]
        assert errors == []
        assert event["data"]["id"] == order_id
        assert event["data"]["checkout_session_id"] == done["id"]
    for request in posts:
        assert request.path == "/hooks/orders"
        assert request.headers["content-type"] == "application/json"
        verify_merchant_signature(
            request.headers["merchant-signature"], request.body, secret, clock.now()
        )
        tampered = request.body.replace(b'"confirmed"', b'"canceled"').replace(
            b'"completed"', b'"canceled"'
        )
        assert tampered != request.body
        with pytest.raises(InvalidSignature):
            verify_merchant_signature(
                request.headers["merchant-signature"], tampered, secret, clock.now()
            )
    repeated = [r for r in posts if list(kept.values()).count(r) == 0]
    assert len(repeated) == 1
    original = kept[repeated[0].headers["request-id"]]
    assert repeated[0].body == original.body  # the same bytes, under the same id


def test_a_platform_without_a_webhook_url_gets_nothing_staged(
    hooked: tuple[HttpAcp, WebhookReceiver],
) -> None:
    acp, _receiver = hooked
    HookedPlatform(acp, acp.api_key).buy()  # the installation's platform registered no URL
    assert webhook_counts(acp) == {"pending": 0, "delivered": 0, "refused": 0}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://agent.example/hooks",
        "https://user:secret@agent.example/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "https://agent.example/hooks#x",
        "hooks",
    ],
)
def test_a_bad_webhook_url_is_refused_at_registration(sqlite_db: Database, url: str) -> None:
    with sqlite_db.transaction() as session, pytest.raises(InvalidWebhookUrl):
        register_platform(session, MERCHANT_ID, "bad", now=datetime.now(UTC), webhook_url=url)


def test_the_event_schema_takes_the_pinned_examples_and_refuses_a_broken_one() -> None:
    document = yaml.safe_load(
        (SPEC / "openapi" / "openapi.agentic_checkout_webhook.yaml").read_text(encoding="utf-8")
    )
    examples = document["paths"]["/agentic_checkout/webhooks/order_events"]["post"]["requestBody"][
        "content"
    ]["application/json"]["examples"]
    assert len(examples) == 3
    for example in examples.values():
        assert list(webhook_event_schema().iter_errors(example["value"])) == []
    broken = dict(examples["order_created"]["value"], event_id="evt_1")  # no such property
    assert list(webhook_event_schema().iter_errors(broken)) != []
    data = dict(examples["order_created"]["value"]["data"])
    del data["permalink_url"]
    assert list(webhook_event_schema().iter_errors({"type": "order_create", "data": data})) != []
