"""Our platform receives the UCP business's order webhooks, over real loopback HTTP, on SQLite
and PostgreSQL (docs/ucp-platform.md, "Order webhooks").

End to end: Alice's agent buys from the installation's UCP business (the business added to her
records in the store); the business's relay reads our platform profile, finds its order
``webhook_url`` (the trust app) and delivers; the receiver verifies each event with the key of
the business's profile and keeps it; ``trustcart orders`` reports ``processing``, then
``fulfilled`` once the merchant hands the goods over. Refusals: each webhook below is made by
the business's own sender (``UcpWebhookSender``) and then broken once; it is refused with a
UCP error and nothing is kept. A redelivery and an exact replay answer 200 and keep nothing new.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.helpers.ucp_flow import complete_body, create_body, milk_tea, update_body
from tests.helpers.ucp_schemas import validate
from tests.helpers.ucp_shopper import MILK_TEA, remote_option
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.api.openapi.ucp_webhooks import ORDER_OUTLINE
from trustcart.assistant.memory import InMemoryMemory, Memory, RecordKind
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.ucp.order_events import latest_statuses, order_status
from trustcart.commerce.ucp.webhooks import UcpWebhookSender
from trustcart.crypto.httpsig.ucp import sign_request
from trustcart.crypto.httpsig.ucp_webhook import WEBHOOK_FIELDS
from trustcart.crypto.keys import SigningKey
from trustcart.delivery.messages import MessageKind
from trustcart.delivery.webhook_transport import WebhookRequest
from trustcart.delivery.webhooks import WebhookEnvelope, WebhookProtocol
from trustcart.local.market import Clients, tools_for
from trustcart.local.ucp import BUSINESS_KEY
from trustcart.local.ucp_platform import add_business, person_memory, platform_profile_url
from trustcart.local.ucp_platform_webhooks import MAX_BODY, order_webhook_url
from trustcart.store.db import Database


def events(memory: Memory) -> list[dict[str, Any]]:
    return memory.records(RecordKind.UCP_ORDER_EVENT)


def test_the_platform_profile_names_the_receiver(sqlite_db: Database, tmp_path: Path) -> None:
    with ucp_world(sqlite_db, tmp_path) as world:
        trust = world.deployment.endpoints.trust
        profile = httpx.get(platform_profile_url(trust), timeout=10).json()
        validate(profile["ucp"], "ucp.json#/$defs/platform_schema")
        [order] = profile["ucp"]["capabilities"]["dev.ucp.shopping.order"]
        validate(order["config"], "shopping/order.json#/$defs/platform_schema")
        assert order["config"]["webhook_url"] == order_webhook_url(trust)


def test_the_business_delivers_and_the_shopper_sees_fulfilled(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        deployment = world.deployment
        memory = person_memory(deployment.db)  # Alice's records in the store
        add_business(memory, deployment.endpoints.ucp)
        clients = Clients()
        try:
            tools = tools_for(deployment, clients, approver=lambda _r: True, memory=memory)
            option = remote_option(tools.compare(MILK_TEA))
            assert option is not None
            proposal = tools.propose_cart(option["option_id"])
            tools.request_approval(proposal["proposal_id"])
            assert tools.pay(proposal["proposal_id"])["status"] == "paid"
            [purchase] = tools.purchases.values()
            order_id = purchase.cart.out_trade_no

            deployment.relay.run_now()
            counts = deployment.relay.status().counts[MessageKind.WEBHOOK.value]
            assert counts == {"pending": 0, "delivered": 1, "refused": 0}
            [created] = events(memory)
            assert (created["order_id"], created["status"]) == (order_id, "processing")
            validate(created["order"], "shopping/order.json")
            [report] = ShopperRecords(tools).orders()
            assert (report["order_id"], report["status"]) == (order_id, "processing")

            deployment.merchants.fulfil(order_id)
            deployment.relay.run_now()
            counts = deployment.relay.status().counts[MessageKind.WEBHOOK.value]
            assert counts == {"pending": 0, "delivered": 2, "refused": 0}
            assert [e["status"] for e in events(memory)] == ["processing", "fulfilled"]
            [report] = ShopperRecords(tools).orders()
            assert report["status"] == "fulfilled"
        finally:
            clients.close()


class _OurProfile:
    def __init__(self, url: str) -> None:
        self.url = url

    def webhook_url(self, profile_url: str) -> str | None:
        return self.url


@contextmanager
def shop(db: Database, tmp_path: Path) -> Iterator[tuple[UcpWorld, Memory, str]]:
    """A world whose business Alice added, and the body of one real order of it."""
    with ucp_world(db, tmp_path) as world:
        deployment = world.deployment
        memory = person_memory(deployment.db)
        add_business(memory, deployment.endpoints.ucp)
        product = milk_tea(world)
        iac, token = world.credential()
        created = world.send("POST", "/checkout-sessions", create_body(product["id"], iac.token))
        path = f"/checkout-sessions/{created.json()['id']}"
        world.send("PUT", path, update_body(product["id"], 1, []))
        done = world.send("POST", f"{path}/complete", complete_body(token))
        assert done.status_code == 200, done.text
        order = world.send("GET", f"/orders/{done.json()['order']['id']}")
        assert order.status_code == 200, order.text
        yield world, memory, order.text


def webhook(
    world: UcpWorld,
    body: str,
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
    signed_at: datetime | None = None,
    key: SigningKey | None = None,
    business: str | None = None,
) -> WebhookRequest:
    """A webhook as the business's own sender makes it (its ES256 key by default)."""
    deployment = world.deployment
    now = datetime.now(UTC)
    sender = UcpWebhookSender(
        _OurProfile(order_webhook_url(deployment.endpoints.trust)),
        key or deployment.keys.get(BUSINESS_KEY, "ES256"),
        f"{business or deployment.endpoints.ucp}/.well-known/ucp",
    )
    envelope = WebhookEnvelope(
        WebhookProtocol.UCP,
        event_id or str(uuid.uuid4()),
        receiver="http://unused.test/profile",
        signer="m",
        event_type="order_updated",
        occurred_at=occurred_at or now,
        body=body,
    )
    request = sender.prepare(envelope, signed_at or now)
    assert isinstance(request, WebhookRequest)
    return request


