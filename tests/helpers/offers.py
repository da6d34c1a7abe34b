"""Offers and options built by hand, for the assistant's pure tests (no market needed)."""

from trustcart.assistant.offers import Offer
from trustcart.assistant.planner import Option
from trustcart.core.money import Money


def offer(
    product: str,
    merchant: str,
    unit: str,
    total: str | None = None,
    *,
    quantity: int = 1,
    category: str = "drinks/milk-tea",
    title: str = "Pearl Milk Tea",
    title_zh: str = "珍珠奶茶",
    brand: str = "",
    attributes: dict[str, str] | None = None,
    minutes: int = 30,
    distance: float | None = 1.0,
    coupons: tuple[str, ...] = (),
    good_match: bool | None = None,
) -> Offer:
    """One offer in CNY; ``total`` is after coupons (the unit price times quantity if unset)."""
    subtotal = Money.parse(unit, "CNY") * quantity
    paid = subtotal if total is None else Money.parse(total, "CNY")
    return Offer(
        product_id=product,
        title=title,
        title_zh=title_zh,
        brand=brand,
        merchant_id=merchant,
        merchant_name=merchant.removeprefix("m_").replace("_", " ").title(),
        category=category,
        quantity=quantity,
        unit_price=Money.parse(unit, "CNY"),
        subtotal=subtotal,
        discount=subtotal - paid,
        total=paid,
        coupons=coupons,
        attributes=attributes
        if attributes is not None
        else {"size": "medium", "sugar": "adjustable"},
        delivery_minutes=minutes,
        distance_km=distance,
        good_match=good_match,
    )


def option(*lines: Offer, reason: str = "lowest total after coupons") -> Option:
    return Option(tuple(lines), reason)
