"""``WebhookTransport``: sends one staged order event to its platform, once, and judges the answer.

The relay hands it a ``MessageKind.WEBHOOK`` message; the protocol's ``WebhookSender`` turns
the envelope into the request (the receiver's URL as it stands now, the headers and the
signature made now: ACP ``commerce.acp.webhooks``, UCP ``commerce.ucp.webhooks``), or answers an
``Outcome`` itself when it cannot (an unknown platform: refused; a profile out of reach: retry).
Then, fail closed:

1. the URL must pass ``webhooks.check_receiver_url`` and every address its host resolves to
   must be admitted by the ``ReceiverPolicy`` (a name that points at a refused address is
   refused, whatever the name), else ``webhook-url-refused``, final;
2. one ``POST`` with the client's bounded timeouts and without following redirects;
3. the answer: 2xx and 409 (the platform already holds this event id, ACP RFC 4.2) are
   delivered; 400, 401, 403, 413 and 422 are refused for good (the same bytes will never be
   taken: ACP RFC 4.2 "do not retry"); anything else, a timeout or a refused connection is
   retried with the relay's backoff.

An event still failing ``give_up_after`` (3 days by default) after it was staged is refused
(``webhook-gave-up``) so it stays visible to an operator (``trustcart relay --status``) instead
of being retried for ever.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from trustcart.core.clock import Clock
from trustcart.delivery.errors import InvalidMessage, InvalidWebhookUrl
from trustcart.delivery.messages import OutboxMessage, Outcome, Verdict
from trustcart.delivery.webhooks import (
    ReceiverPolicy,
    WebhookEnvelope,
    WebhookProtocol,
    WebhookRefusal,
    check_receiver_url,
)

GIVE_UP_AFTER = timedelta(days=3)
FINAL_STATUSES = frozenset({400, 401, 403, 413, 422})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[Address]]


@dataclass(frozen=True)
class WebhookRequest:
    """The request a sender prepared: where, which headers, which bytes."""

    url: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


class WebhookSender(Protocol):
    """Prepares the request of one event now, or says why it cannot be sent."""

    def prepare(self, envelope: WebhookEnvelope, now: datetime) -> WebhookRequest | Outcome: ...


# RFC 6761 special-use names that never resolve on the internet: not looked up at all.
UNRESOLVABLE = (".test", ".example", ".invalid")


def resolve_host(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (empty when it does not resolve).

    >>> resolve_host("platform.test", 443)
    []
    """
    if f".{host.rstrip('.').lower()}".endswith(UNRESOLVABLE):
        return []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def judge_status(status: int, body: str = "") -> Outcome:
    """What a platform's HTTP status means for the event (module doc, step 3).

    >>> [judge_status(s).verdict.value for s in (200, 409, 401, 429, 503, 302)]
    ['delivered', 'delivered', 'refused', 'retry', 'retry', 'retry']
    """
    if 200 <= status < 300 or status == 409:
        return Outcome.delivered(f"platform answered {status}")
    detail = f"platform answered {status} {body[:200]}".rstrip()
    if status in FINAL_STATUSES:
        return Outcome.refused(f"{WebhookRefusal.RECEIVER_REFUSED}: {detail}")
    return Outcome.retry(f"{WebhookRefusal.RECEIVER_UNAVAILABLE}: {detail}")


class WebhookTransport:
    """Delivers webhook messages (see module doc); ``client`` carries the timeouts."""

    def __init__(
        self,
        client: httpx.Client,
        senders: Mapping[WebhookProtocol, WebhookSender],
        clock: Clock,
        policy: ReceiverPolicy,
        *,
        resolve: Resolver = resolve_host,
        give_up_after: timedelta = GIVE_UP_AFTER,
    ) -> None:
        self._client = client
        self._senders = dict(senders)
        self._clock = clock
        self._policy = policy
        self._resolve = resolve
        self._give_up_after = give_up_after

    def deliver(self, message: OutboxMessage) -> Outcome:
        outcome = self._attempt(message)
        now = self._clock.now()
        if outcome.verdict is Verdict.RETRY and now - message.created_at > self._give_up_after:
            return Outcome.refused(f"{WebhookRefusal.GAVE_UP}: {outcome.detail}")
        return outcome

    def _attempt(self, message: OutboxMessage) -> Outcome:
        try:
            envelope = WebhookEnvelope.from_payload(message.payload)
        except InvalidMessage as e:
            return Outcome.refused(f"{WebhookRefusal.RECEIVER_UNKNOWN}: {e}")
        sender = self._senders.get(envelope.protocol)
        if sender is None:
            return Outcome.retry(f"{WebhookRefusal.RECEIVER_UNAVAILABLE}: no {envelope.protocol}")
        prepared = sender.prepare(envelope, self._clock.now())
        if isinstance(prepared, Outcome):
            return prepared
        try:
            if not self.check_url(prepared.url):
                return Outcome.retry(f"{WebhookRefusal.RECEIVER_UNAVAILABLE}: no address")
        except InvalidWebhookUrl as e:
            return Outcome.refused(f"{WebhookRefusal.URL_REFUSED}: {e}")
        try:
            response = self._client.post(
                prepared.url,
                content=prepared.body,
                headers=dict(prepared.headers),
                follow_redirects=False,
            )
        except httpx.HTTPError as e:
            return Outcome.retry(f"{WebhookRefusal.RECEIVER_UNAVAILABLE}: {type(e).__name__}")
        return judge_status(response.status_code, response.text)

    def check_url(self, url: str) -> bool:
        """``check_destination`` under this transport's policy and resolver."""
        return check_destination(url, self._policy, self._resolve)


def check_destination(url: str, policy: ReceiverPolicy, resolve: Resolver = resolve_host) -> bool:
    """``InvalidWebhookUrl`` unless ``url`` and every address its host resolves to are
    admitted by ``policy``; False when the host resolves to nothing (for now: try later)."""
    check_receiver_url(url, policy)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    refused = [str(a) for a in addresses if not policy.admits(a)]
    if refused:
        raise InvalidWebhookUrl(f"{host} resolves to a refused address {refused[0]}")
    return bool(addresses)