def signed_by(world: UcpWorld, body: str, key: SigningKey | None = None) -> WebhookRequest:
    """A webhook in the business's name and under its key's ``kid``, signed by ``key`` (by
    default that key; any bytes as the body, which the business's sender would not send)."""
    deployment = world.deployment
    url = order_webhook_url(deployment.endpoints.trust)
    event_id = str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "UCP-Agent": f'profile="{deployment.endpoints.ucp}/.well-known/ucp"',
        "Idempotency-Key": event_id,
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(int(datetime.now(UTC).timestamp())),
    }
    business_key = deployment.keys.get(BUSINESS_KEY, "ES256")
    kid, key = business_key.kid, key or business_key
    raw = body.encode()
    headers.update(
        sign_request("POST", url, headers, raw, key, kid, datetime.now(UTC),
                     nonce=uuid.uuid4().hex, also=WEBHOOK_FIELDS)
    )  # fmt: skip
    return WebhookRequest(url, headers, raw)


def post(
    request: WebhookRequest, *, headers: dict[str, str] | None = None, body: bytes | None = None
) -> httpx.Response:
    sent = dict(request.headers) if headers is None else headers
    return httpx.post(request.url, headers=sent, content=request.body if body is None else body)


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    answer = response.json()
    validate(answer, "shopping/types/error_response.json")
    assert answer["messages"][0]["code"] == code, answer


