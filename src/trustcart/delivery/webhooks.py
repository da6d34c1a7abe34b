"""Order events owed to agent platforms (ACP, UCP webhooks): the envelope, its id, the URL rule.

Strategy: a webhook is one more kind of outbox message (``MessageKind.WEBHOOK``). The order
change and the event that reports it commit in one transaction (``stage_webhook``, called by
the protocol's observer inside the order's own transaction), and the relay delivers it at least
once, with the backoff every message has (``relay``, ``webhook_transport``). What is fixed when
the event is staged, and what is decided only when it is sent:

* fixed: the event id, the instant the change happened, the receiver (the ACP platform id or
  the UCP platform's profile URL), who signs (the ACP platform's shared secret, or the UCP
  merchant's key) and the exact body bytes. Every retry therefore sends the same id and the
  same bytes, and a receiver de-duplicates by the id (ACP ``Request-Id``, UCP ``Webhook-Id``);
* at send time: the receiver's URL (the platform may have changed it), the signature and its
  timestamp (a receiver refuses a signature older than its window, 300 s for ACP, so an event
  delivered after an outage must be signed when it leaves, not when it was staged).

Event ids are UUIDs (UCP's ``Webhook-Id`` is ``format: uuid``), derived by ``event_id`` from
what the event reports (protocol, session, order status), so staging the same change twice
yields the same id and ``stage_webhook`` keeps the first.

Receiver URLs (``check_receiver_url``, pure): ``http`` or ``https`` only, a host, no user info,
no fragment, at most 500 characters. Where the host is an address, or resolves to one
(``webhook_transport`` checks every resolved address before it connects): link-local
(169.254/16, fe80::/10, cloud metadata), multicast, unspecified and reserved addresses are
always refused; loopback only with ``ReceiverPolicy.allow_loopback`` and private ranges (RFC
1918, fc00::/7, CGNAT) only with ``allow_private``. Both default to refused; the one-machine
installation allows loopback, where every role runs (docs/acp.md, "Webhooks").

>>> check_receiver_url("https://platform.example/hooks", ReceiverPolicy())
'https://platform.example/hooks'
>>> event_id(WebhookProtocol.ACP, "cs_1", "FULFILLED")
'050af4d8-67bb-502d-8cbe-c7c37041a740'
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from trustcart.delivery.errors import InvalidMessage, InvalidWebhookUrl
from trustcart.delivery.messages import MessageKind, OutboxMessage
from trustcart.delivery.outbox import stage
from trustcart.store.outbox import OutboxRow

MAX_URL_LENGTH = 500
MAX_DESTINATION = 200  # outbox_messages.destination
# Event ids: UUIDv5 in this namespace over "protocol|session|status".
EVENT_NAMESPACE = uuid.UUID("6f1d3c2e-8a4b-5e7f-9c0d-1a2b3c4d5e6f")


class WebhookProtocol(StrEnum):
    """Whose wire format an event speaks, which decides its signer and headers."""

    ACP = "acp"
    UCP = "ucp"


class WebhookRefusal(StrEnum):
    """Why a webhook was not delivered (the start of the outbox row's ``last_error``)."""

    URL_REFUSED = "webhook-url-refused"  # final: not http(s), or an address the policy refuses
    RECEIVER_UNKNOWN = "webhook-receiver-unknown"  # final: no such platform, revoked, no URL
    RECEIVER_REFUSED = "webhook-receiver-refused"  # final: 400, 401, 403, 413 or 422
    RECEIVER_UNAVAILABLE = "webhook-receiver-unavailable"  # retried: down, timeout, 429, 5xx
    PROFILE_UNAVAILABLE = "webhook-profile-unavailable"  # retried: UCP profile unreachable
    SIGNER_UNAVAILABLE = "webhook-signer-unavailable"  # retried: the merchant has no key yet
    GAVE_UP = "webhook-gave-up"  # final: still failing after ``WebhookTransport.give_up_after``


@dataclass(frozen=True)
class ReceiverPolicy:
    """Which network addresses a webhook may go to (see module doc)."""

    allow_loopback: bool = False
    allow_private: bool = False

    def admits(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """Whether a connection to ``address`` is allowed.

        >>> ReceiverPolicy(allow_loopback=True).admits(ipaddress.ip_address("169.254.169.254"))
        False
        """
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_link_local or address.is_multicast or address.is_unspecified:
            return False
        if address.is_loopback:
            return self.allow_loopback
        if address.is_private or address in ipaddress.ip_network("100.64.0.0/10"):
            return self.allow_private
        return not address.is_reserved and address.is_global


def check_receiver_url(url: str, policy: ReceiverPolicy) -> str:
    """``url`` if a webhook may be sent to it, else ``InvalidWebhookUrl`` (fails closed).

    A host name is checked here only by name (``localhost`` is loopback); the transport checks
    the addresses it resolves to before connecting.

    >>> check_receiver_url("ftp://platform.example/", ReceiverPolicy())
    Traceback (most recent call last):
    ...
    trustcart.delivery.errors.InvalidWebhookUrl: a webhook URL must be http or https
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"a webhook URL is a string of 1 to {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise InvalidWebhookUrl(f"not a URL: {e}") from e
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhookUrl("a webhook URL must be http or https")
    host = parts.hostname
    if not host:
        raise InvalidWebhookUrl("a webhook URL must name a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidWebhookUrl("a webhook URL must not carry credentials")
    if parts.fragment or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise InvalidWebhookUrl("a webhook URL carries no fragment, space or control character")
    if port == 0:
        raise InvalidWebhookUrl("port 0 is not a receiver")
    address = _literal(host)
    if address is not None and not policy.admits(address):
        raise InvalidWebhookUrl(f"webhooks to {address} are not allowed by the receiver policy")
    return url


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if host.rstrip(".").lower() == "localhost" or host.lower().endswith(".localhost"):
        return ipaddress.ip_address("127.0.0.1")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def event_id(protocol: WebhookProtocol, session_id: str, status: str) -> str:
    """The stable id of the event reporting that ``session_id``'s order reached ``status``."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{protocol.value}|{session_id}|{status}"))


@dataclass(frozen=True)
class WebhookEnvelope:
    """One staged event: what is fixed at staging (module doc). The outbox row's payload."""

    protocol: WebhookProtocol
    event_id: str
    receiver: str  # ACP: the platform id; UCP: the platform's profile URL
    signer: str  # ACP: the platform id (its shared secret); UCP: the merchant id (its key)
    event_type: str  # ACP "order_create" / "order_update"; UCP "order_created" / ...
    occurred_at: datetime
    body: str  # the exact JSON text sent

    def __post_init__(self) -> None:
        if not isinstance(self.protocol, WebhookProtocol):
            raise InvalidMessage("protocol must be a WebhookProtocol")
        for name in ("receiver", "signer", "event_type", "body"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidMessage(f"{name} must be a non-empty string")
        try:
            parsed = uuid.UUID(self.event_id)
        except (ValueError, TypeError, AttributeError) as e:
            raise InvalidMessage("event_id must be a UUID") from e
        if str(parsed) != self.event_id:
            raise InvalidMessage("event_id must be a UUID in its canonical form")
        if not isinstance(self.occurred_at, datetime) or self.occurred_at.tzinfo is None:
            raise InvalidMessage("occurred_at must be an aware datetime")
        try:
            json.loads(self.body)
        except ValueError as e:
            raise InvalidMessage("body must be JSON text") from e

    @property
    def timestamp(self) -> int:
        """``occurred_at`` in unix seconds (UCP ``Webhook-Timestamp``)."""
        return int(self.occurred_at.timestamp())

    @property
    def destination(self) -> str:
        """The outbox destination: ``<protocol>:<receiver>``, cut to the column's size."""
        return f"{self.protocol.value}:{self.receiver}"[:MAX_DESTINATION]

    def to_payload(self) -> str:
        return json.dumps(
            {
                "protocol": self.protocol.value,
                "event_id": self.event_id,
                "receiver": self.receiver,
                "signer": self.signer,
                "event_type": self.event_type,
                "occurred_at": self.occurred_at.isoformat(),
                "body": self.body,
            },
            sort_keys=True,
        )

    @classmethod
    def from_payload(cls, payload: str) -> WebhookEnvelope:
        """The envelope a row holds; ``InvalidMessage`` if it is not one."""
        try:
            raw: dict[str, Any] = json.loads(payload)
            return cls(
                protocol=WebhookProtocol(raw["protocol"]),
                event_id=raw["event_id"],
                receiver=raw["receiver"],
                signer=raw["signer"],
                event_type=raw["event_type"],
                occurred_at=datetime.fromisoformat(raw["occurred_at"]),
                body=raw["body"],
            )
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidMessage(f"not a webhook envelope: {e}") from e


def stage_webhook(
    session: Session, envelope: WebhookEnvelope, *, sender: str, subject: str | None
) -> bool:
    """Stage ``envelope`` in the caller's transaction; False if its id is already owed."""
    if session.get(OutboxRow, envelope.event_id) is not None:
        return False
    stage(
        session,
        OutboxMessage(
            message_id=envelope.event_id,
            sender=sender,
            kind=MessageKind.WEBHOOK,
            destination=envelope.destination,
            payload=envelope.to_payload(),
            created_at=envelope.occurred_at,
            next_attempt_at=envelope.occurred_at,
            subject=subject,
        ),
    )
    session.flush()
    return True
