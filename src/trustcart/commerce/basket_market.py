"""The marketplace's basket planner: the wanted products, the same products at every other
merchant, each merchant's shipping and coupons, and the optimiser over them (``basket``).

For each wanted product the marketplace's own comparison (``compare.compare_offers``: the same
GTIN, else brand, model and title) gives the choices; each merchant's coupons come from the
store (coupons behind a discount code are left out, as in every offer). The plan is then what
``basket.plan_basket`` chooses; each of its carts is priced exactly as the merchant will
confirm it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from trustcart.commerce.basket import BasketItem, BasketPlan, plan_basket
from trustcart.commerce.catalog import Coupon, Merchant
from trustcart.commerce.compare import compare_offers
from trustcart.commerce.repository import load_coupons
from trustcart.core.errors import ValidationError
from trustcart.store.db import Database


@dataclass(frozen=True, slots=True)
class WantedItem:
    """What the person asked for, as one product found for it, and how many."""

    item_id: str
    product_id: str
    quantity: int

    def __post_init__(self) -> None:
        if not self.item_id or not self.product_id:
            raise ValidationError("a wanted item names itself and a product")


def plan_market_basket(
    db: Database, wanted: Sequence[WantedItem], *, now: datetime, max_coupons: int = 3
) -> BasketPlan:
    """The cheapest delivered split of ``wanted`` over every merchant that sells them."""
    merchants: dict[str, Merchant] = {}
    items = []
    for want in wanted:
        offers = compare_offers(db, want.product_id, now=now)
        for offer in offers:
            merchants.setdefault(offer.merchant.merchant_id, offer.merchant)
        items.append(BasketItem(want.item_id, want.quantity, tuple(o.product for o in offers)))
    coupons: list[Coupon] = []
    with db.transaction() as session:
        for merchant_id in sorted(merchants):
            coupons.extend(load_coupons(session, merchant_id))
    return plan_basket(items, merchants, coupons, now=now, max_coupons=max_coupons)