def test_a_webhook_is_kept_once_and_every_forgery_is_refused(db: Database, tmp_path: Path) -> None:
    with shop(db, tmp_path) as (world, memory, order):
        # What the route accepts (a pinned order) is inside what its OpenAPI outline says.
        Draft202012Validator(ORDER_OUTLINE).validate(json.loads(order))
        first = webhook(world, order)
        answer = post(first)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"ucp": {"version": "2026-04-08", "status": "success"}}
        assert len(events(memory)) == 1

        # A redelivery (signed again, the same Webhook-Id) and an exact replay: 200, no effect.
        again = webhook(world, order, event_id=first.headers["Webhook-Id"])
        assert again.headers["Signature"] != first.headers["Signature"]
        assert post(again).status_code == 200
        assert post(first).status_code == 200
        assert len(events(memory)) == 1

        fresh = webhook(world, order)
        unsigned = {
            k: v for k, v in fresh.headers.items() if k not in ("Signature", "Signature-Input")
        }
        refused(post(fresh, headers=unsigned), 401, "signature_missing")
        nobody = {k: v for k, v in fresh.headers.items() if k != "UCP-Agent"}
        refused(post(fresh, headers=nobody), 401, "signature_missing")
        stranger = webhook(
            world, order, key=SigningKey.generate("ES256"), business="http://127.0.0.1:9"
        )
        refused(post(stranger), 403, "unknown_business")
        impostor = SigningKey.generate("ES256")
        refused(post(webhook(world, order, key=impostor)), 401, "key_not_found")
        refused(post(signed_by(world, order, impostor)), 401, "signature_invalid")
        changed = webhook(world, order)
        tampered = changed.body.replace(b'"processing"', b'"fulfilled"')
        assert tampered != changed.body
        refused(post(changed, body=tampered), 401, "digest_mismatch")
        relabelled = webhook(world, order)
        other_id = {**relabelled.headers, "Webhook-Id": str(uuid.uuid4())}
        refused(post(relabelled, headers=other_id), 401, "signature_invalid")
        stale = webhook(world, order, signed_at=datetime.now(UTC) - timedelta(minutes=10))
        refused(post(stale), 401, "signature_expired")
        for when in (timedelta(days=-5), timedelta(hours=1)):
            odd = webhook(world, order, occurred_at=datetime.now(UTC) + when)
            refused(post(odd), 400, "timestamp_out_of_range")
        refused(post(webhook(world, '{"id": "ord_1"}')), 400, "invalid_request")
        refused(post(signed_by(world, "not json")), 400, "invalid_json")
        huge = webhook(world, json.dumps({"pad": "x" * MAX_BODY}))
        refused(post(huge), 413, "body_too_large")
        assert len(events(memory)) == 1  # nothing kept from any of them


def test_a_late_older_event_does_not_undo_a_newer_one() -> None:
    memory = InMemoryMemory()
    for key, stamp, status in (("b", 20, "fulfilled"), ("a", 10, "processing")):
        record = {"business": "u", "order_id": "o", "timestamp": stamp, "status": status}
        assert memory.record_new(RecordKind.UCP_ORDER_EVENT, key, record)
    assert not memory.record_new(RecordKind.UCP_ORDER_EVENT, "a", {"x": 1})
    assert latest_statuses(memory) == {("u", "o"): "fulfilled"}


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        (["processing"], "processing"),
        (["fulfilled", "processing"], "partial"),
        (["partial"], "partial"),
        (["fulfilled", "removed"], "fulfilled"),
        (["removed"], "removed"),
        ([], "processing"),
    ],
)
def test_order_status_follows_the_line_items(lines: list[str], status: str) -> None:
    assert order_status({"line_items": [{"status": s} for s in lines]}) == status


def test_record_new_keeps_one_of_two_on_the_store(db: Database) -> None:
    memory = person_memory(db)
    assert memory.record_new(RecordKind.UCP_ORDER_EVENT, "k", {"n": 1})
    assert not memory.record_new(RecordKind.UCP_ORDER_EVENT, "k", {"n": 2})
    assert events(memory) == [{"n": 1}]
    # Two deliveries of one event at once: the unique (owner, kind, record_id) keeps one.
    start = threading.Barrier(2)

    def deliver(n: int) -> bool:
        start.wait()
        return person_memory(db).record_new(RecordKind.UCP_ORDER_EVENT, "twice", {"n": n})

    with ThreadPoolExecutor(2) as pool:
        kept = list(pool.map(deliver, (1, 2)))
    assert sorted(kept) == [False, True]
    assert len(events(memory)) == 2
