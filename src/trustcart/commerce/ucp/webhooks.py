"""UCP order webhooks: the full order to the platform's webhook URL, RFC 9421-signed with the
business's ES256 key, from the durable outbox.

Wire format (UCP 2026-04-08: ``rest.openapi.json`` ``webhooks.orderEvent``, ``order.json``,
the Order capability's "Events" and the signature profile): ``POST`` of the order object (the
same body as ``GET /orders/{id}``, ``render.render_order``) with

    Content-Type: application/json
    UCP-Agent: profile="<this business>/.well-known/ucp"     who signs
    Webhook-Id: <event id, a UUID>      the same on every retry: the platform de-duplicates by it
    Webhook-Timestamp: <unix seconds>   when the order changed
    Content-Digest, Signature-Input, Signature   RFC 9421 + RFC 9530, made when it is sent

The signature is UCP's RFC 9421 signature profile (``crypto.httpsig.ucp.sign_request``), made
with the business's **ES256** key (UCP requires ES256 of every signer), the key that signs the
business's responses and that ``/.well-known/ucp`` publishes first in ``signing_keys``: label
``sig1``, ``keyid`` its JWK thumbprint, covered ``"@method" "@authority" "@path" "ucp-agent"
"idempotency-key" "content-digest" "content-type"`` (UCP's request components; a webhook is a
state-changing POST, so it carries ``Idempotency-Key``, the event id) plus ``"webhook-id"
"webhook-timestamp"``, ``created`` and a nonce. A platform verifies it with the key its
``kid`` names in our ``/.well-known/ucp`` (``crypto.httpsig.ucp_webhook.verify_webhook``, which
also refuses a ``Webhook-Id`` other than the signed ``Idempotency-Key``). Without that key the
event waits (``webhook-signer-unavailable``, retried): it is never sent unsigned.

Where the URL comes from: the platform's own profile (the URL in ``UCP-Agent`` on its
checkout), ``ucp.capabilities["dev.ucp.shopping.order"][i].config.webhook_url``
(``order.json#/$defs/platform_schema``). It is read when the event is sent, outside any
transaction (``HttpPlatformProfiles``: one ``GET`` with the client's bounded timeouts, the
profile URL itself checked by the receiver policy first; an answer kept ``ttl``, a failure
not kept: the relay's backoff already spaces the next try). An unreachable profile is retried
with the relay's backoff (``webhook-profile-unavailable``); a profile without an order
``webhook_url`` takes no webhooks and the event is refused for good
(``webhook-receiver-unknown``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy.orm import Session

from trustcart.commerce.checkout_view import CheckoutView
from trustcart.commerce.checkout_webhooks import CREATED, OrderWebhooks
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import Order
from trustcart.commerce.ucp.render import render_order
from trustcart.core.clock import Clock
from trustcart.core.errors import TrustcartError, ValidationError
from trustcart.core.ids import RandomBytes
from trustcart.crypto.httpsig.profile import new_nonce
from trustcart.crypto.httpsig.ucp import sign_request
from trustcart.crypto.httpsig.ucp_webhook import WEBHOOK_FIELDS
from trustcart.crypto.keys import SigningKey
from trustcart.delivery.errors import InvalidWebhookUrl
from trustcart.delivery.messages import Outcome
from trustcart.delivery.webhook_transport import WebhookRequest
from trustcart.delivery.webhooks import WebhookEnvelope, WebhookProtocol, WebhookRefusal

ORDER_CAPABILITY = "dev.ucp.shopping.order"
WEBHOOK_COMPONENTS = WEBHOOK_FIELDS  # signed beside UCP's request components
MAX_PROFILE_BYTES = 256 * 1024


class ProfileUnavailable(TrustcartError):
    """The platform's profile could not be read now (unreachable, not JSON, too large)."""


