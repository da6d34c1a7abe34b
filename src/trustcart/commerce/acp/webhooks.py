"""ACP order webhooks: order events to the agent platform, HMAC-signed, from the durable outbox.

Wire format (``openapi.agentic_checkout_webhook.yaml`` 2026-04-17 and
``rfc.agentic_checkout_webhook.md``): ``POST`` to the platform's webhook URL with the body
``{"type": "order_create" | "order_update", "data": <the full Order>}`` (the Order exactly as
the session's ``order`` shows it, ``render.render_order``) and the headers

    Content-Type: application/json
    Merchant-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>
    Request-Id: <event id>      the same on every retry: the platform de-duplicates by it
    Timestamp: <RFC 3339>       when the order changed

The URL and the secret are the platform's registration at this merchant
(``platforms.register_platform(..., webhook_url=...)`` returns the ``whsec_...`` secret once).
They are read when the event is sent, so a platform that changes its URL gets the events still
owed at the new one; a platform revoked meanwhile gets nothing (``webhook-receiver-unknown``).
``t`` is the moment of sending, so an event delivered after an outage still passes the
platform's 300-second window. HMAC comes from the standard library (``hmac``, ``hashlib``);
``verify_merchant_signature`` is the platform's check, constant-time.

Events: ``order_create`` when a session is completed (order status ``confirmed``: paid, ready
for fulfilment), ``order_update`` when the order is fulfilled (``completed``). Nothing is staged
for a platform that registered no webhook URL.

>>> sign_merchant_signature(b'{"type":"order_create"}', "whsec_test", 1709123456)[:13]
't=1709123456,'
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from trustcart.commerce.acp.platforms import get_platform
from trustcart.commerce.acp.render import Seller, render_order
from trustcart.commerce.checkout_view import CheckoutView
from trustcart.commerce.checkout_webhooks import CREATED, OrderWebhooks
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import Order
from trustcart.core.clock import format_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.delivery.messages import Outcome
from trustcart.delivery.webhook_transport import WebhookRequest
from trustcart.delivery.webhooks import WebhookEnvelope, WebhookProtocol, WebhookRefusal
from trustcart.store.checkout import AgentPlatformRow
from trustcart.store.db import Database

SIGNATURE_HEADER = "Merchant-Signature"
TOLERANCE = timedelta(seconds=300)  # the spec's recommended window
_HEADER = re.compile(r"^t=(\d{1,12}),v1=([a-fA-F0-9]{64})$")


def _mac(body: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign_merchant_signature(body: bytes, secret: str, timestamp: int) -> str:
    """The ``Merchant-Signature`` value for ``body`` signed at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_mac(body, secret, timestamp)}"


def verify_merchant_signature(
    header: str | None,
    body: bytes,
    secret: str,
    now: datetime,
    *,
    tolerance: timedelta = TOLERANCE,
) -> None:
    """The platform's check of a webhook: ``InvalidSignature`` unless ``header`` is well
    formed, within ``tolerance`` of ``now`` and the HMAC of these exact bytes.

    >>> from datetime import UTC, datetime
    >>> now = datetime.fromtimestamp(1709123456, UTC)
    >>> header = sign_merchant_signature(b"{}", "whsec_test", 1709123456)
    >>> verify_merchant_signature(header, b"{}", "whsec_test", now) is None
    True
    """
    match = _HEADER.match(header or "")
    if match is None:
        raise InvalidSignature("Merchant-Signature must be t=<timestamp>,v1=<64 hex>")
    timestamp = int(match.group(1))
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        raise InvalidSignature("timestamp outside the allowed window")
    if not hmac.compare_digest(_mac(body, secret, timestamp), match.group(2).lower()):
        raise InvalidSignature("webhook signature verification failed")


class AcpWebhookSender:
    """Prepares an ACP event from the platform's registration as it stands (module doc)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def prepare(self, envelope: WebhookEnvelope, now: datetime) -> WebhookRequest | Outcome:
        with self._db.read() as session:
            row = session.get(AgentPlatformRow, envelope.receiver)
            url = row.webhook_url if row is not None else None
            secret = row.webhook_secret if row is not None else None
            revoked = row is None or row.revoked_at is not None
        if revoked or not url or not secret:
            return Outcome.refused(
                f"{WebhookRefusal.RECEIVER_UNKNOWN}: platform {envelope.receiver} is unknown, "
                "revoked or takes no webhooks"
            )
        body = envelope.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_merchant_signature(body, secret, int(now.timestamp())),
            "Request-Id": envelope.event_id,
            "Timestamp": format_instant(envelope.occurred_at),
        }
        return WebhookRequest(url, headers, body)


class AcpOrderWebhooks(OrderWebhooks):
    """Stages ACP order events for the session's platform (``checkout_webhooks``)."""

    protocol = WebhookProtocol.ACP

    def __init__(self, market: Marketplace, seller: Callable[[str], Seller]) -> None:
        super().__init__(market)
        self._seller = seller

    def envelope(
        self, db: Session, view: CheckoutView, order: Order, kind: str, now: datetime
    ) -> WebhookEnvelope | None:
        platform = get_platform(db, view.session.platform_id)
        if platform is None or not platform.webhook_url:
            return None
        event_type = "order_create" if kind == CREATED else "order_update"
        data = render_order(view, self._seller(view.session.merchant_id))
        return self.new_envelope(
            view,
            order,
            receiver=platform.platform_id,
            signer=platform.platform_id,
            event_type=event_type,
            body={"type": event_type, "data": data},
            now=now,
        )
