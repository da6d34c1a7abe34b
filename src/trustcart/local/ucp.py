"""Composition of the UCP business: the shared checkout state machine wired for UCP.

The UCP app (``api.ucp``) runs on its own port (``trustcart serve``: P+5) as one host for the
whole marketplace. Its checkout sessions use the marketplace's own pricing, cart confirmation
and order lifecycle (the ``MerchantService``'s), the ACT checks against the installation's key
directory and status service, and settle through the installation's payment provider
(``commerce.ucp.payment.ProviderGateway``). The profile publishes every merchant's key, read at
each request so a merchant onboarded later appears at once. Order events go to the platform's
webhook URL from its profile (``commerce.ucp.webhooks``, staged with the order change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from trustcart.api.ucp import create_ucp_app
from trustcart.commerce.catalog_search import IndexedCatalogSearch
from trustcart.commerce.checkout_act import ActGate
from trustcart.commerce.checkout_service import CheckoutService
from trustcart.commerce.service import DEFAULT_METHOD
from trustcart.commerce.ucp.business import UcpBusiness
from trustcart.commerce.ucp.payment import ProviderGateway
from trustcart.commerce.ucp.webhooks import UcpOrderWebhooks
from trustcart.delegation.status import StatusChecker

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
    business = UcpBusiness(
        market,
        checkout,
        IndexedCatalogSearch(deployment.db, deployment.catalog_index),
        deployment.endpoints.ucp,
    )

    def signing_keys() -> list[dict[str, str]]:
        return [key.to_jwk() for key in merchants.merchant_public_keys().values()]

    return create_ucp_app(business, signing_keys)
