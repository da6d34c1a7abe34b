"""Why a search shows nothing: the filters left nothing, or nothing matches the words well.

An empty answer is only useful with its reason. ``explain_empty`` runs the same words again
without the filters (price cap, category, merchants, stock, delivery area) and replays each
filter alone over what that finds (``documents.offer_passes``), so it can say "12 offers match
'pearl milk tea'; the price cap of 5.00 CNY excludes all 12 (the cheapest is 12.00 CNY)". When
the first hit is not a good match (``relevance``), the words themselves find nothing close:
"sparkling water" is not sold, whatever the nearest offer is.

``EmptyReason.code`` is stable:

    no-words       the query has no searchable words and no category
    nothing        no offer matches the words, even without filters
    poor-match     offers were found, none of them a good match for the words
    filtered       offers match the words, the filters exclude every one (``excluded`` says how
                   many each filter excludes alone)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from trustcart.core.money import Money
from trustcart.search.analysis import query_terms
from trustcart.search.documents import IndexedOffer, offer_passes
from trustcart.search.engine import POOL, RankedResult, SearchEngine
from trustcart.search.query import SearchMode, SearchQuery

T = TypeVar("T")


class EmptyCode(StrEnum):
    NO_WORDS = "no-words"
    NOTHING = "nothing"
    POOR_MATCH = "poor-match"
    FILTERED = "filtered"


class Filter(StrEnum):
    """The filters of a ``SearchQuery``, by the name ``EmptyReason.excluded`` uses."""

    MAX_PRICE = "max_price"
    CATEGORY = "category"
    MERCHANTS = "merchants"
    IN_STOCK = "in_stock"
    LOCATION = "location"


@dataclass(frozen=True, slots=True)
class EmptyReason:
    """Why nothing is shown, with the figures to say so."""

    code: EmptyCode
    matches: int = 0  # offers matching the words without the filters (good matches only)
    excluded: Mapping[Filter, int] = field(default_factory=dict)
    cheapest: Money | None = None  # the cheapest of the matches, for a price cap
    nearest_title: str | None = None  # the best of the poor matches
    at_least: bool = False  # ``matches`` is the size of the candidate pool: there are more

    def __post_init__(self) -> None:
        object.__setattr__(self, "excluded", MappingProxyType(dict(self.excluded)))

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "matches": self.matches,
            "excluded": {k.value: v for k, v in self.excluded.items()},
            "cheapest": None if self.cheapest is None else self.cheapest.to_json(),
            "nearest_title": self.nearest_title,
            "at_least": self.at_least,
        }


def active_filters(query: SearchQuery) -> dict[Filter, SearchQuery]:
    """Each filter the query sets, as a query with only that filter."""
    bare = unfiltered(query)
    found: dict[Filter, SearchQuery] = {}
    if query.max_price is not None:
        found[Filter.MAX_PRICE] = replace(bare, max_price=query.max_price)
    if query.category_prefix:
        found[Filter.CATEGORY] = replace(bare, category_prefix=query.category_prefix)
    if query.merchant_ids:
        found[Filter.MERCHANTS] = replace(bare, merchant_ids=query.merchant_ids)
    if query.in_stock_only:
        found[Filter.IN_STOCK] = replace(bare, in_stock_only=True)
    if query.location is not None:
        found[Filter.LOCATION] = replace(bare, location=query.location, radius_km=query.radius_km)
    return found


def unfiltered(query: SearchQuery) -> SearchQuery:
    """The same words without any filter, asking for the whole candidate pool."""
    return SearchQuery(query.text, in_stock_only=False, limit=POOL)


def reason_from(
    query: SearchQuery, offers: list[IndexedOffer], *, good_match: bool | None
) -> EmptyReason:
    """The reason, from the offers the words find best without filters (pure). The cheapest is
    taken among the offers that every other filter lets through (a price cap is judged where
    the buyer can actually buy)."""
    if not offers:
        return EmptyReason(EmptyCode.NOTHING)
    if good_match is False:
        return EmptyReason(EmptyCode.POOR_MATCH, nearest_title=offers[0].title)
    filters = active_filters(query)
    excluded = {
        name: sum(not offer_passes(o, alone) for o in offers) for name, alone in filters.items()
    }
    others = [alone for name, alone in filters.items() if name is not Filter.MAX_PRICE]
    reachable = [o for o in offers if all(offer_passes(o, alone) for alone in others)] or offers
    currency = None if query.max_price is None else query.max_price.currency
    prices = [o.price for o in reachable if currency is None or o.price.currency == currency]
    cheapest = min(prices, key=lambda m: m.minor) if prices else None
    return EmptyReason(EmptyCode.FILTERED, len(offers), excluded, cheapest)


def explain_empty(
    engine: SearchEngine[T],
    query: SearchQuery,
    mode: SearchMode = SearchMode.HYBRID,
    result: RankedResult[T] | None = None,
) -> EmptyReason | None:
    """Why ``query`` shows nothing, or None when it shows good matches.

    ``result`` is the answer already computed for ``query`` (it is searched again otherwise).
    """
    if not query_terms(query.text) and not query.category_prefix:
        return EmptyReason(EmptyCode.NO_WORDS)
    result = result if result is not None else engine.search(query, mode)
    if result.hits and result.good_match is not False:
        return None
    if result.hits:  # found, but not what was asked for
        return EmptyReason(EmptyCode.POOR_MATCH, nearest_title=result.hits[0].offer.title)
    wide = engine.search(unfiltered(query), mode)
    good = [h for h in wide.hits if h.good_match is not False]
    if wide.hits and not good:
        return EmptyReason(EmptyCode.POOR_MATCH, nearest_title=wide.hits[0].offer.title)
    # The offers that match the words best (all of them, for "pearl milk tea": not every milk).
    best = [h.offer for h in good if h.score >= good[0].score - 1e-9] if good else []
    reason = reason_from(query, best, good_match=True)
    return replace(reason, at_least=len(best) == len(wide.hits) == POOL)
