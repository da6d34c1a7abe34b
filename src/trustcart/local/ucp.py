"""Composition of the UCP business: the shared checkout state machine wired for UCP.

The UCP app (``api.ucp``) runs on its own port (``trustcart serve``: P+5) as one host for the
whole marketplace. Its checkout sessions use the marketplace's own pricing, cart confirmation
and order lifecycle (the ``MerchantService``'s), the ACT checks against the installation's key
directory and status service, and settle through the installation's payment provider
(``commerce.ucp.payment.ProviderGateway``). The profile publishes the business's ES256 key
(``ucp-business`` in the key store; it signs every response) and every merchant's key, read at
each request so a merchant onboarded later appears at once. Callers are admitted by
``api.ucp_gate`` under the policy of the ``TRUSTCART_UCP_*`` environment variables. Order events
go to the platform's webhook URL from its profile (``commerce.ucp.webhooks``, staged with the
order change).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fastapi import FastAPI

from trustcart.api.ucp import create_ucp_app
from trustcart.api.ucp_gate import UcpGate, UcpPolicy
from trustcart.commerce.catalog_search import IndexedCatalogSearch
from trustcart.commerce.checkout_act import ActGate
from trustcart.commerce.checkout_service import CheckoutService
from trustcart.commerce.service import DEFAULT_METHOD
from trustcart.commerce.ucp.ap2 import MandateGate
from trustcart.commerce.ucp.business import UcpBusiness
from trustcart.commerce.ucp.carts import UcpCarts
from trustcart.commerce.ucp.payment import ProviderGateway
from trustcart.commerce.ucp.platforms import HttpProfileFetcher, PlatformDirectory
from trustcart.commerce.ucp.webhooks import UcpOrderWebhooks
from trustcart.delegation.status import StatusChecker
from trustcart.store.nonces import SqlNonceCache

BUSINESS_KEY = "ucp-business"  # the ES256 key that signs the UCP business's responses

if TYPE_CHECKING:
    from trustcart.local.deployment import Deployment


def create_ucp_business(deployment: Deployment, status_checker: StatusChecker) -> FastAPI:
    """The UCP business app of ``deployment`` at ``deployment.endpoints.ucp``."""
    merchants = deployment.merchants
    market = merchants._market  # the marketplace the merchant API prices and confirms with
    webhooks = UcpOrderWebhooks(market, deployment.endpoints.ucp)  # docs/ucp.md, "Webhooks"
    webhooks.install()
    checkout = CheckoutService(
        market,
        merchants._carts,
        ProviderGateway(deployment.psp),
        payment_method=DEFAULT_METHOD,
        act=ActGate(deployment.directory, status_checker),
        observers=[webhooks],
    )
    assert deployment.catalog_index is not None
    response_key = deployment.keys.get(BUSINESS_KEY, "ES256")
    business = UcpBusiness(
        market,
        checkout,
        IndexedCatalogSearch(deployment.db, deployment.catalog_index),
        deployment.endpoints.ucp,
        # AP2: the same key authorizes checkouts (the profile's first signing key)
        mandates=MandateGate(
            deployment.directory, response_key, deployment.endpoints.ucp, deployment.clock.now
        ),
    )

    def signing_keys() -> list[dict[str, str]]:
        merchant_keys = [key.to_jwk() for key in merchants.merchant_public_keys().values()]
        return [response_key.public.to_jwk(), *merchant_keys]

    gate = UcpGate(
        PlatformDirectory(HttpProfileFetcher(), deployment.clock.now),
        SqlNonceCache(deployment.db),
        deployment.clock.now,
        policy_from_environment(os.environ),
    )
    return create_ucp_app(
        business,
        signing_keys,
        carts=UcpCarts(business, checkout),
        gate=gate,
        response_key=(response_key, response_key.kid),
        now=deployment.clock.now,
    )


def policy_from_environment(environ: Mapping[str, str]) -> UcpPolicy:
    """The business's caller policy from ``TRUSTCART_UCP_REQUIRE_SIGNATURES`` (``1``: every
    request must be signed) and ``TRUSTCART_UCP_UNREACHABLE_PROFILE`` (``fallback``, the
    default, or ``reject``).

    >>> policy_from_environment({"TRUSTCART_UCP_REQUIRE_SIGNATURES": "1"}).require_signatures
    True
    """
    required = environ.get("TRUSTCART_UCP_REQUIRE_SIGNATURES", "").strip().lower()
    unreachable = environ.get("TRUSTCART_UCP_UNREACHABLE_PROFILE", "fallback").strip().lower()
    if unreachable not in ("fallback", "reject"):
        raise ValueError("TRUSTCART_UCP_UNREACHABLE_PROFILE is 'fallback' or 'reject'")
    return UcpPolicy(
        require_signatures=required in ("1", "true", "yes"),
        unreachable_profile="reject" if unreachable == "reject" else "fallback",
    )
