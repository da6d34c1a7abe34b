"""The demo catalog: large enough, deterministic, and with the milk-tea demo near West Lake."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from trustcart.commerce.cart import CartLine, price_cart
from trustcart.core.money import Money
from trustcart.local.seed import generate_catalog, seed_catalog
from trustcart.local.seed_merchants import DEMO_LOCATION, demo_merchant_keys
from trustcart.local.seed_products import PEARL_MILK_TEA
from trustcart.store.commerce import CouponRow, MerchantRow, ProductRow
from trustcart.store.db import Database

NOW = datetime(2026, 11, 29, 8, tzinfo=UTC)


def test_counts_and_variety() -> None:
    catalog = generate_catalog(random.Random(1))
    assert len(catalog.merchants) >= 5
    assert len(catalog.products) >= 10_000
    assert len({p.product_id for p in catalog.products}) == len(catalog.products)
    merchant_ids = {m.merchant_id for m in catalog.merchants}
    assert {p.merchant_id for p in catalog.products} <= merchant_ids
    top = Counter(p.category.split("/")[0] for p in catalog.products)
    assert {"drinks", "apparel", "accessories", "grocery", "electronics"} <= set(top)
    categories = {p.category for p in catalog.products}
    assert {"apparel/t-shirt", "accessories/eyewear", "accessories/hat"} <= categories
    tees = [p for p in catalog.products if p.category == "apparel/t-shirt"]
    assert {"size", "colour"} <= set(tees[0].attributes)
    assert len({p.attributes["size"] for p in tees}) >= 5
    assert len({p.attributes["colour"] for p in tees}) >= 5
    assert all(p.title and p.title_zh for p in catalog.products)
    # Every product is in one of its merchant's categories.
    by_id = {m.merchant_id: m for m in catalog.merchants}
    assert all(p.category in by_id[p.merchant_id].categories for p in catalog.products)


def test_same_seed_same_catalog_other_seed_other_catalog() -> None:
    first = generate_catalog(random.Random(42), product_count=2000)
    again = generate_catalog(random.Random(42), product_count=2000)
    other = generate_catalog(random.Random(43), product_count=2000)
    assert first == again
    assert [p.product_id for p in first.products] != [p.product_id for p in other.products]
    keys = demo_merchant_keys(["m_a", "m_b"], random.Random(5))
    assert keys["m_a"].kid == demo_merchant_keys(["m_a"], random.Random(5))["m_a"].kid
    assert keys["m_a"].kid != keys["m_b"].kid


def test_pearl_milk_tea_near_west_lake_and_a_coupon_makes_the_best_offer() -> None:
    catalog = generate_catalog(random.Random(7), product_count=500)
    merchants = {m.merchant_id: m for m in catalog.merchants}
    nearby = {mid for mid, m in merchants.items() if DEMO_LOCATION.distance_km(m.location) <= 3}
    pearl = [
        p
        for p in catalog.products
        if (p.title, p.title_zh) == PEARL_MILK_TEA and p.merchant_id in nearby
    ]
    assert len({p.merchant_id for p in pearl}) >= 3
    assert all(Money(1200, "CNY") <= p.price <= Money(2800, "CNY") for p in pearl)
    assert all(p.category == "drinks/milk-tea" for p in pearl)

    offers = {
        p.merchant_id: price_cart(
            merchants[p.merchant_id], [CartLine(p, 1)], catalog.coupons, now=NOW
        )
        for p in pearl
    }
    best = min(offers.values(), key=lambda o: o.total.minor)
    cheapest_list_price = min(p.price.minor for p in pearl)
    assert best.coupons.applied, "the best offer comes from a coupon"
    assert best.lines[0].product.price.minor > cheapest_list_price
    assert best.total.minor < cheapest_list_price


def test_bulk_seed_is_complete(sqlite_db: Database) -> None:
    # (Its speed is a benchmark's business, not a test's: tests do not assert timings.)
    catalog = seed_catalog(sqlite_db, random.Random(1))
    with sqlite_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProductRow)) == len(catalog.products)
        assert session.scalar(select(func.count()).select_from(MerchantRow)) == len(
            catalog.merchants
        )
        assert session.scalar(select(func.count()).select_from(CouponRow)) == len(catalog.coupons)


def test_seed_on_both_databases(db: Database) -> None:
    catalog = seed_catalog(db, random.Random(3), product_count=300)
    with db.transaction() as session:
        row = session.get(ProductRow, catalog.products[0].product_id)
        assert row is not None
        assert row.price_minor == catalog.products[0].price.minor
        assert row.title_zh == catalog.products[0].title_zh
