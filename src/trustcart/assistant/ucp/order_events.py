"""Order webhooks a UCP business sends our platform: checked, de-duplicated, kept.

The business side is ``commerce.ucp.webhooks``; this is the receiver (served by the trust app at
``local.ucp_platform.ORDER_WEBHOOK_PATH``, the ``webhook_url`` our platform profile names).
``OrderEventInbox.receive`` takes a request as received and either keeps one ``OrderEvent`` in
the person's records or raises ``WebhookRefused`` and keeps nothing. Rules, in order (each
failure has its UCP wire code; the HTTP status is final for the sender's relay):

1. **Who sends.** ``UCP-Agent: profile="<business>/.well-known/ucp"`` must name a business the
   person added (``RememberedBusinesses``: the profile fetched and checked when it was added);
   no header is ``signature_missing`` (401), any other sender ``unknown_business`` (403). We
   never fetch a URL a request names: the keys are the ones already kept.
2. **Its signature.** ``crypto.httpsig.ucp_webhook.verify_webhook`` with that business's
   ES256 ``signing_keys`` (by ``kid``) at the URL we published: every component covered,
   ``Content-Digest`` of the exact body, ``created`` within 5 minutes, a nonce not seen for
   that business, ``Webhook-Id`` equal to the signed ``Idempotency-Key``. Failures are 401
   (``signature_invalid``, ``digest_mismatch``, ``key_not_found``, ``signature_expired``).
   A replayed nonce is the same request again: answered as a duplicate (200, nothing kept)
   when its event is already kept, else ``signature_replayed``.
3. **Its time.** ``Webhook-Timestamp`` (signed) is when the order changed, not when the event
   was sent (``created`` is that): the business's outbox retries an event for up to 3 days,
   so it may be up to ``EVENT_MAX_AGE`` (4 days) old and at most ``CLOCK_SKEW`` ahead;
   anything else is ``timestamp_out_of_range`` (400).
4. **Its body.** A JSON object valid against the pinned ``shopping/order.json``
   (``invalid_json``, ``invalid_request``: 400).
5. **Once.** The event is kept with ``Memory.record_new`` under a key of the business and the
   ``Webhook-Id``: a redelivery (the relay re-signs each attempt) is a duplicate, 200, and
   changes nothing.

The order's status for the person (``order_status``) is derived from its line items as UCP
derives theirs: ``fulfilled`` when every line that was not removed is fulfilled, ``partial``
when some quantity is, ``removed`` when every line was removed, else ``processing``.
``latest_statuses`` answers, per business and order id, the status of the event with the
latest ``Webhook-Timestamp`` (an older event delivered late does not undo a newer one).

>>> order_status({"line_items": [{"status": "fulfilled"}, {"status": "removed"}]})
'fulfilled'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from http_sfv.dictionary import Dictionary

from trustcart.assistant.memory import Memory, RecordKind
from trustcart.assistant.ucp.directory import RememberedBusinesses
from trustcart.assistant.ucp.errors import UcpError, WebhookRefused
from trustcart.assistant.ucp.profile import BusinessProfile, normalize_url
from trustcart.assistant.ucp.schemas import problems
from trustcart.core.clock import format_instant
from trustcart.crypto.digest import DigestMismatch
from trustcart.crypto.errors import InvalidSignature, KeyFormatError
from trustcart.crypto.httpsig.fields import FieldLines
from trustcart.crypto.httpsig.ucp import AlgorithmUnsupported
from trustcart.crypto.httpsig.ucp_webhook import verify_webhook
from trustcart.crypto.httpsig.verification import (
    NonceReplayed,
    SignatureExpired,
    SignatureMissing,
    UnknownKey,
)
from trustcart.crypto.keys import PublicKey
from trustcart.crypto.nonces import NonceCache

ORDER_SCHEMA = "shopping/order.json"
PROFILE_PATH = "/.well-known/ucp"
EVENT_MAX_AGE = timedelta(days=4)  # the business's outbox retries for up to 3 days
CLOCK_SKEW = timedelta(minutes=5)
MAX_WEBHOOK_ID = 128


class WebhookCode(StrEnum):
    """UCP wire codes of a refused webhook (the business's vocabulary; docs/errors.md)."""

    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_INVALID = "signature_invalid"
    DIGEST_MISMATCH = "digest_mismatch"
    KEY_NOT_FOUND = "key_not_found"
    ALGORITHM_UNSUPPORTED = "algorithm_unsupported"
    SIGNATURE_EXPIRED = "signature_expired"
    SIGNATURE_REPLAYED = "signature_replayed"
    UNKNOWN_BUSINESS = "unknown_business"
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    INVALID_JSON = "invalid_json"
    INVALID_REQUEST = "invalid_request"


_SIGNATURE_CODES: tuple[tuple[type[InvalidSignature], WebhookCode], ...] = (
    (SignatureMissing, WebhookCode.SIGNATURE_MISSING),
    (DigestMismatch, WebhookCode.DIGEST_MISMATCH),
    (UnknownKey, WebhookCode.KEY_NOT_FOUND),
    (AlgorithmUnsupported, WebhookCode.ALGORITHM_UNSUPPORTED),
    (SignatureExpired, WebhookCode.SIGNATURE_EXPIRED),
    (NonceReplayed, WebhookCode.SIGNATURE_REPLAYED),
)


def _refused(code: WebhookCode, reason: str, status: int = 400) -> WebhookRefused:
    return WebhookRefused(str(code), reason, status)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One order webhook as kept: who sent it, its id and time, the order and its status."""

    business: str
    webhook_id: str
    timestamp: int
    order_id: str
    checkout_id: str
    status: str
    order: Mapping[str, Any]

    def record(self, received_at: datetime) -> dict[str, Any]:
        return {
            "business": self.business,
            "webhook_id": self.webhook_id,
            "timestamp": self.timestamp,
            "order_id": self.order_id,
            "checkout_id": self.checkout_id,
            "status": self.status,
            "received_at": format_instant(received_at),
            "order": dict(self.order),
        }


@dataclass(frozen=True, slots=True)
class Received:
    event_id: str
    business: str
    duplicate: bool


def order_status(order: Mapping[str, Any]) -> str:
    """The order's status from its line items' (module doc)."""
    statuses = [str(line.get("status")) for line in order.get("line_items", [])]
    live = [s for s in statuses if s != "removed"]
    if statuses and not live:
        return "removed"
    if live and all(s == "fulfilled" for s in live):
        return "fulfilled"
    if any(s in ("fulfilled", "partial") for s in live):
        return "partial"
    return "processing"


def event_key(business: str, webhook_id: str) -> str:
    """The record id of an event: one per business and ``Webhook-Id`` (ids of two businesses
    may be equal, so both are hashed together)."""
    return hashlib.sha256(f"{business}\n{webhook_id}".encode()).hexdigest()


def sender(header: str | None) -> str:
    """The business URL ``UCP-Agent`` names (its ``/.well-known/ucp``), normalized.

    >>> sender('profile="http://127.0.0.1:8706/.well-known/ucp"')
    'http://127.0.0.1:8706'
    """
    if not header:
        raise _refused(WebhookCode.SIGNATURE_MISSING, "no UCP-Agent: who sends this?", 401)
    parsed = Dictionary()
    try:
        parsed.parse(header.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        raise _refused(WebhookCode.UNKNOWN_BUSINESS, "UCP-Agent is not a dictionary", 403) from e
    url = getattr(parsed.get("profile"), "value", None)
    if not isinstance(url, str) or not url.endswith(PROFILE_PATH) or len(url) > 500:
        raise _refused(WebhookCode.UNKNOWN_BUSINESS, "UCP-Agent names no business profile", 403)
    try:
        return normalize_url(url.removesuffix(PROFILE_PATH))
    except UcpError as e:
        raise _refused(WebhookCode.UNKNOWN_BUSINESS, "UCP-Agent names no business", 403) from e


def _key_resolver(business: BusinessProfile) -> Callable[[str], PublicKey | None]:
    def resolve(kid: str) -> PublicKey | None:
        for jwk in business.signing_keys:
            if jwk.get("kid") == kid and jwk.get("kty") == "EC":  # UCP signers use ES256
                try:
                    return PublicKey.from_jwk({k: v for k, v in jwk.items() if k != "use"})
                except (KeyFormatError, KeyError, ValueError):
                    return None
        return None

    return resolve


def _timestamp(value: str | None, now: datetime) -> int:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        raise _refused(WebhookCode.TIMESTAMP_OUT_OF_RANGE, "Webhook-Timestamp is not unix seconds")
    seconds = int(value)
    if not now - EVENT_MAX_AGE <= datetime.fromtimestamp(seconds, now.tzinfo) <= now + CLOCK_SKEW:
        raise _refused(WebhookCode.TIMESTAMP_OUT_OF_RANGE, "Webhook-Timestamp is out of range")
    return seconds


def read_order(body: bytes) -> Mapping[str, Any]:
    """The order object of a webhook body; ``WebhookRefused`` unless it is UCP's order."""
    try:
        order = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise _refused(WebhookCode.INVALID_JSON, "the body is not JSON") from e
    if not isinstance(order, dict):
        raise _refused(WebhookCode.INVALID_REQUEST, "the body is not an order object")
    found = problems(order, ORDER_SCHEMA)
    if found:
        raise _refused(WebhookCode.INVALID_REQUEST, f"the body is not a UCP order: {found[0]}")
    return order


class OrderEventInbox:
    """The receiver's rules (module doc) over the person's records.

    ``memories`` answers the records to look in for the sender, Alice's first; the event is
    kept in the records that hold its business (the demo's scene adds its own for its run).
    ``url`` is our published ``webhook_url``: what the business signed.
    """

    def __init__(
        self, url: str, memories: Callable[[], Sequence[Memory]], nonce_cache: NonceCache
    ) -> None:
        self.url = url
        self._memories = memories
        self._nonces = nonce_cache
        self._directories: dict[int, tuple[Memory, RememberedBusinesses]] = {}

    def _business(self, url: str) -> tuple[Memory, BusinessProfile]:
        for memory in self._memories():
            kept = self._directories.get(id(memory))
            if kept is None or kept[0] is not memory:
                kept = (memory, RememberedBusinesses(memory))
                self._directories[id(memory)] = kept
            for business in kept[1].businesses():
                if business.url == url:
                    return memory, business
        raise _refused(WebhookCode.UNKNOWN_BUSINESS, f"{url} is not a business we shop", 403)

    def receive(self, headers: Iterable[tuple[str, str]], body: bytes, now: datetime) -> Received:
        """Check and keep one webhook; ``WebhookRefused`` (nothing kept) when it fails."""
        pairs = list(headers)
        fields = FieldLines(pairs).combined()
        memory, business = self._business(sender(fields.get("ucp-agent")))
        webhook_id = fields.get("webhook-id", "")
        replayed = False
        try:
            verify_webhook(
                self.url,
                pairs,
                body,
                _key_resolver(business),
                now,
                self._nonces,
                replay_scope=business.url,
            )
        except NonceReplayed as e:  # raised only once the signature itself verified
            if webhook_id != fields.get("idempotency-key"):
                unsigned = _refused(WebhookCode.SIGNATURE_INVALID, "Webhook-Id is not signed", 401)
                raise unsigned from e
            replayed = True
        except InvalidSignature as e:
            code = next((c for t, c in _SIGNATURE_CODES if isinstance(e, t)), None)
            raise _refused(code or WebhookCode.SIGNATURE_INVALID, "signature refused", 401) from e
        if not 0 < len(webhook_id) <= MAX_WEBHOOK_ID:
            raise _refused(WebhookCode.INVALID_REQUEST, "Webhook-Id is empty or too long")
        key = event_key(business.url, webhook_id)
        if replayed:
            if not any(r.get("webhook_id") == webhook_id and r.get("business") == business.url
                       for r in memory.records(RecordKind.UCP_ORDER_EVENT)):  # fmt: skip
                raise _refused(WebhookCode.SIGNATURE_REPLAYED, "this request was seen", 401)
            return Received(webhook_id, business.url, duplicate=True)
        timestamp = _timestamp(fields.get("webhook-timestamp"), now)
        order = read_order(body)
        event = OrderEvent(
            business=business.url,
            webhook_id=webhook_id,
            timestamp=timestamp,
            order_id=str(order["id"]),
            checkout_id=str(order["checkout_id"]),
            status=order_status(order),
            order=order,
        )
        kept = memory.record_new(RecordKind.UCP_ORDER_EVENT, key, event.record(now))
        return Received(webhook_id, business.url, duplicate=not kept)


def latest_statuses(memory: Memory) -> dict[tuple[str, str], str]:
    """``(business, order id) -> status`` of the latest event kept for it (module doc)."""
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for record in memory.records(RecordKind.UCP_ORDER_EVENT):
        try:
            where = (str(record["business"]), str(record["order_id"]))
            stamped = (int(record["timestamp"]), str(record["status"]))
        except (KeyError, TypeError, ValueError):
            continue  # a record that cannot be read says nothing
        if where not in latest or stamped[0] >= latest[where][0]:
            latest[where] = stamped
    return {where: stamped[1] for where, stamped in latest.items()}
