"""Composition of the platform side of UCP: the person's agent shops the businesses they added.

``add_business`` fetches and checks a business's profile (``assistant.ucp.client``) and keeps it
in the person's records (the store; nothing is kept when any check fails). ``platform_agent``
is the buyer agent of ``local.market`` with those businesses: it names our platform profile in
``UCP-Agent`` and signs every call to them in UCP's RFC 9421 request profile with the platform's
ES256 key (``ucp-platform`` in the key store), which that profile publishes. The profile
(``assistant.ucp.platform_profile``) is served by the trust app at ``PLATFORM_PROFILE_PATH``
(``mount_platform_profile``; ``trustcart serve`` prints its URL), so a business can fetch the
key and verify the signature (``api.ucp_gate``), and the order ``webhook_url`` where the same
app receives the businesses' order webhooks (``local.ucp_platform_webhooks``). Checkouts use
the person's buyer details and delivery address below (Alice's, the demo persona's: our
businesses deliver only to a full postal address). When a business negotiates AP2 mandates, the
person's wallet key ``alice-ap2`` (ES256, a delegator key of the person in the directory) signs
the checkout mandate and the agent's ES256 key ``agent-ap2`` binds it (``assistant.ucp.ap2``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from trustcart.assistant.ap2_wallet import UcpCheckoutMandates
from trustcart.assistant.memory import Memory
from trustcart.assistant.ucp.agent import UcpBuyerAgent
from trustcart.assistant.ucp.client import PROFILE_TIMEOUT, UcpClient, fetch_profile
from trustcart.assistant.ucp.directory import RememberedBusinesses
from trustcart.assistant.ucp.platform_profile import UcpRequestSigner, platform_profile
from trustcart.assistant.ucp.profile import BusinessProfile
from trustcart.assistant.ucp.shops import UcpShops
from trustcart.core.clock import Clock
from trustcart.delegation.status import StatusChecker
from trustcart.local import persona
from trustcart.local.memory import SqlMemory
from trustcart.local.parties import AGENT_ID, AGENT_MANDATE_KEY, WALLET_MANDATE_KEY
from trustcart.local.ucp_platform_webhooks import (
    InboxMemories,
    mount_order_webhooks,
    order_webhook_url,
)
from trustcart.store.db import Database
from trustcart.trust.recorder import HttpRecorder

if TYPE_CHECKING:
    from trustcart.local.deployment import Deployment
    from trustcart.local.market import Clients

PERSON_BUYER = {"email": "alice@example.com", "first_name": "Alice", "last_name": "Li"}
PERSON_ADDRESS = {
    "first_name": "Alice",
    "last_name": "Li",
    "street_address": "1 Beishan Road",
    "address_locality": "Hangzhou",
    "address_region": "Zhejiang",
    "address_country": "CN",
    "postal_code": "310007",
}
UCP_TIMEOUT = 10.0
PLATFORM_KEY = "ucp-platform"  # the ES256 key that signs our requests to UCP businesses
PLATFORM_PROFILE_PATH = "/ucp/platform-profile"  # on the trust app
PROFILE_MAX_AGE = 300  # seconds a business may cache the profile


def platform_profile_url(trust_endpoint: str) -> str:
    """Where our platform profile is served (what ``UCP-Agent`` names).

    >>> platform_profile_url("http://127.0.0.1:8702")
    'http://127.0.0.1:8702/ucp/platform-profile'
    """
    return f"{trust_endpoint}{PLATFORM_PROFILE_PATH}"


def mount_platform_profile(app: FastAPI, deployment: Deployment) -> None:
    """Serve our platform profile on ``app`` (the trust app) at ``PLATFORM_PROFILE_PATH``, and
    the order webhook receiver it names (``local.ucp_platform_webhooks``)."""
    key = deployment.keys.get(PLATFORM_KEY, "ES256")
    document = platform_profile(key.public.to_jwk(), order_webhook_url(deployment.endpoints.trust))
    deployment.ucp_inbox = InboxMemories(person_memory(deployment.db))
    mount_order_webhooks(app, deployment, deployment.ucp_inbox)

    @app.get(PLATFORM_PROFILE_PATH, include_in_schema=False)
    def ucp_platform_profile() -> JSONResponse:
        return JSONResponse(
            document, headers={"Cache-Control": f"public, max-age={PROFILE_MAX_AGE}"}
        )


def person_memory(db: Database) -> SqlMemory:
    """The person's records in ``db`` (where their added businesses are kept)."""
    return SqlMemory(db, persona.IDENTITY)


