"""What every catalog search back end shares: the indexed offer, hits, fusion, filters.

A back end (``EmbeddedCatalogIndex`` on local disk, ``MilvusCatalogIndex`` for a cluster)
stores one ``IndexedOffer`` per product offer and answers a ``SearchQuery`` in one of three
modes: lexical (BM25 over ``analysis.analyze`` terms), semantic (cosine over sentence
embeddings) or hybrid (both, fused by reciprocal rank fusion). The rules that must not differ
between back ends live here, in pure functions:

* filters are exact: a back end may use them to prune, but every hit it returns has passed
  ``offer_passes`` semantics (price in the query's currency and at most the maximum, category
  within the prefix, merchant listed, in stock, and the buyer within both the offer's delivery
  radius and the asked radius, by haversine distance);
* delivery areas are grouped into zones (origin + radius); a geo query first finds the zones
  that reach the buyer (``reachable_zones``, a few thousand haversines at most), then filters
  offers by zone id, which every engine can do with a plain term filter;
* fusion is RRF with k = 60 over the two candidate lists (Cormack et al., 2009); ties break
  by price, then product id, so results are deterministic;
* facet counts (category, merchant) are counted over the filtered candidate pool, not the
  whole corpus: that is what both engines can give in a few milliseconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from trustcart.commerce.analysis import analyze
from trustcart.commerce.catalog import GeoPoint, Merchant, Product, category_within
from trustcart.commerce.search import SearchQuery
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.search.relevance import MatchEvidence

RRF_K = 60
CANDIDATE_DEPTH = 100  # candidates taken from each ranked list before fusion


class SearchMode(StrEnum):
    LEXICAL = "lexical"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


@dataclass(frozen=True, slots=True)
class DeliveryZone:
    origin: GeoPoint
    radius_km: Decimal

    def key(self) -> str:
        return f"{self.origin.lat},{self.origin.lon},{self.radius_km}"


@dataclass(frozen=True, slots=True)
class IndexedOffer:
    """One product offer as the search index sees it (built from catalog objects)."""

    product_id: str
    merchant_id: str
    title: str
    text: str  # everything searchable: titles in both languages, brand, category, attributes
    category: str
    price: Money
    stock: int
    zone: DeliveryZone

    @property
    def index_terms(self) -> str:
        """BM25 terms; the title's terms are counted twice, so a title match outranks the
        same word in a brand or attribute ("Pearl House" must not beat "Pearl Milk Tea")."""
        return " ".join(analyze(self.title) + analyze(self.text))

    @property
    def embedding_text(self) -> str:
        return f"{self.title}. {self.category.replace('/', ' ').replace('-', ' ')}"


def offer_from_product(product: Product, merchant: Merchant) -> IndexedOffer:
    text = " ".join(
        p
        for p in (
            product.title,
            product.title_zh,
            product.brand,
            product.category.replace("/", " ").replace("-", " "),
            *product.attributes.values(),
        )
        if p
    )
    return IndexedOffer(
        product.product_id,
        product.merchant_id,
        product.title,
        text,
        product.category,
        product.price,
        product.stock,
        DeliveryZone(merchant.location, merchant.delivery_radius_km),
    )


@dataclass(frozen=True, slots=True)
class IndexHit:
    product_id: str
    merchant_id: str
    title: str
    price: Money
    score: float
    distance_km: float | None
    evidence: MatchEvidence | None = None  # set by back ends that judge relevance

    @property
    def good_match(self) -> bool | None:
        """Whether this hit is what was asked for (``None``: the back end does not say)."""
        return None if self.evidence is None else self.evidence.good

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "product_id": self.product_id,
            "title": self.title,
            "merchant_id": self.merchant_id,
            "price": self.price.to_json(),
            "score": round(self.score, 6),
        }
        if self.distance_km is not None:
            body["distance_km"] = f"{self.distance_km:.3f}"
        if self.evidence is not None:
            body["good_match"] = self.evidence.good
        return body


@dataclass(frozen=True, slots=True)
class IndexResult:
    hits: tuple[IndexHit, ...]
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    corrected_text: str | None = None  # the query as searched, when typos were corrected

    @property
    def good_match(self) -> bool | None:
        """Whether the first hit is a good match: ``False`` means "say no results"."""
        return self.hits[0].good_match if self.hits else False


class CatalogIndex(Protocol):
    """A search back end. ``upsert`` replaces offers by product id; ``commit`` makes the
    changes visible and durable; ``search`` never returns an offer that fails a filter."""

    def upsert(self, offers: Sequence[IndexedOffer]) -> None: ...
    def delete(self, product_ids: Sequence[str]) -> None: ...
    def commit(self) -> None: ...
    def count(self) -> int: ...
    def search(self, query: SearchQuery, mode: SearchMode = SearchMode.HYBRID) -> IndexResult: ...
    def close(self) -> None: ...


def reachable_zones(zones: Sequence[DeliveryZone], query: SearchQuery) -> dict[int, float]:
    """Zone index -> distance (km, 3 decimals) for the zones that deliver to the buyer."""
    if query.location is None:
        raise ValidationError("reachable_zones needs a query location")
    reachable: dict[int, float] = {}
    for index, zone in enumerate(zones):
        distance = query.location.distance_km(zone.origin)
        if distance > float(zone.radius_km):
            continue
        if query.radius_km is not None and distance > float(query.radius_km):
            continue
        reachable[index] = round(distance, 3)
    return reachable


def offer_passes(offer: IndexedOffer, query: SearchQuery) -> bool:
    """The filters, evaluated on one offer: the reference every back end must agree with."""
    if query.max_price is not None and (
        offer.price.currency != query.max_price.currency
        or offer.price.minor > query.max_price.minor
    ):
        return False
    if query.category_prefix and not category_within(offer.category, query.category_prefix):
        return False
    if query.merchant_ids and offer.merchant_id not in query.merchant_ids:
        return False
    if query.in_stock_only and offer.stock <= 0:
        return False
    if query.location is not None:
        return bool(reachable_zones([offer.zone], query))
    return True


def reciprocal_rank_fusion(rankings: Iterable[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """``sum(1 / (k + rank))`` over the lists an item appears in (rank starts at 1).

    >>> reciprocal_rank_fusion([["a", "b"], ["b"]])["b"] == 2 / 62
    True
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def facet_counts(categories: Iterable[str], merchants: Iterable[str]) -> dict[str, dict[str, int]]:
    return {
        "category": dict(sorted(Counter(categories).items(), key=lambda c: (-c[1], c[0]))),
        "merchant": dict(sorted(Counter(merchants).items(), key=lambda c: (-c[1], c[0]))),
    }


def candidate_depth(query: SearchQuery) -> int:
    return max(CANDIDATE_DEPTH, query.limit)
