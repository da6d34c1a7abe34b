"""Catalog value objects (ACT CID-MER-CAT): merchants, products, coupons.

Each object validates when built, so one that exists is valid: prices are ``Money`` (integer
minor units), stock is never negative, coordinates are ``Decimal`` within range, categories are
slash paths such as ``drinks/milk-tea``. ``to_json`` gives the CID-MER-CAT wire shape: the
minimum fields (id, name, category, price with currency) plus stock, price validity, delivery
time and the merchant reference.

Variants: a product sold in several sizes or colours is one product *group* (``group_id``, the
model, as ACP's ``item_group_id``) whose variants are the offers that share it; each variant
keeps its own id, GTIN, price and stock, and says what makes it that variant in its attributes
(``VARIANT_ATTRIBUTES``: size, colour, pack).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from trustcart.core.categories import check_category
from trustcart.core.clock import format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money

# Stock and delivery times are INTEGER columns: 32 bits on PostgreSQL.
MAX_COUNT = 2**31 - 1
_ID_RE = re.compile(r"^[a-z][a-z0-9]{0,15}_[A-Za-z0-9_-]{1,64}\Z")


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ValidationError(f"{what} {value!r} must look like 'prefix_abc123'")


def _check_text(value: str, what: str, *, allow_empty: bool = False, max_len: int = 200) -> None:
    empty = isinstance(value, str) and not value.strip()
    if not isinstance(value, str) or (empty and not allow_empty) or len(value) > max_len:
        raise ValidationError(f"{what} must be a non-empty string of at most {max_len} characters")


@dataclass(frozen=True, slots=True)
class Merchant:
    merchant_id: str
    name: str
    location: GeoPoint
    delivery_radius_km: Decimal
    categories: tuple[str, ...]
    currency: str
    delivery_fee: Money
    name_zh: str = ""

    def __post_init__(self) -> None:
        _check_id(self.merchant_id, "merchant_id")
        _check_text(self.name, "merchant name")
        _check_text(self.name_zh, "merchant name_zh", allow_empty=True)
        if not isinstance(self.location, GeoPoint):
            raise ValidationError("merchant location must be a GeoPoint")
        if not isinstance(self.delivery_radius_km, Decimal) or not self.delivery_radius_km > 0:
            raise ValidationError("delivery_radius_km must be a positive Decimal")
        if not isinstance(self.categories, tuple) or not self.categories:
            raise ValidationError("a merchant needs at least one category")
        for category in self.categories:
            check_category(category)
        Money.zero(self.currency)  # refuses unknown currencies
        if self.delivery_fee.currency != self.currency or self.delivery_fee.is_negative():
            raise ValidationError("delivery_fee must be >= 0 in the merchant's currency")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "merchant_id": self.merchant_id,
            "name": self.name,
            "location": self.location.to_json(),
            "delivery_radius_km": str(self.delivery_radius_km),
            "categories": list(self.categories),
            "currency": self.currency,
            "delivery_fee": self.delivery_fee.to_json(),
        }
        if self.name_zh:
            body["name_zh"] = self.name_zh
        return body


# The attributes that tell the variants of one product group apart.
VARIANT_ATTRIBUTES = ("size", "colour", "pack")

TRYON_CATEGORIES = ("upper", "eyewear", "headwear")
TRYON_BY_CATEGORY = (
    ("apparel/t-shirt", "upper"),
    ("apparel/shirt", "upper"),
    ("apparel/hoodie", "upper"),
    ("apparel/jacket", "upper"),
    ("apparel/sweater", "upper"),
    ("apparel/polo", "upper"),
    ("accessories/eyewear", "eyewear"),
    ("accessories/hat", "headwear"),
)


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    merchant_id: str
    title: str
    title_zh: str
    brand: str
    category: str
    price: Money
    stock: int
    delivery_minutes: int
    attributes: Mapping[str, str] = field(default_factory=dict)
    gtin: str | None = None
    image_url: str | None = None
    price_valid_until: datetime | None = None
    group_id: str | None = None  # the product group (model) this offer is a variant of

    def __post_init__(self) -> None:
        _check_id(self.product_id, "product_id")
        if self.group_id is not None:
            _check_id(self.group_id, "group_id")
        _check_id(self.merchant_id, "merchant_id")
        _check_text(self.title, "title")
        _check_text(self.title_zh, "title_zh", allow_empty=True)
        _check_text(self.brand, "brand", allow_empty=True, max_len=100)
        check_category(self.category)
        if not isinstance(self.price, Money) or self.price.is_negative():
            raise ValidationError("price must be Money >= 0")
        for name in ("stock", "delivery_minutes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
                raise ValidationError(f"{name} must be an int from 0 to {MAX_COUNT}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.attributes.items()):
            raise ValidationError("attributes map strings to strings")
        # Frozen means frozen: keep a read-only copy so no caller can edit the catalog entry.
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))
        if self.gtin is not None and not re.fullmatch(r"\d{8}|\d{12,14}", self.gtin):
            raise ValidationError("gtin must be 8, 12, 13 or 14 digits")
        if self.image_url is not None and not self.image_url.startswith(("https://", "http://")):
            raise ValidationError("image_url must be an http(s) URL")
        if self.price_valid_until is not None and self.price_valid_until.tzinfo is None:
            raise ValidationError("price_valid_until must be timezone-aware")
        marked = self.attributes.get("tryon")
        if marked is not None and marked not in (*TRYON_CATEGORIES, "none"):
            raise ValidationError(f"attributes.tryon must be one of {TRYON_CATEGORIES} or none")

    @property
    def tryon_category(self) -> str | None:
        """Which virtual try-on applies: ``upper``, ``eyewear``, ``headwear`` or None.

        A merchant marks a product with ``attributes["tryon"]`` (``none`` opts out); unmarked
        products follow their category (t-shirts, shirts and jackets: upper; eyewear; hats).
        """
        marked = self.attributes.get("tryon")
        if marked is not None:
            return None if marked == "none" else marked
        return next(
            (
                kind
                for prefix, kind in TRYON_BY_CATEGORY
                if self.category == prefix or self.category.startswith(prefix + "/")
            ),
            None,
        )

    def in_stock(self, quantity: int = 1) -> bool:
        return self.stock >= quantity

    def to_json(self) -> dict[str, Any]:
        """The CID-MER-CAT item: required id/name/category/price, then the SHOULD fields."""
        body: dict[str, Any] = {
            "product_id": self.product_id,
            "title": self.title,
            "title_zh": self.title_zh,
            "brand": self.brand,
            "category": self.category,
            "price": self.price.to_json(),
            "stock": self.stock,
            "availability": "in_stock" if self.stock > 0 else "out_of_stock",
            "delivery_minutes": self.delivery_minutes,
            "merchant_id": self.merchant_id,
            "attributes": dict(self.attributes),
        }
        if self.price_valid_until is not None:
            body["price_valid_until"] = format_instant(self.price_valid_until)
        if self.gtin is not None:
            body["gtin"] = self.gtin
        if self.group_id is not None:
            body["group_id"] = self.group_id
        if self.tryon_category is not None:
            body["tryon_category"] = self.tryon_category
        if self.image_url is not None:
            body["image_url"] = self.image_url
        return body


class CouponKind(StrEnum):
    FIXED = "fixed"  # value = minor units off (满减: "15 off when you spend 30")
    PERCENT = "percent"  # value = whole percent off the running subtotal (1..100)


@dataclass(frozen=True, slots=True)
class Coupon:
    """A merchant coupon. ``category_scope`` empty = shop-wide; otherwise the cart must hold
    an item within that category for the coupon to apply."""

    coupon_id: str
    merchant_id: str
    kind: CouponKind
    value: int
    threshold: Money
    description: str
    valid_from: datetime
    valid_until: datetime
    exclusive: bool = False
    category_scope: str = ""

    def __post_init__(self) -> None:
        _check_id(self.coupon_id, "coupon_id")
        _check_id(self.merchant_id, "merchant_id")
        if not isinstance(self.kind, CouponKind):
            raise ValidationError("kind must be fixed or percent")
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise ValidationError("coupon value must be an int")
        if self.kind is CouponKind.FIXED and self.value <= 0:
            raise ValidationError("a fixed coupon takes a positive amount of minor units")
        if self.kind is CouponKind.PERCENT and not 1 <= self.value <= 100:
            raise ValidationError("a percent coupon takes 1..100")
        if not isinstance(self.threshold, Money) or self.threshold.is_negative():
            raise ValidationError("threshold must be Money >= 0")
        _check_text(self.description, "coupon description")
        if self.valid_from.tzinfo is None or self.valid_until.tzinfo is None:
            raise ValidationError("coupon validity must be timezone-aware")
        if self.valid_until <= self.valid_from:
            raise ValidationError("coupon valid_until must be after valid_from")
        if self.category_scope:
            check_category(self.category_scope)

    @property
    def currency(self) -> str:
        return self.threshold.currency

    def valid_at(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until

    def to_json(self) -> dict[str, Any]:
        return {
            "coupon_id": self.coupon_id,
            "merchant_id": self.merchant_id,
            "kind": str(self.kind),
            "value": (
                Money(self.value, self.currency).to_json()
                if self.kind is CouponKind.FIXED
                else str(self.value)
            ),
            "threshold": self.threshold.to_json(),
            "description": self.description,
            "exclusive": self.exclusive,
            "category_scope": self.category_scope,
            "valid_from": format_instant(self.valid_from),
            "valid_until": format_instant(self.valid_until),
        }
