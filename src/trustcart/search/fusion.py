"""Fusion of ranked lists and facet counts, shared by every back end.

Fusion is reciprocal rank fusion with k = 60 over the lexical and semantic candidate lists
(Cormack et al., 2009); ties break by price, then product id, so results are deterministic.
Facet counts (category, merchant) are counted over the filtered candidate pool, not the whole
corpus: that is what every engine can give in a few milliseconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from trustcart.search.query import SearchQuery

RRF_K = 60
CANDIDATE_DEPTH = 100  # candidates taken from each ranked list before fusion


def reciprocal_rank_fusion(rankings: Iterable[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """``sum(1 / (k + rank))`` over the lists an item appears in (rank starts at 1).

    >>> reciprocal_rank_fusion([["a", "b"], ["b"]])["b"] == 1 / 62 + 1 / 61
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
