"""The demo installation's paid resources (A402), mounted on the merchant and PSP apps.

Pearl House (``m_pearl_house``, a seeded merchant whose key the marketplace lists) sells two
things per call: the price history of any catalog product (``GET /paid/price-history/{id}``,
0.10 CNY, read from the catalog's ``price_history`` table) and a digital sticker pack
(``GET /paid/goods/{id}``, 2.00 CNY). The PSP gains ``POST /a402/credentials``. All roles run
in one process here, so the seller confirms trades with the provider directly. x402 is not
mounted in the demo installation: it needs the ``x402`` extra and a payer's address linked to a
wallet (see docs/interop.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trustcart.api.paid import PaidEndpoint, add_paid_routes
from trustcart.api.psp_a402 import add_a402_credential_route
from trustcart.commerce.price_history import load_price_history
from trustcart.core.money import Money
from trustcart.payments.paywall.calls import PaidCalls
from trustcart.payments.paywall.issuer import A402CredentialIssuer
from trustcart.payments.paywall.resources import PaidResource
from trustcart.payments.paywall.seller import A402Seller
from trustcart.store.db import Database

if TYPE_CHECKING:
    from trustcart.local.deployment import Deployment

SELLER_ID = "m_pearl_house"
PRICE_HISTORY = PaidResource(
    "price-history",
    "Price history of one product",
    Money.parse("0.10", "CNY"),
    x402_price=Money.parse("0.01", "USD"),
)
STICKER_PACK = PaidResource(
    "goods/sticker-pack", "Pearl House sticker pack (digital)", Money.parse("2.00", "CNY")
)


def price_history_of(db: Database, product_id: str) -> Mapping[str, Any]:
    """Every observed price of one product, oldest first (empty for an unknown product)."""
    with db.read() as session:
        prices = load_price_history(session, [product_id]).get(product_id, [])
    return {"product_id": product_id, "prices": [price.to_json() for price in prices]}


def sticker_pack(good_id: str) -> Mapping[str, Any]:
    return {"good_id": good_id, "title": STICKER_PACK.title, "download": f"/goods/{good_id}.zip"}


def mount_paid_resources(deployment: Deployment, psp_id: str) -> A402Seller | None:
    """Protect the demo's paid resources with A402 on the deployment's apps.

    A store without the seeded seller (an empty or a foreign catalog) gets no paid routes.
    """
    if SELLER_ID not in deployment.merchant_keys:
        return None
    db, clock, psp = deployment.db, deployment.clock, deployment.psp
    seller = A402Seller(
        PaidCalls(db),
        seller_id=SELLER_ID,
        seller_key=deployment.merchant_keys[SELLER_ID],
        psp=psp,
        psp_keys={psp.public_key.kid: psp.public_key},
        psp_id=psp_id,
        clock=clock,
    )
    add_paid_routes(
        deployment.apps["merchant"],
        seller,
        price_history=PaidEndpoint(PRICE_HISTORY, lambda pid: price_history_of(db, pid)),
        goods=PaidEndpoint(STICKER_PACK, sticker_pack),
    )
    add_a402_credential_route(
        deployment.apps["psp"],
        A402CredentialIssuer(db, signing_key=deployment.keys.get("psp"), clock=clock),
    )
    return seller
