"""Webhook messages: the receiver URL policy (each bypass tried), the envelope, the id, the
answers and the give-up, with a real loopback receiver for the transport."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.webhook_receiver import WebhookReceiver
from trustcart.core.clock import FixedClock
from trustcart.delivery.errors import InvalidMessage, InvalidWebhookUrl
from trustcart.delivery.messages import MessageKind, OutboxMessage, Outcome, Verdict
from trustcart.delivery.webhook_transport import (
    WebhookRequest,
    WebhookTransport,
    check_destination,
    judge_status,
)
from trustcart.delivery.webhooks import (
    ReceiverPolicy,
    WebhookEnvelope,
    WebhookProtocol,
    WebhookRefusal,
    check_receiver_url,
    event_id,
)

AT = datetime(2026, 12, 2, 8, tzinfo=UTC)
STRICT = ReceiverPolicy()
LOOPBACK = ReceiverPolicy(allow_loopback=True)
DOCS = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")


def envelope(**fields: object) -> WebhookEnvelope:
    values: dict[str, object] = {
        "protocol": WebhookProtocol.ACP,
        "event_id": event_id(WebhookProtocol.ACP, "cs_1", "PAID"),
        "receiver": "plt_1",
        "signer": "plt_1",
        "event_type": "order_create",
        "occurred_at": AT,
        "body": '{"type":"order_create"}',
    }
    values.update(fields)
    return WebhookEnvelope(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://platform.example/hooks",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://",
        "https://user:pass@platform.example/hooks",
        "https://platform.example@127.0.0.1/hooks",
        "https://platform.example/hooks#frag",
        "https://platform.example/ho oks",
        "https://platform.example:0/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fe80::1]/",
        "http://0.0.0.0:8080/",
        "http://224.0.0.1/",
        "http://10.0.0.5/hooks",
        "http://192.168.1.2/hooks",
        "http://100.64.0.1/hooks",
        "http://127.0.0.1:8080/hooks",
        "http://localhost/hooks",
        "http://api.localhost/hooks",
        "http://[::1]/hooks",
        "https://platform.example/" + "a" * 500,
    ],
)
def test_the_strict_policy_refuses_every_bypass(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl):
        check_receiver_url(url, STRICT)


def test_loopback_and_private_need_their_own_permission() -> None:
    assert check_receiver_url("http://127.0.0.1:9/hooks", LOOPBACK)
    assert check_receiver_url("http://localhost:9/hooks", LOOPBACK)
    with pytest.raises(InvalidWebhookUrl):
        check_receiver_url("http://10.0.0.5/hooks", LOOPBACK)
    assert check_receiver_url("http://10.0.0.5/hooks", ReceiverPolicy(allow_private=True))
    for always_refused in ("http://169.254.169.254/", "http://[::ffff:169.254.169.254]/"):
        with pytest.raises(InvalidWebhookUrl):
            check_receiver_url(always_refused, ReceiverPolicy(True, True))
    assert check_receiver_url("https://platform.example/hooks", STRICT)


@given(st.integers(min_value=0, max_value=2**16 - 1))
def test_no_policy_admits_link_local(low: int) -> None:
    address = ipaddress.IPv4Address(int(ipaddress.IPv4Address("169.254.0.0")) + low)
    assert not ReceiverPolicy(allow_loopback=True, allow_private=True).admits(address)
    assert not ReceiverPolicy(True, True).admits(ipaddress.IPv6Address(f"::ffff:{address}"))


def test_a_public_name_that_resolves_to_a_refused_address_is_refused() -> None:
    def rebinding(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("169.254.169.254")]

    with pytest.raises(InvalidWebhookUrl, match="refused address"):
        check_destination("https://platform.example/hooks", STRICT, rebinding)
    assert check_destination("https://platform.example/hooks", STRICT, lambda h, p: []) is False
    public = [ipaddress.ip_address("93.184.216.34")]
    assert check_destination("https://platform.example/hooks", STRICT, lambda h, p: public)


def test_event_ids_are_stable_uuids_per_protocol_session_and_status() -> None:
    first = event_id(WebhookProtocol.ACP, "cs_1", "PAID")
    assert first == event_id(WebhookProtocol.ACP, "cs_1", "PAID")
    assert uuid.UUID(first).version == 5
    others = {
        event_id(WebhookProtocol.UCP, "cs_1", "PAID"),
        event_id(WebhookProtocol.ACP, "cs_2", "PAID"),
        event_id(WebhookProtocol.ACP, "cs_1", "FULFILLED"),
    }
    assert first not in others
    assert len(others) == 3


def test_the_envelope_round_trips_and_refuses_what_cannot_exist() -> None:
    made = envelope()
    assert WebhookEnvelope.from_payload(made.to_payload()) == made
    assert made.timestamp == int(AT.timestamp())
    assert made.destination == "acp:plt_1"
    assert len(envelope(receiver="https://p.example/" + "x" * 300).destination) == 200
    for bad in (
        {"event_id": "evt_1"},
        {"event_id": str(uuid.uuid4()).upper()},
        {"occurred_at": AT.replace(tzinfo=None)},
        {"body": "not json"},
        {"receiver": ""},
        {"protocol": "acp"},
    ):
        with pytest.raises(InvalidMessage):
            envelope(**bad)
    for payload in ("{}", "[]", "not json", '{"protocol": "smtp"}'):
        with pytest.raises(InvalidMessage):
            WebhookEnvelope.from_payload(payload)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (409, Verdict.DELIVERED),  # the platform already holds this event id
        (400, Verdict.REFUSED),
        (401, Verdict.REFUSED),
        (403, Verdict.REFUSED),
        (413, Verdict.REFUSED),
        (422, Verdict.REFUSED),
        (301, Verdict.RETRY),
        (404, Verdict.RETRY),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
    ],
)
def test_what_each_answer_means(status: int, verdict: Verdict) -> None:
    assert judge_status(status).verdict is verdict


class FixedSender:
    def __init__(self, url: str) -> None:
        self.url = url

    def prepare(self, envelope: WebhookEnvelope, now: datetime) -> WebhookRequest | Outcome:
        return WebhookRequest(
            self.url, {"Content-Type": "application/json"}, envelope.body.encode()
        )


def message_of(made: WebhookEnvelope) -> OutboxMessage:
    return OutboxMessage(
        made.event_id, "mer_1", MessageKind.WEBHOOK, made.destination, made.to_payload(), AT, AT
    )


def test_the_transport_over_a_real_receiver_retries_refuses_and_gives_up() -> None:
    clock = FixedClock(AT)
    with WebhookReceiver(statuses=[503, 401]) as receiver, httpx.Client(timeout=2.0) as client:
        sender = FixedSender(receiver.url)
        transport = WebhookTransport(client, {WebhookProtocol.ACP: sender}, clock, LOOPBACK)
        message = message_of(envelope())
        down = transport.deliver(message)  # not started yet: connection refused
        assert down.verdict is Verdict.RETRY
        assert down.detail.startswith(WebhookRefusal.RECEIVER_UNAVAILABLE)
        receiver.start()
        assert transport.deliver(message).verdict is Verdict.RETRY  # 503
        refused = transport.deliver(message)  # 401: never taken as it stands
        assert refused.verdict is Verdict.REFUSED
        assert refused.detail.startswith(WebhookRefusal.RECEIVER_REFUSED)
        assert transport.deliver(message).verdict is Verdict.DELIVERED
        assert [r.body for r in receiver.posts()] == [b'{"type":"order_create"}'] * 3
        receiver.statuses = [500]
        clock.advance(timedelta(days=3, seconds=1))
        gave_up = transport.deliver(message)
        assert gave_up.verdict is Verdict.REFUSED
        assert gave_up.detail.startswith(WebhookRefusal.GAVE_UP)


def test_the_transport_refuses_an_address_the_policy_forbids_without_connecting() -> None:
    with WebhookReceiver() as receiver, httpx.Client(timeout=2.0) as client:
        receiver.start()
        transport = WebhookTransport(
            client, {WebhookProtocol.ACP: FixedSender(receiver.url)}, FixedClock(AT), STRICT
        )
        outcome = transport.deliver(message_of(envelope()))
        assert outcome.verdict is Verdict.REFUSED
        assert outcome.detail.startswith(WebhookRefusal.URL_REFUSED)
        assert receiver.posts() == []


def test_every_refusal_code_is_documented() -> None:
    assert [code.value for code in WebhookRefusal if f"`{code.value}`" not in DOCS] == []
