"""The one entry point of catalog search: every caller's query ranks the same way.

``SearchEngine.search`` asks the index (any ``CatalogIndex`` back end) for a candidate pool of
a fixed size, wider than any page so the final order sees every close match and the first k
results are the same whatever k, then checks each candidate
against the source of truth (``LiveDocuments``: the transactional store for the merchant
service and the CLI alike), because an index is eventually consistent: a price that rose or
stock that ran out since indexing is caught here, and every filter is applied again to the
current document (``documents.offer_passes``). The survivors are ranked:

* hybrid (the default): share of query terms covered (``ranking.coverage``), then price, then
  product id; candidates that only the semantic side found (no query term covered) come after
  every lexical match, in fused-score order;
* lexical or semantic alone: the index's own order, so ``--mode`` shows what that signal finds.

``RankedHit.score`` is the coverage for a lexical match, else the fused score (below 0.05).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from trustcart.search.analysis import query_terms
from trustcart.search.documents import IndexedOffer, offer_passes
from trustcart.search.index import CatalogIndex
from trustcart.search.query import MAX_LIMIT, SearchMode, SearchQuery
from trustcart.search.ranking import coverage

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")
# Candidates asked of the index, whatever the page size: the order of the first k results must
# not depend on k (a caller asking for 8 sees the first 8 of what one asking for 50 sees).
POOL = MAX_LIMIT


class LiveDocuments(Protocol[T_co]):
    """The source of truth: the current document (and the caller's own object) for each id.

    An id missing from the answer is an offer that no longer exists; it is dropped.
    """

    def current(self, product_ids: Sequence[str]) -> Mapping[str, tuple[IndexedOffer, T_co]]: ...


@dataclass(frozen=True, slots=True)
class RankedHit(Generic[T]):
    offer: IndexedOffer
    item: T
    score: float
    distance_km: float | None
    good_match: bool | None = None  # the index's relevance judgement (``relevance``)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "product_id": self.offer.product_id,
            "title": self.offer.title,
            "merchant_id": self.offer.merchant_id,
            "price": self.offer.price.to_json(),
            "score": round(self.score, 6),
        }
        if self.distance_km is not None:
            body["distance_km"] = f"{self.distance_km:.3f}"
        if self.good_match is not None:
            body["good_match"] = self.good_match
        return body


@dataclass(frozen=True, slots=True)
class RankedResult(Generic[T]):
    hits: tuple[RankedHit[T], ...]
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    corrected_text: str | None = None  # the query as searched, when typos were corrected

    @property
    def good_match(self) -> bool | None:
        """Whether the first hit is what was asked for: ``False`` means "say no results"."""
        return self.hits[0].good_match if self.hits else False


class SearchEngine(Generic[T]):
    """``SearchEngine(index, live).search(SearchQuery("pearl milk tea"))``."""

    def __init__(self, index: CatalogIndex, live: LiveDocuments[T]) -> None:
        self.index = index
        self._live = live

    def search(self, query: SearchQuery, mode: SearchMode = SearchMode.HYBRID) -> RankedResult[T]:
        terms = query_terms(query.text)
        if not terms and not query.category_prefix:
            return RankedResult(())
        pool = replace(query, limit=POOL)
        found = self.index.search(pool, mode)
        if not found.hits:
            return RankedResult((), found.facets, found.corrected_text)
        if found.corrected_text is not None:  # rank by the words the index searched for
            terms = query_terms(found.corrected_text)
        current = self._live.current([hit.product_id for hit in found.hits])
        ranked: list[tuple[tuple[Any, ...], RankedHit[T]]] = []
        for position, hit in enumerate(found.hits):
            entry = current.get(hit.product_id)
            if entry is None:
                continue
            offer, item = entry
            if not offer_passes(offer, query):
                continue  # changed since indexing: the source of truth wins
            share = (
                coverage(terms, f"{offer.title} {offer.title_zh}".lower(), offer.text.lower())
                if terms
                else 1.0
            )
            if mode is SearchMode.HYBRID:
                key: tuple[Any, ...] = (
                    -share,
                    -hit.score if share == 0 else 0.0,
                    offer.price.minor,
                    offer.product_id,
                )
            else:
                key = (position,)
            score = share if share > 0 else hit.score
            ranked.append((key, RankedHit(offer, item, score, hit.distance_km, hit.good_match)))
        ranked.sort(key=lambda pair: pair[0])
        return RankedResult(
            tuple(hit for _, hit in ranked[: query.limit]), found.facets, found.corrected_text
        )
