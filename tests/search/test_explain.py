"""Why a search shows nothing: the filter that excluded the matches, or no good match at all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.local.seed_merchants import DEMO_LOCATION
from trustcart.search.documents import DeliveryZone, IndexedOffer, offer_passes
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.engine import SearchEngine
from trustcart.search.explain import EmptyCode, Filter, explain_empty, reason_from
from trustcart.search.query import SearchQuery


class Offers:
    """The offers themselves as their source of truth."""

    def __init__(self, offers: Sequence[IndexedOffer]) -> None:
        self._by_id = {o.product_id: o for o in offers}

    def current(self, product_ids: Sequence[str]) -> Mapping[str, tuple[IndexedOffer, str]]:
        return {i: (self._by_id[i], i) for i in product_ids if i in self._by_id}


def _engine(index: EmbeddedCatalogIndex, seed: list[IndexedOffer]) -> SearchEngine[str]:
    return SearchEngine(index, Offers(seed))


def test_a_price_cap_below_every_pearl_milk_tea(
    seed_index: EmbeddedCatalogIndex, seed: list[IndexedOffer]
) -> None:
    engine = _engine(seed_index, seed)
    assert explain_empty(engine, SearchQuery("pearl milk tea")) is None  # good matches shown
    capped = SearchQuery("pearl milk tea", max_price=Money(500, "CNY"))
    reason = explain_empty(engine, capped)
    assert reason is not None
    assert reason.code is EmptyCode.FILTERED
    pearl = [o for o in seed if o.title.startswith("Pearl Milk Tea")]
    assert reason.matches == len(pearl) == 10  # five shops, medium and large
    assert reason.excluded[Filter.MAX_PRICE] == 10
    assert reason.cheapest == min(o.price for o in pearl)  # 12.00 in Shanghai


def test_the_cheapest_is_where_the_buyer_can_buy(
    seed_index: EmbeddedCatalogIndex, seed: list[IndexedOffer]
) -> None:
    query = SearchQuery(
        "pearl milk tea",
        max_price=Money(500, "CNY"),
        location=DEMO_LOCATION,
        radius_km=Decimal("5"),
    )
    reason = explain_empty(_engine(seed_index, seed), query)
    assert reason is not None
    assert reason.excluded[Filter.LOCATION] == 2  # the Shanghai tea bar's two sizes
    assert reason.cheapest == Money(1600, "CNY")  # near West Lake, before coupons


def test_words_the_catalog_does_not_sell(
    seed_index: EmbeddedCatalogIndex, seed: list[IndexedOffer]
) -> None:
    engine = _engine(seed_index, seed)
    reason = explain_empty(engine, SearchQuery("sparkling water"))
    assert reason is not None
    assert reason.code is EmptyCode.POOR_MATCH
    assert reason.nearest_title
    words = explain_empty(engine, SearchQuery("   "))
    assert words is not None
    assert words.code is EmptyCode.NO_WORDS


def _offer(index: int, price: int, lat: str) -> IndexedOffer:
    zone = DeliveryZone(GeoPoint(Decimal(lat), Decimal("120")), Decimal("5"))
    return IndexedOffer(
        f"p_{index}", "m_a", "Tea", "tea", "drinks/tea", Money(price, "CNY"), 1, zone
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5000), st.sampled_from(["30", "40"])), min_size=1, max_size=20
    ),
    st.integers(0, 5000),
)
def test_each_filter_counts_what_it_excludes_alone(rows: list[tuple[int, str]], cap: int) -> None:
    offers = [_offer(i, price, lat) for i, (price, lat) in enumerate(rows)]
    query = SearchQuery(
        "tea",
        max_price=Money(cap, "CNY"),
        location=GeoPoint(Decimal("30"), Decimal("120")),
    )
    reason = reason_from(query, offers, good_match=True)
    assert reason.matches == len(offers)
    assert reason.excluded[Filter.MAX_PRICE] == sum(o.price.minor > cap for o in offers)
    far = sum(lat == "40" for _, lat in rows)
    assert reason.excluded[Filter.LOCATION] == far
    reachable = [
        o.price for o in offers if offer_passes(o, SearchQuery("tea", location=query.location))
    ]
    assert reason.cheapest == min(reachable or [o.price for o in offers], key=lambda m: m.minor)