def remembered(memory: Memory) -> RememberedBusinesses:
    return RememberedBusinesses(memory)


def business_json(profile: BusinessProfile) -> dict[str, Any]:
    """An added business as ``merchants list --json`` shows it: the local merchants' keys
    (null where a UCP profile says nothing) plus ``kind``, ``url``, ``endpoint``,
    ``capabilities`` and ``payment_handler``."""
    kids = [key["kid"] for key in profile.signing_keys]
    return {
        "merchant_id": profile.name,
        "name": profile.name,
        "name_zh": "",
        "location": None,
        "delivery_radius_km": None,
        "categories": [],
        "currency": None,
        "delivery_fee": None,
        "kid": kids[0] if kids else None,
        "jwks": {"keys": [dict(key) for key in profile.signing_keys]},
        "products": None,
        "coupons": None,
        "kind": "ucp",
        "url": profile.url,
        "endpoint": profile.endpoint,
        "capabilities": list(profile.capabilities),
        "payment_handler": profile.handler_id,
    }


def add_business(memory: Memory, url: str, http: httpx.Client | None = None) -> BusinessProfile:
    """Fetch ``url``/.well-known/ucp, check it and keep the business; raise ``UcpError``
    (nothing kept) when it is unreachable or unusable."""
    own = http is None
    client = http or httpx.Client(timeout=PROFILE_TIMEOUT)
    try:
        profile = fetch_profile(client, url)
    finally:
        if own:
            client.close()
    remembered(memory).add(profile)
    return profile


def platform_agent(
    deployment: Deployment, clients: Clients, status: StatusChecker, clock: Clock, memory: Memory
) -> UcpBuyerAgent:
    """``local.market.buyer_agent`` that also shops the businesses kept in ``memory``."""
    endpoints = deployment.endpoints

    signer = UcpRequestSigner(deployment.keys.get(PLATFORM_KEY, "ES256"), clock)
    profile_url = platform_profile_url(endpoints.trust)

    def connect(business: BusinessProfile) -> UcpClient:
        # Signed with the key our published profile lists (module doc).
        http = clients.keep(
            httpx.Client(base_url=business.endpoint, timeout=UCP_TIMEOUT, auth=signer)
        )
        return UcpClient(http, business, platform=profile_url)

    # AP2 checkout mandates: the person's wallet key (a delegator key of theirs in the
    # directory) issues, the agent's ES256 key presents (docs/ucp-platform.md)
    mandates = UcpCheckoutMandates(
        deployment.keys.get(WALLET_MANDATE_KEY, "ES256"),
        deployment.keys.get(AGENT_MANDATE_KEY, "ES256"),
    )
    shops = UcpShops(
        RememberedBusinesses(memory),
        connect,
        buyer=PERSON_BUYER,
        destination=PERSON_ADDRESS,
        mandates=mandates,
        now=clock.now,
    )
    events = HttpRecorder(clients.keep(httpx.Client(base_url=endpoints.trust, timeout=10.0)), clock)
    return UcpBuyerAgent(
        shops=shops,
        key=deployment.agent_key,
        agent_id=AGENT_ID,
        clock=clock,
        merchants=clients.keep(deployment.agent_client(endpoints.merchant)),
        psp=clients.keep(deployment.agent_client(endpoints.psp)),
        events=events,
        status=status,
    )
