"""Builders for the basket tests: merchants, products and coupons in CNY at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from trustcart.commerce.catalog import Coupon, CouponKind, Merchant, Product
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.core.typs import BASKET_APPROVAL_TYP
from trustcart.crypto.jws import peek_payload, sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.basket import basket_approval_for

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def merchant(merchant_id: str, shipping: int = 0) -> Merchant:
    return Merchant(
        merchant_id=merchant_id,
        name=f"Shop {merchant_id}",
        location=GeoPoint(Decimal("30.2600"), Decimal("120.1400")),
        delivery_radius_km=Decimal(10),
        categories=("grocery",),
        currency="CNY",
        delivery_fee=cny(shipping),
    )


def product(
    product_id: str, merchant_id: str, price: int, *, stock: int = 50, category: str = "grocery"
) -> Product:
    return Product(
        product_id=product_id,
        merchant_id=merchant_id,
        title=f"Item {product_id}",
        title_zh="",
        brand="",
        category=category,
        price=cny(price),
        stock=stock,
        delivery_minutes=60,
    )


def coupon(
    coupon_id: str, merchant_id: str, value: int, threshold: int, *, percent: bool = False
) -> Coupon:
    return Coupon(
        coupon_id=coupon_id,
        merchant_id=merchant_id,
        kind=CouponKind.PERCENT if percent else CouponKind.FIXED,
        value=value,
        threshold=cny(threshold),
        description=f"{value} off over {threshold}",
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
    )


def approve_basket(
    key: SigningKey, carts: list[str], now: datetime, *, basket_id: str = "bsk_1", **overrides: Any
) -> str:
    """The person's one approval over these cart tokens (fields replaced by ``overrides``)."""
    approval = basket_approval_for([peek_payload(c) for c in carts], basket_id=basket_id, now=now)
    payload = {**approval.payload(), **overrides}
    return sign_compact(payload, key, typ=BASKET_APPROVAL_TYP)
