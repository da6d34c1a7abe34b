"""Webhooks in the local installation: the relay's transport for ACP and UCP order events.

Composition only. ``webhook_transport`` builds the ``delivery.webhook_transport`` of one
installation: ACP events signed with each platform's secret from the store, UCP events signed
with the UCP business's ES256 key (``ucp_key``: ``ucp-business`` of the key store, the key its
``/.well-known/ucp`` publishes first) and addressed from the platform's profile. Both the service
process (``local.deployment``: the relay of ``serve``, ``demo``, ``web``) and the cron shell
(``local.upkeep.build_upkeep``: ``trustcart relay``, ``maintenance``) use it, so events are
delivered whichever runs.

The receiver policy here allows loopback (every role of this installation runs on 127.0.0.1,
and so do the platforms of its tests and demo) and refuses private and link-local networks;
``TRUSTCART_WEBHOOKS_ALLOW_PRIVATE=1`` admits private ranges too (a platform on the same LAN).
Timeouts: 5 s to connect, 10 s for the whole answer; a profile read is bounded the same way.
"""

from __future__ import annotations

import os

import httpx

from trustcart.commerce.acp.webhooks import AcpWebhookSender
from trustcart.commerce.ucp.webhooks import HttpPlatformProfiles, UcpWebhookSender
from trustcart.core.clock import Clock
from trustcart.crypto.keys import SigningKey
from trustcart.delivery.webhook_transport import WebhookSender, WebhookTransport, check_destination
from trustcart.delivery.webhooks import ReceiverPolicy, WebhookProtocol
from trustcart.store.db import Database

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_UCP_URL = "http://127.0.0.1:8706"  # trustcart serve's UCP business (base port + 5)


def receiver_policy() -> ReceiverPolicy:
    """Loopback allowed; private ranges only with ``TRUSTCART_WEBHOOKS_ALLOW_PRIVATE=1``."""
    return ReceiverPolicy(
        allow_loopback=True,
        allow_private=os.environ.get("TRUSTCART_WEBHOOKS_ALLOW_PRIVATE") == "1",
    )


def webhook_transport(
    db: Database,
    clock: Clock,
    ucp_key: SigningKey | None,
    *,
    ucp_url: str | None,
    policy: ReceiverPolicy | None = None,
) -> tuple[WebhookTransport, list[httpx.Client]]:
    """The transport and the HTTP clients it holds (the caller closes them)."""
    policy = policy or receiver_policy()
    client = httpx.Client(timeout=TIMEOUT)
    profile_client = httpx.Client(timeout=TIMEOUT)
    senders: dict[WebhookProtocol, WebhookSender] = {
        WebhookProtocol.ACP: AcpWebhookSender(db),
        WebhookProtocol.UCP: UcpWebhookSender(
            HttpPlatformProfiles(profile_client, clock, lambda url: check_destination(url, policy)),
            ucp_key,
            f"{ucp_url or DEFAULT_UCP_URL}/.well-known/ucp",
        ),
    }
    return WebhookTransport(client, senders, clock, policy), [client, profile_client]
