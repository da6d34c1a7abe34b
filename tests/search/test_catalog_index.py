"""One search test suite, run against both back ends: embedded (tantivy + IVF) and Milvus.

Milvus runs twice on a small catalog: as Milvus Lite on a local file (pymilvus starts its server
on a Unix socket), and as a Milvus server process on a loopback TCP port reached by URI
(``milvus-server``: the client path a standalone Milvus or a cluster uses; skipped with the
reason when no server can be started). Filters are checked for exactness
against ``offer_passes``, the reference evaluation of every filter on one offer.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from trustcart.commerce.catalog_search import offer_from_product
from trustcart.core.categories import category_within
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.local.seed import generate_catalog
from trustcart.local.seed_merchants import DEMO_LOCATION
from trustcart.search.documents import IndexedOffer, offer_passes
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.embedded_vectors import EXACT_SCAN_LIMIT
from trustcart.search.embedding import default_embedder
from trustcart.search.index import CatalogIndex
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.vector_index import TRAIN_MIN

MODES = tuple(SearchMode)


@pytest.fixture(scope="module")
def offers() -> list[IndexedOffer]:
    catalog = generate_catalog(random.Random(11), product_count=600)
    merchants = {m.merchant_id: m for m in catalog.merchants}
    return [offer_from_product(p, merchants[p.merchant_id]) for p in catalog.products]


KINDS = ("embedded", "milvus", "milvus-server")


def _open(kind: str, folder: Path, request: pytest.FixtureRequest) -> CatalogIndex:
    if kind == "embedded":
        return EmbeddedCatalogIndex(folder / "embedded", default_embedder())
    from trustcart.search.milvus import MilvusCatalogIndex

    if kind == "milvus-server":  # one server per session: a fresh collection per index
        uri = request.getfixturevalue("milvus_server_uri")
        return MilvusCatalogIndex(uri, default_embedder(), collection=f"catalog_{folder.name}")
    folder.mkdir(parents=True, exist_ok=True)
    return MilvusCatalogIndex(str(folder / "milvus.db"), default_embedder())


@pytest.fixture(scope="module", params=KINDS)
def index(
    request: pytest.FixtureRequest,
    offers: list[IndexedOffer],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CatalogIndex]:
    opened = _open(request.param, tmp_path_factory.mktemp(request.param.replace("-", "_")), request)
    opened.upsert(offers)
    opened.commit()
    yield opened
    opened.close()


def _by_id(offers: list[IndexedOffer]) -> dict[str, IndexedOffer]:
    return {o.product_id: o for o in offers}


def test_everything_is_indexed(index: CatalogIndex, offers: list[IndexedOffer]) -> None:
    assert index.count() == len(offers)


@pytest.mark.parametrize("mode", [SearchMode.LEXICAL, SearchMode.HYBRID])
def test_english_query_ranks_the_drink_first(index: CatalogIndex, mode: SearchMode) -> None:
    hits = index.search(SearchQuery("pearl milk tea", limit=5), mode).hits
    assert hits
    assert all(h.title.startswith("Pearl Milk Tea") for h in hits[:3])
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_chinese_query_finds_the_same_products(
    index: CatalogIndex, offers: list[IndexedOffer]
) -> None:
    hits = index.search(SearchQuery("珍珠奶茶", limit=50, in_stock_only=False)).hits
    pearl = {o.product_id for o in offers if o.title.startswith("Pearl Milk Tea")}
    assert pearl <= {h.product_id for h in hits}
    assert hits[0].product_id in pearl


def test_semantic_search_finds_related_words(index: CatalogIndex) -> None:
    hits = index.search(SearchQuery("bubble tea drink", limit=5), SearchMode.SEMANTIC).hits
    assert hits
    assert sum(h.title.endswith("Tea") or "Milk" in h.title for h in hits) >= 3


def test_chinese_has_a_semantic_signal_through_the_glossary(index: CatalogIndex) -> None:
    semantic = index.search(SearchQuery("奶茶", limit=5), SearchMode.SEMANTIC).hits
    assert semantic
    assert all("Milk Tea" in h.title for h in semantic)
    assert index.search(SearchQuery("奶茶"), SearchMode.HYBRID).hits


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("text", "cap_minor"), [("tea", 2000), ("t-shirt", 6000), ("sunglasses", 20000), ("milk", 1500)]
)
def test_max_price_is_exact(
    index: CatalogIndex, offers: list[IndexedOffer], mode: SearchMode, text: str, cap_minor: int
) -> None:
    cap = Money(cap_minor, "CNY")
    unfiltered = index.search(SearchQuery(text, limit=100), mode).hits
    assert any(h.price.minor > cap.minor for h in unfiltered)  # the cap has work to do
    hits = index.search(SearchQuery(text, max_price=cap, limit=100), mode).hits
    assert hits
    assert all(h.price.currency == "CNY" and h.price.minor <= cap.minor for h in hits)
    everything = _by_id(offers)
    assert all(
        offer_passes(everything[h.product_id], SearchQuery(text, max_price=cap)) for h in hits
    )


@pytest.mark.parametrize("mode", MODES)
def test_radius_is_exact(index: CatalogIndex, offers: list[IndexedOffer], mode: SearchMode) -> None:
    query = SearchQuery("milk tea", location=DEMO_LOCATION, radius_km=Decimal("1.4"), limit=100)
    hits = index.search(query, mode).hits
    assert hits
    everything = _by_id(offers)
    for hit in hits:
        offer = everything[hit.product_id]
        assert offer_passes(offer, query)
        assert hit.distance_km is not None
        assert hit.distance_km <= 1.4
        assert DEMO_LOCATION.distance_km(offer.zone.origin) <= 1.4
    # Shops 1.44 km away (Leaf & Cup) and in Shanghai (Bund Tea) are out.
    assert {h.merchant_id for h in hits} <= {"m_lakeside_tea", "m_pearl_house"}


def test_filter_values_cannot_change_a_milvus_expression(tmp_path: Path) -> None:
    from trustcart.core.errors import ValidationError
    from trustcart.search.milvus import _CATEGORY, _IDENTIFIER, _literal

    assert _literal("m_bobo_cha", _IDENTIFIER) == '"m_bobo_cha"'
    for hostile in ('m" or price > 0 or merchant == "x', "drinks\\", 'a"'):
        with pytest.raises(ValidationError):
            _literal(hostile, _IDENTIFIER)
        with pytest.raises(ValidationError):
            _literal(hostile, _CATEGORY)


def test_nothing_within_reach_returns_nothing(index: CatalogIndex) -> None:
    far = GeoPoint(Decimal("45.0"), Decimal("-100.0"))
    assert index.search(SearchQuery("milk tea", location=far)).hits == ()


@pytest.mark.parametrize("mode", MODES)
def test_category_merchant_and_stock_filters_are_exact(
    index: CatalogIndex, offers: list[IndexedOffer], mode: SearchMode
) -> None:
    query = SearchQuery("black", category_prefix="apparel", limit=100)
    hits = index.search(query, mode).hits
    assert hits
    everything = _by_id(offers)
    assert all(category_within(everything[h.product_id].category, "apparel") for h in hits)
    assert all(everything[h.product_id].stock > 0 for h in hits)
    shops = ("m_bobo_cha",)
    only = index.search(SearchQuery("tea", merchant_ids=shops, limit=100), mode).hits
    assert only
    assert {h.merchant_id for h in only} == set(shops)


def test_category_browse_without_text_is_cheapest_first(index: CatalogIndex) -> None:
    hits = index.search(SearchQuery("", category_prefix="accessories/hat", limit=20)).hits
    assert hits
    prices = [h.price.minor for h in hits]
    assert prices == sorted(prices)


def test_facets_count_the_candidate_pool(index: CatalogIndex) -> None:
    result = index.search(SearchQuery("black", limit=10))
    categories = result.facets["category"]
    assert categories
    assert sum(categories.values()) == sum(result.facets["merchant"].values())
    assert sum(categories.values()) >= len(result.hits)


@pytest.mark.parametrize("kind", KINDS)
def test_upsert_replaces_and_delete_removes(
    kind: str, offers: list[IndexedOffer], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    index = _open(kind, tmp_path / kind.replace("-", "_"), request)
    sample = offers[:50]
    index.upsert(sample)
    index.upsert(sample)  # twice: still one copy each
    index.commit()
    assert index.count() == 50
    target = sample[0]
    cheaper = replace(target, price=Money(1, target.price.currency), stock=5)
    index.upsert([cheaper])
    index.commit()
    query = SearchQuery(target.title, limit=50, in_stock_only=False)
    found = {h.product_id: h for h in index.search(query).hits}
    assert found[target.product_id].price == Money(1, target.price.currency)
    index.delete([target.product_id])
    index.commit()
    assert index.count() == 49
    assert target.product_id not in {h.product_id for h in index.search(query).hits}
    index.close()


def test_embedded_index_reopens_from_disk(offers: list[IndexedOffer], tmp_path: Path) -> None:
    first = EmbeddedCatalogIndex(tmp_path / "i", default_embedder())
    first.upsert(offers)
    first.commit()
    query = SearchQuery("black t-shirt", max_price=Money(9000, "CNY"), limit=10)
    before = first.search(query)
    first.close()
    again = EmbeddedCatalogIndex(tmp_path / "i", default_embedder())
    assert again.count() == len(offers)
    assert again.search(query) == before


def test_selective_filters_use_an_exact_scan_and_stay_exact(
    offers: list[IndexedOffer], tmp_path: Path
) -> None:
    # Enough offers for inverted lists (and more than the exact-scan limit), so the unfiltered
    # path probes lists, a selective filter (one merchant) uses the exact scan and a broad one
    # (max price) the masked lists; all must obey the filter.
    many = [
        replace(o, product_id=f"{o.product_id}x{i}")
        for i in range(max(EXACT_SCAN_LIMIT, TRAIN_MIN) // len(offers) + 2)
        for o in offers
    ]
    index = EmbeddedCatalogIndex(tmp_path / "big", default_embedder())
    index.upsert(many)
    index.commit()
    assert index.debug_state()["lists"] > 0
    query = SearchQuery("fruit tea", merchant_ids=("m_lakeside_tea",), limit=20)
    hits = index.search(query, SearchMode.SEMANTIC).hits
    assert len(hits) == 20
    assert {h.merchant_id for h in hits} == {"m_lakeside_tea"}
    wide = index.search(
        SearchQuery("fruit tea", max_price=Money(10_000, "CNY"), limit=20), SearchMode.SEMANTIC
    ).hits
    assert len(wide) == 20
    assert all(h.price.minor <= 10_000 for h in wide)
    index.close()
