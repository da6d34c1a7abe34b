"""Agent platforms a merchant lets call its ACP checkout: the merchant's own setting.

A merchant registers a platform (``trustcart acp platform add``, or ``register_platform``) and
hands it, once, an API key ``acp_sk_<43 base64url chars>`` (256 random bits): the platform sends
it as ``Authorization: Bearer <key>``. Only its SHA-256 hash is stored, so a copy of the database
cannot be used to call the checkout. The registration also holds:

* ``signing_jwk``: the platform's public key (Ed25519 or ES256) for the ``Signature`` header
  (``crypto.acp_request``); ``require_signature`` refuses unsigned requests;
* ``agent_id``: the ACT agent the platform speaks for (an IAC it presents must delegate to it);
* ``webhook_url`` and ``webhook_secret``: where order events go and the HMAC key they are
  signed with (``webhooks``); a URL that is not http(s) with a host, carries credentials or
  names a link-local address is refused here (``InvalidWebhookUrl``, a ``ValueError``).

An unknown or revoked key is refused exactly like a missing one.

>>> hash_api_key("acp_sk_x") == hash_api_key("acp_sk_x")
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.clock import format_instant
from trustcart.core.ids import RandomBytes, new_id
from trustcart.crypto.jcs import b64url
from trustcart.crypto.keys import PublicKey
from trustcart.delivery.webhooks import ReceiverPolicy, check_receiver_url
from trustcart.store.checkout import AgentPlatformRow

KEY_PREFIX = "acp_sk_"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
# At registration a webhook URL is checked for its form (http(s), a host, no credentials) and
# link-local literals; the network policy of the installation applies when events are sent.
SYNTAX_ONLY = ReceiverPolicy(allow_loopback=True, allow_private=True)


def hash_api_key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Platform:
    platform_id: str
    merchant_id: str
    name: str
    agent_id: str | None
    signing_key: PublicKey | None
    require_signature: bool
    webhook_url: str | None
    webhook_secret: str | None


@dataclass(frozen=True)
class Registration:
    """What the merchant hands the platform once: its id, API key and webhook secret."""

    platform: Platform
    api_key: str


def _from_row(row: AgentPlatformRow) -> Platform:
    return Platform(
        platform_id=row.platform_id,
        merchant_id=row.merchant_id,
        name=row.name,
        agent_id=row.agent_id,
        signing_key=PublicKey.from_jwk(json.loads(row.signing_jwk)) if row.signing_jwk else None,
        require_signature=row.require_signature,
        webhook_url=row.webhook_url,
        webhook_secret=row.webhook_secret,
    )


def register_platform(
    db: Session,
    merchant_id: str,
    name: str,
    *,
    now: datetime,
    agent_id: str | None = None,
    signing_key: PublicKey | None = None,
    require_signature: bool = False,
    webhook_url: str | None = None,
    random: RandomBytes = secrets.token_bytes,
) -> Registration:
    """Register a platform for ``merchant_id`` in the caller's transaction."""
    if require_signature and signing_key is None:
        raise ValueError("a platform that must sign needs a signing key")
    if webhook_url is not None:  # the addresses it resolves to are checked at each delivery
        check_receiver_url(webhook_url, SYNTAX_ONLY)
    api_key = KEY_PREFIX + b64url(random(32))
    row = AgentPlatformRow(
        platform_id=new_id("plt", random),
        merchant_id=merchant_id,
        name=name,
        agent_id=agent_id,
        api_key_hash=hash_api_key(api_key),
        signing_jwk=json.dumps(signing_key.to_jwk()) if signing_key else None,
        require_signature=require_signature,
        webhook_url=webhook_url,
        webhook_secret=SECRET_PREFIX + b64url(random(32)) if webhook_url else None,
        created_at=format_instant(now),
        revoked_at=None,
    )
    db.add(row)
    db.flush()
    return Registration(_from_row(row), api_key)


def authenticate(db: Session, merchant_id: str, api_key: str) -> Platform | None:
    """The platform this key belongs to, for this merchant; ``None`` for any other key."""
    if not api_key.startswith(KEY_PREFIX) or len(api_key) > 200:
        return None
    digest = hash_api_key(api_key)
    row = db.scalars(
        select(AgentPlatformRow).where(AgentPlatformRow.api_key_hash == digest)
    ).one_or_none()
    if row is None or not hmac.compare_digest(row.api_key_hash, digest):
        return None
    if row.merchant_id != merchant_id or row.revoked_at is not None:
        return None
    return _from_row(row)


def get_platform(db: Session, platform_id: str) -> Platform | None:
    row = db.get(AgentPlatformRow, platform_id)
    return _from_row(row) if row is not None else None


def list_platforms(db: Session, merchant_id: str) -> list[Platform]:
    rows = db.scalars(
        select(AgentPlatformRow)
        .where(AgentPlatformRow.merchant_id == merchant_id)
        .order_by(AgentPlatformRow.platform_id)
    )
    return [_from_row(row) for row in rows]
