"""A platform's check of a UCP order webhook: the business's ES256 signature, and the event id.

UCP order webhooks (``commerce.ucp.webhooks``) are POSTs signed in UCP's request profile
(``crypto.httpsig.ucp``) with the business's ES256 key, the one its ``/.well-known/ucp``
publishes in ``signing_keys``. ``verify_webhook`` is the receiving platform's side, fail closed:

1. the request signature verifies (``verify_request``: every required component covered,
   ``Content-Digest`` of the exact body, ``created`` fresh, the nonce not seen before) with a
   key ``resolve_key`` finds in the business's profile;
2. ``UCP-Agent`` (who sends) is present, so it is covered by the signature, and so are
   ``Webhook-Id`` and ``Webhook-Timestamp`` (``WEBHOOK_FIELDS``);
3. ``Webhook-Id``, the key a receiver de-duplicates by, equals the signed ``Idempotency-Key``:
   a changed or missing one is refused, so a replayed body cannot pass as a new event.

Any failure raises ``InvalidSignature`` (or a subclass of it from ``verify_request``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.fields import FieldLines
from trustcart.crypto.httpsig.ucp import UcpSignature, verify_request
from trustcart.crypto.httpsig.verification import KeyResolver
from trustcart.crypto.nonces import NonceCache

WEBHOOK_FIELDS = ("webhook-id", "webhook-timestamp")


def verify_webhook(  # noqa: PLR0917 - the request as received, the keys, time and cache
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    resolve_key: KeyResolver,
    now: datetime,
    nonce_cache: NonceCache,
    *,
    replay_scope: str = "",
) -> UcpSignature:
    """Verify a UCP order webhook received at ``url`` (module doc); return its signature."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    fields = FieldLines(pairs).combined()
    if "ucp-agent" not in fields:
        raise InvalidSignature("a UCP webhook names its sender in UCP-Agent")
    verified = verify_request(
        "POST",
        url,
        pairs,
        body,
        resolve_key,
        now,
        nonce_cache,
        replay_scope=replay_scope,
        also=WEBHOOK_FIELDS,
    )
    event_id = fields.get("webhook-id")
    if not event_id or event_id != fields.get("idempotency-key"):
        raise InvalidSignature("Webhook-Id is not the signed Idempotency-Key")
    return verified
