"""``crypto.httpsig.ucp_webhook.verify_webhook``: each way around it is tried and refused.

A webhook signed as ``commerce.ucp.webhooks`` signs it (ES256, UCP's request components plus
``webhook-id`` and ``webhook-timestamp``) verifies; another key under the same ``kid``, a changed
body, a changed ``Webhook-Id`` or ``Webhook-Timestamp``, a ``Webhook-Id`` other than the signed
``Idempotency-Key``, a signature that leaves the webhook fields out, a missing ``UCP-Agent`` and
a replayed nonce are each refused.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.ucp import UcpSignature, sign_request
from trustcart.crypto.httpsig.ucp_webhook import WEBHOOK_FIELDS, verify_webhook
from trustcart.crypto.keys import SigningKey
from trustcart.crypto.nonces import InMemoryNonceCache

URL = "http://127.0.0.1:9999/hooks/orders"
KEY = SigningKey.generate("ES256")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
BODY = b'{"id": "ord_1", "checkout_id": "cs_1"}'


def _signed(
    *,
    key: SigningKey = KEY,
    event_id: str = "6f1c1b7e-1d7a-4c53-9a7e-2f4d0f3a1b22",
    idempotency_key: str | None = None,
    agent: bool = True,
    also: tuple[str, ...] = WEBHOOK_FIELDS,
    nonce: str | None = None,
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key or event_id,
        "Webhook-Id": event_id,
        "Webhook-Timestamp": "1764676800",
    }
    if agent:
        headers["UCP-Agent"] = 'profile="http://127.0.0.1:8706/.well-known/ucp"'
    headers.update(
        sign_request(
            "POST",
            URL,
            headers,
            BODY,
            key,
            KEY.kid,
            NOW,
            nonce=nonce or uuid.uuid4().hex,
            also=also,
        )
    )
    return headers


def _verify(
    headers: dict[str, str], body: bytes = BODY, cache: InMemoryNonceCache | None = None
) -> UcpSignature:
    return verify_webhook(
        URL,
        headers,
        body,
        {KEY.kid: KEY.public}.get,
        NOW,
        InMemoryNonceCache() if cache is None else cache,
    )


def test_a_webhook_signed_as_the_business_signs_it_verifies() -> None:
    verified = _verify(_signed())
    assert verified.keyid == KEY.kid
    assert {"webhook-id", "webhook-timestamp", "idempotency-key"} <= set(
        verified.covered_components
    )


@pytest.mark.parametrize(
    "attempt",
    [
        "other-key",
        "body",
        "webhook-id",
        "webhook-timestamp",
        "id-not-idempotency-key",
        "fields-not-signed",
        "no-ucp-agent",
    ],
)
def test_each_way_around_it_is_refused(attempt: str) -> None:
    body = BODY
    if attempt == "other-key":
        headers = _signed(key=SigningKey.generate("ES256"))
    elif attempt == "id-not-idempotency-key":
        headers = _signed(idempotency_key=str(uuid.uuid4()))
    elif attempt == "fields-not-signed":
        headers = _signed(also=())
    elif attempt == "no-ucp-agent":
        headers = _signed(agent=False)
    else:
        headers = _signed()
        if attempt == "body":
            body = BODY.replace(b"ord_1", b"ord_2")
        elif attempt == "webhook-id":
            headers["Webhook-Id"] = str(uuid.uuid4())
        else:
            headers["Webhook-Timestamp"] = "1"
    with pytest.raises(InvalidSignature):
        _verify(headers, body)


def test_a_replayed_nonce_is_refused() -> None:
    cache = InMemoryNonceCache()
    headers = _signed(nonce="n" * 16)
    _verify(headers, cache=cache)
    with pytest.raises(InvalidSignature):
        _verify(headers, cache=cache)
