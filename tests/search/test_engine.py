"""The search engine over a real store: English and Chinese queries, filters that hold exactly,
and the store (not the index) deciding price and stock. Runs over the in-process and the
embedded index."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.helpers.search import catalog_search, embedded_index, memory_index
from trustcart.commerce.catalog_search import CatalogSearch, IndexedCatalogSearch
from trustcart.core.categories import category_within
from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.local.seed import seed_catalog
from trustcart.local.seed_merchants import DEMO_LOCATION
from trustcart.search.analysis import query_terms
from trustcart.search.query import SearchQuery
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database


@pytest.fixture(scope="module")
def catalog_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("search") / "catalog.db"
    database = Database(f"sqlite:///{path}")
    database.create_all()
    seed_catalog(database, random.Random(11))
    yield database
    database.dispose()


@pytest.fixture(scope="module", params=["memory", "embedded"])
def engine(
    request: pytest.FixtureRequest, catalog_db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CatalogSearch]:
    if request.param == "memory":
        index = memory_index(catalog_db)
    else:
        index = embedded_index(catalog_db, tmp_path_factory.mktemp("index"))
    yield IndexedCatalogSearch(catalog_db, index)
    index.close()


def test_query_terms() -> None:
    assert query_terms("I want a Pearl Milk Tea under 30") == ["pearl", "milk", "tea", "30"]
    assert query_terms("t-shirts") == ["t-shirt"]
    assert set(query_terms("珍珠奶茶")) >= {"珍珠", "奶茶"}
    assert query_terms("奶茶") == ["奶茶"]
    assert query_terms("  ") == []


def test_english_query_finds_pearl_milk_tea_first(engine: CatalogSearch) -> None:
    hits = engine.search(SearchQuery("pearl milk tea", limit=10))
    assert hits
    assert all(h.product.title.startswith("Pearl Milk Tea") for h in hits[:5])
    assert hits[0].score == 1.0
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    # Equal scores are ordered by price.
    top = [h.product.price.minor for h in hits if h.score == 1.0]
    assert top == sorted(top)


def test_chinese_query_finds_the_same_drink(engine: CatalogSearch) -> None:
    english = engine.search(SearchQuery("pearl milk tea", limit=200))
    chinese = engine.search(SearchQuery("珍珠奶茶", limit=200))
    assert chinese
    assert all("珍珠奶茶" in h.product.title_zh for h in chinese if h.score == 1.0)
    pearl_en = {h.product.product_id for h in english if h.product.title.startswith("Pearl Milk")}
    pearl_zh = {h.product.product_id for h in chinese if h.product.title_zh.startswith("珍珠奶茶")}
    assert pearl_en == pearl_zh
    # A longer Chinese sentence still ranks the drink first.
    sentence = engine.search(SearchQuery("我想要一杯珍珠奶茶", limit=5))
    assert sentence[0].product.title_zh.startswith("珍珠奶茶")


def test_apparel_attributes_are_searchable(engine: CatalogSearch) -> None:
    hits = engine.search(SearchQuery("black t-shirt XL", limit=20))
    assert hits
    assert all(h.product.category == "apparel/t-shirt" for h in hits)
    assert all(h.product.attributes["colour"] == "black" for h in hits)
    assert all(h.product.attributes["size"] == "XL" for h in hits)  # "xl" never matches "xxl"


def test_max_price_is_exact(engine: CatalogSearch) -> None:
    shops = ("m_pearl_house", "m_leaf_and_cup")
    everything = engine.search(SearchQuery("tea", merchant_ids=shops, limit=200))
    assert 10 < len(everything) < 200
    boundary = sorted(h.product.price for h in everything)[len(everything) // 2]
    hits = engine.search(SearchQuery("tea", merchant_ids=shops, max_price=boundary, limit=200))
    assert hits
    assert all(h.product.price <= boundary for h in hits)
    assert any(h.product.price == boundary for h in hits)  # inclusive
    assert len(hits) == sum(1 for h in everything if h.product.price <= boundary)
    # A price cap in another currency matches nothing rather than comparing across currencies.
    assert engine.search(SearchQuery("tea", max_price=Money(10**9, "USD"))) == []


def test_radius_is_exact(engine: CatalogSearch) -> None:
    for radius in ("1.2", "1.4", "3", "500"):
        hits = engine.search(
            SearchQuery("milk tea", location=DEMO_LOCATION, radius_km=Decimal(radius), limit=200)
        )
        assert all(h.distance_km is not None and h.distance_km <= float(radius) for h in hits)
        assert all(
            h.distance_km == round(DEMO_LOCATION.distance_km(h.merchant.location), 3) for h in hits
        )
    near = engine.search(
        SearchQuery("milk tea", location=DEMO_LOCATION, radius_km=Decimal("1.2"), limit=200)
    )
    assert {h.merchant.merchant_id for h in near} == {"m_lakeside_tea"}
    # The Shanghai shop is cheapest but does not deliver to West Lake, whatever the radius.
    far = engine.search(
        SearchQuery("pearl milk tea", location=DEMO_LOCATION, radius_km=Decimal("500"), limit=200)
    )
    assert "m_bund_tea" not in {h.merchant.merchant_id for h in far}
    shanghai = GeoPoint.parse("31.2304", "121.4737")
    there = engine.search(SearchQuery("pearl milk tea", location=shanghai, limit=200))
    # (The embedded index may add semantic-only neighbours; every real match is from Shanghai.)
    assert {h.merchant.merchant_id for h in there if h.score == 1.0} == {"m_bund_tea"}


def test_category_and_merchant_filters(engine: CatalogSearch) -> None:
    hits = engine.search(SearchQuery("tea", category_prefix="drinks/milk-tea", limit=200))
    assert hits
    assert all(category_within(h.product.category, "drinks/milk-tea") for h in hits)
    assert not engine.search(SearchQuery("tea", category_prefix="drinks/milk", limit=50))
    only = engine.search(SearchQuery("tea", merchant_ids=("m_pearl_house",), limit=200))
    assert only
    assert {h.merchant.merchant_id for h in only} == {"m_pearl_house"}
    browse = engine.search(SearchQuery("", category_prefix="accessories/hat", limit=50))
    assert len(browse) == 50
    assert all(h.product.category == "accessories/hat" for h in browse)


def test_out_of_stock_is_filtered(catalog_db: Database, engine: CatalogSearch) -> None:
    hits = engine.search(SearchQuery("pearl milk tea", merchant_ids=("m_bobo_cha",), limit=200))
    target = hits[0].product.product_id
    with catalog_db.transaction() as session:
        session.execute(update(ProductRow).where(ProductRow.product_id == target).values(stock=0))
    try:
        again = engine.search(
            SearchQuery("pearl milk tea", merchant_ids=("m_bobo_cha",), limit=200)
        )
        assert target not in {h.product.product_id for h in again}
        anyway = engine.search(
            SearchQuery(
                "pearl milk tea", merchant_ids=("m_bobo_cha",), in_stock_only=False, limit=200
            )
        )
        assert target in {h.product.product_id for h in anyway}
    finally:
        with catalog_db.transaction() as session:
            session.execute(
                update(ProductRow).where(ProductRow.product_id == target).values(stock=10)
            )


def test_like_wildcards_in_queries_are_literal(engine: CatalogSearch) -> None:
    assert engine.search(SearchQuery("%")) == []
    assert engine.search(SearchQuery("_ _")) == []
    # No word of the catalog matches: at most semantic-only neighbours (fused score < 0.05).
    assert all(h.score < 0.05 for h in engine.search(SearchQuery("zzzznotaproduct")))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": 1000},
        {"radius_km": Decimal(3)},
        {"location": DEMO_LOCATION, "radius_km": Decimal(0)},
        {"text": "x" * 501},
    ],
)
def test_invalid_queries_are_refused(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {"text": "tea", **kwargs}
    with pytest.raises(ValidationError):
        SearchQuery(**fields)  # type: ignore[arg-type]


def test_search_on_both_databases(db: Database) -> None:
    seed_catalog(db, random.Random(2), product_count=200)
    engine = catalog_search(db)
    english = engine.search(
        SearchQuery("Pearl Milk Tea", location=DEMO_LOCATION, radius_km=Decimal(3), limit=5)
    )
    chinese = engine.search(
        SearchQuery("珍珠奶茶", location=DEMO_LOCATION, radius_km=Decimal(3), limit=5)
    )
    assert [h.product.product_id for h in english] == [h.product.product_id for h in chinese]
    assert english[0].product.title == "Pearl Milk Tea"
    assert all(h.distance_km is not None and h.distance_km <= 3 for h in english)


@pytest.mark.parametrize("text", ["tea", "pearl milk tea", "t-shirt", "奶茶", "black"])
def test_the_first_results_do_not_depend_on_the_page_size(engine: CatalogSearch, text: str) -> None:
    wide = [h.product.product_id for h in engine.search(SearchQuery(text, limit=60))]
    for limit in (1, 5, 20):
        narrow = [h.product.product_id for h in engine.search(SearchQuery(text, limit=limit))]
        assert narrow == wide[:limit]