def order_webhook_url(profile: Any) -> str | None:
    """The order capability's ``config.webhook_url`` in a platform profile, if any.

    >>> order_webhook_url({"ucp": {"capabilities": {"dev.ucp.shopping.order": [
    ...     {"version": "2026-04-08", "config": {"webhook_url": "https://p.example/hooks"}}]}}})
    'https://p.example/hooks'
    """
    ucp = profile.get("ucp") if isinstance(profile, dict) else None
    capabilities = ucp.get("capabilities") if isinstance(ucp, dict) else None
    entries = capabilities.get(ORDER_CAPABILITY) if isinstance(capabilities, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        config = entry.get("config") if isinstance(entry, dict) else None
        url = config.get("webhook_url") if isinstance(config, dict) else None
        if isinstance(url, str) and url:
            return url
    return None


class PlatformProfiles(Protocol):
    """Where a platform wants its order events: ``None`` when it takes none."""

    def webhook_url(self, profile_url: str) -> str | None: ...


class HttpPlatformProfiles:
    """Reads platform profiles over HTTP, checked and cached (module doc)."""

    def __init__(
        self,
        client: httpx.Client,
        clock: Clock,
        check_url: Callable[[str], bool],
        *,
        ttl: timedelta = timedelta(minutes=5),
    ) -> None:
        self._client = client
        self._clock = clock
        self._check_url = check_url
        self._ttl = ttl
        self._cache: dict[str, tuple[datetime, str | None]] = {}

    def webhook_url(self, profile_url: str) -> str | None:
        """The profile's order webhook URL; ``ProfileUnavailable`` when it cannot be read."""
        now = self._clock.now()
        cached = self._cache.get(profile_url)
        if cached is not None and cached[0] > now:
            return cached[1]
        answer = self._fetch(profile_url)
        if isinstance(answer, ProfileUnavailable):
            raise answer
        self._cache[profile_url] = (now + self._ttl, answer)
        return answer

    def _fetch(self, profile_url: str) -> str | ProfileUnavailable | None:
        try:
            if not self._check_url(profile_url):
                return ProfileUnavailable(f"{profile_url} does not resolve")
        except InvalidWebhookUrl as e:
            return ProfileUnavailable(f"profile URL refused: {e}")
        try:
            response = self._client.get(profile_url, follow_redirects=False)
        except httpx.HTTPError as e:
            return ProfileUnavailable(f"profile unreachable: {type(e).__name__}")
        if response.status_code != 200 or len(response.content) > MAX_PROFILE_BYTES:
            return ProfileUnavailable(f"profile answered {response.status_code}")
        try:
            return order_webhook_url(response.json())
        except ValueError:
            return ProfileUnavailable("the profile is not JSON")


class UcpWebhookSender:
    """Prepares a UCP event: the URL from the platform's profile, signed by the business's
    ES256 key (``business_key``; ``None``: not available, the event waits)."""

    def __init__(
        self,
        profiles: PlatformProfiles,
        business_key: SigningKey | None,
        business_profile_url: str,
        *,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        if business_key is not None and business_key.alg != "ES256":
            raise ValidationError("UCP webhooks are signed with an ES256 key")
        self._profiles = profiles
        self._key = business_key
        self._agent = f'profile="{business_profile_url}"'
        self._random = random_bytes

    def prepare(self, envelope: WebhookEnvelope, now: datetime) -> WebhookRequest | Outcome:
        try:
            url = self._profiles.webhook_url(envelope.receiver)
        except ProfileUnavailable as e:
            return Outcome.retry(f"{WebhookRefusal.PROFILE_UNAVAILABLE}: {e}")
        if url is None:
            return Outcome.refused(
                f"{WebhookRefusal.RECEIVER_UNKNOWN}: {envelope.receiver} names no order webhook_url"
            )
        key = self._key
        if key is None:
            return Outcome.retry(f"{WebhookRefusal.SIGNER_UNAVAILABLE}: no UCP business key")
        body = envelope.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "UCP-Agent": self._agent,
            "Idempotency-Key": envelope.event_id,
            "Webhook-Id": envelope.event_id,
            "Webhook-Timestamp": str(envelope.timestamp),
        }
        try:
            headers.update(
                sign_request(
                    "POST",
                    url,
                    headers,
                    body,
                    key,
                    key.kid,
                    now,
                    nonce=new_nonce(self._random),
                    also=WEBHOOK_COMPONENTS,
                )
            )
        except ValidationError as e:
            return Outcome.refused(f"{WebhookRefusal.URL_REFUSED}: cannot sign for {url}: {e}")
        return WebhookRequest(url, headers, body)


class UcpOrderWebhooks(OrderWebhooks):
    """Stages UCP order events for the session's platform (``checkout_webhooks``)."""

    protocol = WebhookProtocol.UCP

    def __init__(self, market: Marketplace, base_url: str) -> None:
        super().__init__(market)
        self._base_url = base_url

    def envelope(
        self, db: Session, view: CheckoutView, order: Order, kind: str, now: datetime
    ) -> WebhookEnvelope | None:
        profile_url = view.session.platform_id  # the UCP-Agent profile that made the session
        if not profile_url.startswith(("https://", "http://")):
            return None
        event_type = "order_created" if kind == CREATED else "order_updated"
        return self.new_envelope(
            view,
            order,
            receiver=profile_url,
            signer=order.merchant_id,
            event_type=event_type,
            body=render_order(view, order, self._base_url),
            now=now,
        )
