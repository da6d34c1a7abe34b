"""Price comparison: same product across merchants, best delivered total first, price history."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from trustcart.commerce.catalog import Product
from trustcart.commerce.compare import compare_offers, judge_price, same_product
from trustcart.commerce.errors import NotFound
from trustcart.commerce.ingest import import_catalog
from trustcart.commerce.repository import insert_catalog
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.local.seed import generate_catalog
from trustcart.local.seed_merchants import MERCHANTS
from trustcart.store.db import Database


def _product(
    product_id: str,
    title: str,
    *,
    brand: str = "Voltly",
    gtin: str | None = None,
    merchant: str = "m_digital_hub",
    model: str | None = None,
) -> Product:
    attributes = {"model": model} if model else {}
    return Product(
        product_id,
        merchant,
        title,
        "",
        brand,
        "electronics/accessories",
        Money(9900, "CNY"),
        5,
        60,
        attributes,
        gtin=gtin,
    )


def test_gtin_decides_when_both_have_one() -> None:
    a = _product("p_a", "Voltly Power Bank", gtin="6901234567892")
    assert same_product(a, _product("p_b", "Completely different title", gtin="6901234567892"))
    assert not same_product(a, _product("p_c", "Voltly Power Bank", gtin="6901234567885"))


def test_brand_model_and_title_similarity_without_gtin() -> None:
    a = _product("p_a", "Voltly USB-C Charger 65W - black")
    assert same_product(a, _product("p_b", "VOLTLY USB-C Charger 65W (white)", brand="voltly"))
    assert not same_product(a, _product("p_c", "Voltly USB-C Charger 65W", brand="Anchor"))
    assert not same_product(a, _product("p_d", "Voltly Wireless Earbuds - black"))
    assert not same_product(
        _product("p_e", "Voltly Charger", model="V65"),
        _product("p_f", "Voltly Charger", model="V30"),
    )


def test_judge_price_against_its_own_history() -> None:
    history = [Money(m, "CNY") for m in (1200, 1000, 1100, 1300)]
    assert judge_price(Money(1000, "CNY"), history).verdict == "lowest"
    assert judge_price(Money(1100, "CNY"), history).verdict == "good"
    assert judge_price(Money(1250, "CNY"), history).verdict == "high"
    assert judge_price(Money(1250, "CNY"), history[:1]).verdict == "no-history"


def test_offers_rank_by_total_after_shipping_and_best_coupons(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    catalog = generate_catalog(random.Random(5), product_count=0)
    with db.transaction() as session:
        insert_catalog(session, MERCHANTS, [], catalog.coupons)
    header = "product_id,merchant_id,title,brand,category,price,currency,stock,gtin\n"
    rows = [  # one GTIN, three shops: price 19 - 6 coupon = 13 beats 16 and 18 + 0 shipping
        "p_pm_leaf,m_leaf_and_cup,Pearl Milk Tea,Leaf,drinks/milk-tea,19.00,CNY,5,6901234567892",
        "p_pm_pearl,m_pearl_house,Pearl Milk Tea,Pearl,drinks/milk-tea,16.00,CNY,5,6901234567892",
        "p_pm_lake,m_lakeside_tea,Pearl Milk Tea,Lake,drinks/milk-tea,18.00,CNY,5,6901234567892",
        "p_pm_bobo,m_bobo_cha,Pearl Milk Tea,Bobo,drinks/milk-tea,15.00,CNY,0,6901234567892",
        "p_other,m_pearl_house,Taro Milk Tea,Pearl,drinks/milk-tea,9.00,CNY,5,6901234567885",
    ]
    path = tmp_path / "c.csv"
    path.write_text(header + "\n".join(rows) + "\n")
    import_catalog(db, path, now=clock.now())
    path.write_text(header + "\n".join(rows).replace("16.00", "17.00") + "\n")
    import_catalog(db, path, now=clock.now() + timedelta(days=1))

    offers = compare_offers(db, "p_pm_lake", now=clock.now())
    assert [o.product.product_id for o in offers] == [
        "p_pm_leaf",
        "p_pm_pearl",
        "p_pm_lake",
        "p_pm_bobo",
    ]  # out of stock last
    best = offers[0]
    assert best.total == Money(1300, "CNY")
    assert best.coupons.coupon_ids == ("c_leafcup_6off",)
    assert offers[1].total == Money(1700, "CNY")
    assert offers[1].price_verdict.verdict == "high"  # 17 after 16
    assert offers[1].to_json()["price_verdict"]["observations"] == 2
    with pytest.raises(NotFound):
        compare_offers(db, "p_missing", now=clock.now())
