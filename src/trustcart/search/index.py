"""The index protocol every search back end implements, and what it answers.

A back end (``embedded.EmbeddedCatalogIndex`` on local disk, ``milvus.MilvusCatalogIndex`` for
a Milvus server or cluster) stores one ``IndexedOffer`` per product offer and answers a
``SearchQuery`` in one of three modes: lexical (BM25 over ``analysis.analyze`` terms), semantic
(cosine over sentence embeddings) or hybrid (both, fused by reciprocal rank fusion). Callers do
not use an index directly: ``engine.SearchEngine`` is the one entry point, so a query ranks the
same for every caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from trustcart.core.money import Money
from trustcart.search.documents import IndexedOffer
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.relevance import MatchEvidence


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
