"""Catalog value objects validate when built; an object that exists is valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from trustcart.commerce.catalog import Coupon, CouponKind, Merchant, Product
from trustcart.core.categories import category_within, check_category
from trustcart.core.errors import MoneyError, ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money

T0 = datetime(2026, 11, 29, 8, tzinfo=UTC)


def product(**changes: Any) -> Product:
    fields: dict[str, Any] = {
        "product_id": "p_tea1",
        "merchant_id": "m_shop",
        "title": "Pearl Milk Tea",
        "title_zh": "珍珠奶茶",
        "brand": "Leaf",
        "category": "drinks/milk-tea",
        "price": Money(1800, "CNY"),
        "stock": 5,
        "delivery_minutes": 30,
        "attributes": {"size": "medium"},
    }
    fields.update(changes)
    return Product(**fields)


def merchant(**changes: Any) -> Merchant:
    fields: dict[str, Any] = {
        "merchant_id": "m_shop",
        "name": "Shop",
        "location": GeoPoint.parse("30.2590", "120.1300"),
        "delivery_radius_km": Decimal(5),
        "categories": ("drinks/milk-tea",),
        "currency": "CNY",
        "delivery_fee": Money(0, "CNY"),
    }
    fields.update(changes)
    return Merchant(**fields)


def coupon(**changes: Any) -> Coupon:
    fields: dict[str, Any] = {
        "coupon_id": "c_one",
        "merchant_id": "m_shop",
        "kind": CouponKind.FIXED,
        "value": 500,
        "threshold": Money(1500, "CNY"),
        "description": "5 off from 15",
        "valid_from": T0 - timedelta(days=1),
        "valid_until": T0 + timedelta(days=1),
    }
    fields.update(changes)
    return Coupon(**fields)


def test_product_carries_the_cid_mer_cat_fields() -> None:
    body = product(price_valid_until=T0, gtin="6901234567892").to_json()
    # Required: id, name, category, price with currency. Recommended: stock, price validity,
    # delivery time, merchant reference.
    assert body["product_id"] == "p_tea1"
    assert body["title"] == "Pearl Milk Tea"
    assert body["category"] == "drinks/milk-tea"
    assert body["price"] == {"amount": "18.00", "currency": "CNY"}
    assert body["stock"] == 5
    assert body["availability"] == "in_stock"
    assert body["price_valid_until"] == "2026-11-29T08:00:00Z"
    assert body["delivery_minutes"] == 30
    assert body["merchant_id"] == "m_shop"
    assert body["gtin"] == "6901234567892"


@pytest.mark.parametrize(
    "changes",
    [
        {"price": Money(-1, "CNY")},
        {"price": 18},
        {"stock": -1},
        {"stock": True},
        {"stock": 1.5},
        {"delivery_minutes": -5},
        {"product_id": "no-prefix"},
        {"product_id": ""},
        {"merchant_id": "m shop"},
        {"title": "  "},
        {"title": "x" * 201},
        {"category": "Drinks/Milk Tea"},
        {"category": "drinks//tea"},
        {"category": "/drinks"},
        {"attributes": {"size": 1}},
        {"gtin": "12345"},
        {"image_url": "javascript:alert(1)"},
        {"price_valid_until": datetime(2026, 11, 29)},
    ],
)
def test_invalid_products_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        product(**changes)


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(MoneyError):
        product(price=Money(100, "XXX"))


def test_product_attributes_cannot_be_edited_after_build() -> None:
    source = {"size": "medium"}
    built = product(attributes=source)
    source["size"] = "large"  # the caller's dict is copied
    assert built.attributes["size"] == "medium"
    with pytest.raises(TypeError):
        built.attributes["size"] = "large"  # type: ignore[index]


def test_out_of_stock_is_reported() -> None:
    assert product(stock=0).to_json()["availability"] == "out_of_stock"
    assert not product(stock=2).in_stock(3)
    assert product(stock=3).in_stock(3)


@pytest.mark.parametrize(
    "changes",
    [
        {"delivery_radius_km": Decimal(0)},
        {"delivery_radius_km": 5},
        {"categories": ()},
        {"categories": ["drinks"]},
        {"currency": "XXX"},
        {"delivery_fee": Money(300, "USD")},
        {"delivery_fee": Money(-1, "CNY")},
        {"location": (30, 120)},
    ],
)
def test_invalid_merchants_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        merchant(**changes)


@pytest.mark.parametrize(("lat", "lon"), [("91", "0"), ("0", "180.5"), ("x", "0"), ("NaN", "0")])
def test_invalid_coordinates_are_refused(lat: str, lon: str) -> None:
    with pytest.raises(ValidationError):
        GeoPoint.parse(lat, lon)


def test_coordinates_are_never_floats() -> None:
    with pytest.raises(ValidationError):
        GeoPoint.parse(30.259, 120.13)


def test_haversine_distance() -> None:
    west_lake = GeoPoint.parse("30.2590", "120.1300")
    shanghai = GeoPoint.parse("31.2304", "121.4737")
    assert west_lake.distance_km(west_lake) == 0
    # Hangzhou to Shanghai, great circle: about 168 km.
    assert 160 < west_lake.distance_km(shanghai) < 175
    # One degree of latitude is about 111.2 km anywhere.
    assert GeoPoint.parse("0", "0").distance_km(GeoPoint.parse("1", "0")) == pytest.approx(
        111.19, abs=0.05
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"value": 0},
        {"value": -100},
        {"kind": CouponKind.PERCENT, "value": 0},
        {"kind": CouponKind.PERCENT, "value": 101},
        {"kind": "fixed"},
        {"value": True},
        {"threshold": Money(-1, "CNY")},
        {"valid_until": T0 - timedelta(days=2)},
        {"valid_from": datetime(2026, 1, 1)},
        {"category_scope": "Drinks"},
        {"description": ""},
    ],
)
def test_invalid_coupons_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        coupon(**changes)


def test_coupon_validity_window_is_half_open() -> None:
    c = coupon(valid_from=T0, valid_until=T0 + timedelta(hours=1))
    assert c.valid_at(T0)
    assert not c.valid_at(T0 - timedelta(seconds=1))
    assert not c.valid_at(T0 + timedelta(hours=1))


def test_categories() -> None:
    assert check_category("apparel/t-shirt") == "apparel/t-shirt"
    assert category_within("drinks/milk-tea", "drinks")
    assert category_within("drinks", "drinks")
    assert not category_within("drinks/milk-tea", "drink")
    assert not category_within("drinkss", "drinks")
