"""ACP in the local installation: the checkout handler, the vault, and their apps wired.

Composition only (``local.deployment`` calls ``install_acp``): the merchant app gets the ACP
checkout mounted at ``/acp`` (``api.acp``), so each merchant's ACP base URL is
``<merchant endpoint>/acp/<merchant_id>``; the PSP app gets ACP's delegate payment at
``/agentic_commerce/delegate_payment`` (``api.acp_delegate``). The checkout charges a
delegated token through the provider's vault (``payments.vault``) in this process: the local
installation's merchant and provider share one database, and the vault enforces the token's
allowance in the transaction that posts the ledger entry. A session bound to an ACT intent
credential is paid through the provider's ACT path instead (``commerce.acp.payment``), so it
leaves the same records and evidence bundle as any ACT purchase. Order events go to each platform's
webhook URL from the outbox (``commerce.acp.webhooks``, staged with the order change).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from trustcart.api.acp import PREFIX, create_acp_app
from trustcart.api.acp_delegate import create_delegate_app
from trustcart.commerce.acp.handler import AcpCheckoutHandler
from trustcart.commerce.acp.payment import AcpPaymentRouter
from trustcart.commerce.acp.render import Seller
from trustcart.commerce.acp.webhooks import AcpOrderWebhooks
from trustcart.commerce.checkout_act import ActGate
from trustcart.commerce.checkout_service import CheckoutService
from trustcart.commerce.service import MerchantService
from trustcart.commerce.ucp.payment import Payer, ProviderGateway
from trustcart.core.clock import Clock
from trustcart.delegation.status import StatusChecker
from trustcart.payments.vault import VaultService
from trustcart.store.db import Database
from trustcart.trust.directory import KeyDirectory

DELEGATE_PATH = "/agentic_commerce/delegate_payment"


@dataclass(frozen=True)
class AcpParts:
    checkout: CheckoutService
    handler: AcpCheckoutHandler
    vault: VaultService
    merchant_base: str  # <merchant endpoint>/acp

    def base_url(self, merchant_id: str) -> str:
        """The ACP base URL of one merchant (what a platform is configured with)."""
        return f"{self.merchant_base}/{merchant_id}"


def install_acp(  # noqa: PLR0917
    db: Database,
    clock: Clock,
    merchants: MerchantService,
    directory: KeyDirectory,
    status: StatusChecker,
    apps: dict[str, FastAPI],
    *,
    merchant_url: str,
    psp_url: str,
    psp_id: str,
    provider: Payer,
) -> AcpParts:
    """Build the ACP parts and mount them on ``apps['merchant']`` and ``apps['psp']``."""
    vault = VaultService(db, clock)
    merchant_base = f"{merchant_url}{PREFIX}"

    def seller(merchant_id: str) -> Seller:
        return Seller(
            base_url=f"{merchant_base}/{merchant_id}",
            delegate_payment_url=f"{psp_url}{DELEGATE_PATH}",
            psp_id=psp_id,
        )

    webhooks = AcpOrderWebhooks(merchants._market, seller)  # order events, docs/acp.md
    webhooks.install()
    checkout = merchants.checkout_service(
        AcpPaymentRouter(vault, ProviderGateway(provider)),
        act=ActGate(directory, status),
        observers=[webhooks],
    )

    handler = AcpCheckoutHandler(db, checkout, clock, seller)
    apps["merchant"].mount(PREFIX, create_acp_app(handler))
    apps["psp"].mount("/agentic_commerce", create_delegate_app(vault, db, clock))
    return AcpParts(checkout, handler, vault, merchant_base)
