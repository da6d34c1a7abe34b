"""An in-process ``CatalogIndex``: the whole index in Python dictionaries, for tests and tools.

It answers exactly as the embedded and Milvus back ends are specified to (the shared suite in
``tests/search`` runs over all three): the filters are ``documents.offer_passes`` itself; the
lexical list is BM25 (k1 = 1.2, b = 0.75) over ``analysis.analyze`` terms; the semantic list is
cosine similarity over the embedder's vectors, when an embedder is given; hybrid fuses the two
by reciprocal rank fusion. A search scans every offer, which is fine for the thousands of
offers a test holds and wrong for a marketplace: use ``embedded`` there.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from trustcart.search.analysis import query_terms
from trustcart.search.documents import IndexedOffer, offer_passes, reachable_zones
from trustcart.search.embedding import TextEmbedder, Vectors
from trustcart.search.fusion import candidate_depth, facet_counts, reciprocal_rank_fusion
from trustcart.search.index import IndexHit, IndexResult
from trustcart.search.query import SearchMode, SearchQuery

BM25_K1 = 1.2
BM25_B = 0.75


class InMemoryCatalogIndex:
    def __init__(self, embedder: TextEmbedder | None = None) -> None:
        self._embedder = embedder
        self._pending: dict[str, IndexedOffer | None] = {}
        self._offers: dict[str, IndexedOffer] = {}
        self._terms: dict[str, Counter[str]] = {}
        self._vectors: dict[str, Vectors] = {}

    def upsert(self, offers: Sequence[IndexedOffer]) -> None:
        for offer in offers:
            self._pending[offer.product_id] = offer

    def delete(self, product_ids: Sequence[str]) -> None:
        for product_id in product_ids:
            self._pending[product_id] = None

    def commit(self) -> None:
        changed = [offer for offer in self._pending.values() if offer is not None]
        for product_id, offer in self._pending.items():
            if offer is None:
                self._offers.pop(product_id, None)
                self._terms.pop(product_id, None)
                self._vectors.pop(product_id, None)
            else:
                self._offers[product_id] = offer
                self._terms[product_id] = Counter(offer.index_terms.split())
        if self._embedder is not None and changed:
            vectors = self._embedder.encode([offer.embedding_text for offer in changed])
            for offer, vector in zip(changed, vectors, strict=True):
                self._vectors[offer.product_id] = vector
        self._pending.clear()

    def count(self) -> int:
        return len(self._offers)

    def close(self) -> None:
        self._pending.clear()

    def search(self, query: SearchQuery, mode: SearchMode = SearchMode.HYBRID) -> IndexResult:
        passing = [offer for offer in self._offers.values() if offer_passes(offer, query)]
        depth = candidate_depth(query)
        rankings: list[list[str]] = []
        if mode is not SearchMode.SEMANTIC:
            rankings.append(self._lexical(query, passing)[:depth])
        if mode is not SearchMode.LEXICAL:
            rankings.append(self._semantic(query, passing)[:depth])
        fused = reciprocal_rank_fusion(rankings)
        ordered = sorted(
            fused,
            key=lambda pid: (-fused[pid], self._offers[pid].price.minor, pid),
        )
        facets = facet_counts(
            (self._offers[pid].category for pid in ordered),
            (self._offers[pid].merchant_id for pid in ordered),
        )
        hits = tuple(self._hit(self._offers[pid], fused[pid], query) for pid in ordered)
        return IndexResult(hits[: query.limit], facets)

    def _lexical(self, query: SearchQuery, passing: list[IndexedOffer]) -> list[str]:
        terms = query_terms(query.text)
        if not terms:
            if not query.category_prefix:
                return []
            return [o.product_id for o in sorted(passing, key=lambda o: o.price.minor)]
        documents = len(self._offers) or 1
        average = sum(sum(c.values()) for c in self._terms.values()) / documents
        frequency = {t: sum(1 for c in self._terms.values() if t in c) for t in terms}
        scored = []
        for offer in passing:
            counts = self._terms[offer.product_id]
            length = sum(counts.values())
            score = 0.0
            for term in terms:
                tf = counts.get(term, 0)
                if tf == 0:
                    continue
                idf = math.log(1 + (documents - frequency[term] + 0.5) / (frequency[term] + 0.5))
                norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * length / (average or 1))
                score += idf * tf * (BM25_K1 + 1) / norm
            if score > 0:
                scored.append((-score, offer.product_id))
        return [pid for _, pid in sorted(scored)]

    def _semantic(self, query: SearchQuery, passing: list[IndexedOffer]) -> list[str]:
        if self._embedder is None or not query.text.strip():
            return []
        vector = self._embedder.encode([query.text])[0]
        if not np.any(vector):
            return []  # the model cannot read this text: no semantic signal
        scored = [
            (-float(np.dot(vector, self._vectors[o.product_id])), o.product_id)
            for o in passing
            if o.product_id in self._vectors
        ]
        return [pid for _, pid in sorted(scored)]

    @staticmethod
    def _hit(offer: IndexedOffer, score: float, query: SearchQuery) -> IndexHit:
        distance = None
        if query.location is not None:
            distance = reachable_zones([offer.zone], query).get(0)
        return IndexHit(
            offer.product_id, offer.merchant_id, offer.title, offer.price, score, distance
        )
