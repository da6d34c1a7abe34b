"""The marketplace's basket planner: the wanted products, the same products at every other
merchant, each merchant's shipping and coupons, and the optimiser over them (``basket``).

For each wanted product the marketplace's own comparison (``compare.compare_offers``: the same
GTIN, else brand, model and title) gives the choices; each merchant's coupons come from the
store (coupons behind a discount code are left out, as in every offer). The plan is then what
``basket.plan_basket`` chooses; each of its carts is priced exactly as the merchant will
confirm it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.commerce.basket import MAX_ITEMS, BasketItem, BasketPlan, plan_basket
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


def wanted_from_request(body: Mapping[str, Any]) -> list[WantedItem]:
    """``{"items": [{"item_id", "product_id", "quantity"}, ...]}``; else ``ValidationError``."""
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError(f"items must be a list of 1..{MAX_ITEMS} wanted items")
    wanted = []
    for item in items:
        quantity = item.get("quantity", 1) if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("item_id"), str)
            or not isinstance(item.get("product_id"), str)
            or isinstance(quantity, bool)
            or not isinstance(quantity, int)
        ):
            raise ValidationError("each item needs item_id, product_id and an integer quantity")
        wanted.append(WantedItem(item["item_id"], item["product_id"], quantity))
    return wanted


def plan_to_json(plan: BasketPlan) -> dict[str, Any]:
    """The plan as the marketplace answers it: each merchant's priced cart and the total."""
    return {
        "total": plan.total.to_json(),
        "exact": plan.exact,
        "assignment": {name: p.product_id for name, p in plan.assignment.items()},
        "carts": [
            {**cart.offer_json(), "merchant_name": cart.merchant.name} for cart in plan.carts
        ],
    }
