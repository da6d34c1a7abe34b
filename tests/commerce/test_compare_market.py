"""Comparison across the seeded merchants: GTIN and title matching, delivered totals after
coupons, the delivery area, variants, and verdicts from the seeded price history."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.commerce.catalog import Coupon, CouponKind, Merchant, Product
from trustcart.commerce.compare import (
    MatchBasis,
    compare_product,
    match_basis,
    price_offer,
    rank_offers,
)
from trustcart.core.money import Money
from trustcart.local.seed import SeedCatalog, seed_catalog
from trustcart.local.seed_merchants import DEMO_LOCATION, MERCHANTS
from trustcart.local.seed_products import PEARL_MILK_TEA
from trustcart.store.db import Database

NOW = datetime(2026, 12, 1, tzinfo=UTC)
MERCHANT = {m.merchant_id: m for m in MERCHANTS}


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, SeedCatalog]]:
    path: Path = tmp_path_factory.mktemp("compare") / "catalog.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    yield database, seed_catalog(database, random.Random(21), product_count=3000)
    database.dispose()


def _product(pid: str, title: str, **changes: object) -> Product:
    base: dict[str, object] = {
        "product_id": pid,
        "merchant_id": "m_fresh_mart",
        "title": title,
        "title_zh": "",
        "brand": "",
        "category": "drinks/milk-tea",
        "price": Money(1000, "CNY"),
        "stock": 5,
        "delivery_minutes": 30,
        "attributes": {},
    }
    base.update(changes)
    return Product(**base)  # type: ignore[arg-type]


def test_matching_rules() -> None:
    tea = _product("p_a", "Pearl Milk Tea", attributes={"size": "medium"})
    assert match_basis(tea, tea) is MatchBasis.SAME_OFFER
    assert match_basis(tea, _product("p_b", "Pearl Milk Tea")) is MatchBasis.TITLE
    large = _product("p_c", "Pearl Milk Tea (Large)", attributes={"size": "large"})
    assert match_basis(tea, large) is None  # another variant
    other_category = _product("p_d", "Pearl Milk Tea", category="grocery/tea")
    assert match_basis(tea, other_category) is None  # unbranded: only within its category
    branded = _product("p_e", "Pearl Milk Tea", brand="Bobo")
    assert match_basis(tea, branded) is None
    a = _product("p_f", "X", gtin="6901234567892", brand="A")
    assert match_basis(a, _product("p_g", "Y", gtin="6901234567892", brand="B")) is MatchBasis.GTIN
    assert match_basis(a, _product("p_h", "X", gtin="6901234567885", brand="A")) is None


def test_pearl_milk_tea_at_five_shops_best_delivered_total_first(
    market: tuple[Database, SeedCatalog],
) -> None:
    db, catalog = market
    lakeside = next(
        p
        for p in catalog.products
        if p.title == PEARL_MILK_TEA[0] and p.merchant_id == "m_lakeside_tea"
    )
    everywhere = compare_product(db, lakeside.product_id, now=NOW)
    assert {o.merchant.merchant_id for o in everywhere.offers} == {
        "m_lakeside_tea",
        "m_pearl_house",
        "m_leaf_and_cup",
        "m_bobo_cha",
        "m_bund_tea",
    }
    assert all(o.matched_by in (MatchBasis.TITLE, MatchBasis.SAME_OFFER) for o in everywhere.offers)
    near = compare_product(db, lakeside.product_id, now=NOW, location=DEMO_LOCATION)
    assert near.undeliverable == 1  # the Shanghai tea bar
    best = near.offers[0]
    assert best.merchant.merchant_id == "m_leaf_and_cup"
    assert best.total == Money(1300, "CNY")  # 19.00 - 6.00 coupon, free delivery
    assert best.coupons.coupon_ids == ("c_leafcup_6off",)
    bobo = next(o for o in near.offers if o.merchant.merchant_id == "m_bobo_cha")
    assert bobo.total == Money(2200 + 300 - 220, "CNY")  # 3.00 delivery, 10 % off milk tea
    assert [v.attributes["size"] for v in near.variants] == ["large"]
    assert all(o.price_verdict.observations >= 2 for o in near.offers)


def test_a_seeded_grocery_at_several_shops_by_gtin(market: tuple[Database, SeedCatalog]) -> None:
    db, catalog = market
    shared = next(
        p
        for p in catalog.products
        if p.category.startswith("grocery/")
        and sum(q.gtin == p.gtin for q in catalog.products) >= 2
    )
    comparison = compare_product(db, shared.product_id, now=NOW)
    offers = comparison.offers
    assert len({o.merchant.merchant_id for o in offers}) >= 2
    assert {o.product.gtin for o in offers} == {shared.gtin}
    assert {o.matched_by for o in offers} <= {MatchBasis.GTIN, MatchBasis.SAME_OFFER}
    for offer in offers:
        assert offer.total == (
            offer.product.price + offer.merchant.delivery_fee - offer.coupons.discount
        )
    assert [o.total.minor for o in offers] == sorted(o.total.minor for o in offers)
    body = comparison.to_json()
    assert body["merchants"] == len({o.merchant.merchant_id for o in offers})


def test_variants_of_a_t_shirt_at_its_shop(market: tuple[Database, SeedCatalog]) -> None:
    db, catalog = market
    tee = next(p for p in catalog.products if p.category == "apparel/t-shirt")
    comparison = compare_product(db, tee.product_id, now=NOW)
    assert comparison.variants
    for variant in comparison.variants:
        assert variant.group_id == tee.group_id
        assert variant.merchant_id == tee.merchant_id
        assert (variant.attributes["size"], variant.attributes["colour"]) != (
            tee.attributes["size"],
            tee.attributes["colour"],
        )
    assert all(o.product.attributes["size"] == tee.attributes["size"] for o in comparison.offers)


_COUPON = st.builds(
    lambda value, threshold, exclusive: Coupon(
        f"c_{value}_{threshold}",
        "m_fresh_mart",
        CouponKind.FIXED,
        value,
        Money(threshold, "CNY"),
        "test",
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2028, 1, 1, tzinfo=UTC),
        exclusive=exclusive,
    ),
    st.integers(1, 3000),
    st.integers(0, 5000),
    st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9000), st.integers(0, 2000)), min_size=1, max_size=6),
    st.lists(_COUPON, max_size=4, unique_by=lambda c: c.coupon_id),
)
def test_delivered_total_is_price_plus_shipping_minus_the_best_coupons(
    rows: list[tuple[int, int]], coupons: list[Coupon]
) -> None:
    offers = []
    for index, (price, fee) in enumerate(rows):
        merchant = Merchant(
            "m_fresh_mart",
            "Shop",
            DEMO_LOCATION,
            MERCHANT["m_fresh_mart"].delivery_radius_km,
            ("grocery/produce",),
            "CNY",
            Money(fee, "CNY"),
        )
        product = _product(
            f"p_{index}", "Bananas", category="grocery/produce", price=Money(price, "CNY")
        )
        offer = price_offer(product, merchant, coupons, [], now=NOW)
        assert Money(0, "CNY") <= offer.coupons.discount <= product.price
        assert offer.total == product.price + merchant.delivery_fee - offer.coupons.discount
        offers.append(offer)
    ranked = rank_offers(offers)
    assert [o.total.minor for o in ranked] == sorted(o.total.minor for o in offers)
