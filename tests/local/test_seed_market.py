"""The demo marketplace is worth comparing: three or more shops per vertical, the same GTIN at
several shops at several prices, variants of one product, and a past for every price."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.commerce.catalog import VARIANT_ATTRIBUTES, Product
from trustcart.commerce.compare import price_offer
from trustcart.local.seed import DEMO_SEED, HISTORY_END, SeedCatalog, generate_catalog
from trustcart.local.seed_merchants import MERCHANTS, VERTICALS

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TEA_SHOPS = ("m_lakeside_tea", "m_pearl_house", "m_leaf_and_cup", "m_bobo_cha", "m_bund_tea")


@cache
def demo() -> SeedCatalog:
    return generate_catalog(random.Random(DEMO_SEED))


def _by_gtin(products: tuple[Product, ...]) -> dict[str, list[Product]]:
    found: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        if product.gtin:
            found[product.gtin].append(product)
    return found


def test_every_vertical_has_three_or_more_shops_selling() -> None:
    sellers = {p.merchant_id for p in demo().products}
    assert len(set(TEA_SHOPS) & sellers) >= 3
    for vertical, shops in VERTICALS.items():
        assert len(set(shops) & sellers) >= 3, vertical
    by_id = {m.merchant_id: m for m in MERCHANTS}
    for vertical, shops in VERTICALS.items():
        fees = {by_id[m].delivery_fee for m in shops}
        assert len(fees) >= 2, f"{vertical}: every shop charges the same shipping"


def test_the_same_gtin_is_on_sale_at_several_shops_at_several_prices() -> None:
    catalog = demo()
    by_gtin = _by_gtin(catalog.products)
    shared = {g: ps for g, ps in by_gtin.items() if len({p.merchant_id for p in ps}) >= 2}
    assert len(shared) >= 1000
    priced_apart = [g for g, ps in shared.items() if len({p.price for p in ps}) >= 2]
    assert len(priced_apart) >= len(shared) // 2
    groceries = [ps for ps in shared.values() if ps[0].category.startswith("grocery/")]
    assert len(groceries) >= 50
    for products in by_gtin.values():  # one GTIN is one product, once per shop
        assert len({(p.title, p.brand, p.category) for p in products}) == 1
        assert len({p.merchant_id for p in products}) == len(products)


def test_the_best_delivered_total_is_not_always_the_lowest_price() -> None:
    catalog = demo()
    merchants = {m.merchant_id: m for m in catalog.merchants}
    coupons = defaultdict(list)
    for coupon in catalog.coupons:
        coupons[coupon.merchant_id].append(coupon)
    differs = 0
    for products in _by_gtin(catalog.products).values():
        if len(products) < 2:
            continue
        offers = [
            price_offer(p, merchants[p.merchant_id], coupons[p.merchant_id], [], now=NOW)
            for p in products
        ]
        cheapest = min(offers, key=lambda o: (o.product.price.minor, o.product.product_id))
        best = min(offers, key=lambda o: (o.total.minor, o.product.product_id))
        differs += best is not cheapest
    assert differs >= 100  # shipping and coupons decide, not the list price alone


def _check_variants(products: tuple[Product, ...]) -> None:
    groups: dict[tuple[str, str], list[Product]] = defaultdict(list)
    for product in products:
        assert product.group_id is not None
        groups[(product.group_id, product.merchant_id)].append(product)
    for variants in groups.values():
        assert len({(p.brand, p.category) for p in variants}) == 1
        keys = [tuple(p.attributes.get(a) for a in VARIANT_ATTRIBUTES) for p in variants]
        assert len(set(keys)) == len(keys), "two variants of one product are the same variant"


def _check_history(catalog: SeedCatalog) -> None:
    points: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for point in catalog.price_history:
        points[point.product_id].append((point.observed_at, point.price.minor))
    for product in catalog.products:
        seen = sorted(points[product.product_id])
        assert 2 <= len(seen) <= 5
        assert seen[-1] == (HISTORY_END, product.price.minor)  # today's price is the last


def test_variants_and_history_of_the_demo_catalog() -> None:
    catalog = demo()
    _check_variants(catalog.products)
    _check_history(catalog)
    tees = [p for p in catalog.products if p.category == "apparel/t-shirt"]
    sizes_of_one = defaultdict(set)
    for tee in tees:
        sizes_of_one[(tee.group_id, tee.merchant_id)].add(tee.attributes["size"])
    assert max(len(s) for s in sizes_of_one.values()) == 6  # one T-shirt in every size


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**32), st.integers(150, 900))
def test_every_seed_keeps_the_same_rules(seed: int, count: int) -> None:
    catalog = generate_catalog(random.Random(seed), product_count=count)
    assert len(catalog.products) >= count
    assert len({p.product_id for p in catalog.products}) == len(catalog.products)
    _check_variants(catalog.products)
    _check_history(catalog)
    for products in _by_gtin(catalog.products).values():
        assert len({p.merchant_id for p in products}) == len(products)
