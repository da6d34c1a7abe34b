"""Retrieval evaluation: recall@10, MRR and the no-good-match signal over labelled queries.

Metrics (per query, then averaged):

* recall@10 = relevant offers among the first 10 / min(10, relevant offers in the catalog):
  1.0 when the first page is all relevant, or holds every relevant offer there is;
* reciprocal rank = 1 / rank of the first relevant offer (0 when none is in the first 10);
* the relevance signal is right when a query with an answer gets ``good_match`` on a relevant
  first hit, and a query without one gets ``good_match`` false (or no hit at all).

``evaluate`` takes any callable from query text to ranked product ids, so the same code judges
lexical-only and hybrid search, each embedding model, and the speller on or off
(``scripts/eval_search_zh.py`` prints the table recorded in docs/search.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trustcart.search.index import CatalogIndex, IndexResult
from trustcart.search.query import SearchMode, SearchQuery

DEPTH = 10

Labelled = Sequence[tuple[str, tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class Scores:
    queries: int
    recall_at_10: float
    mrr: float

    def row(self) -> str:
        return f"{self.recall_at_10:.3f} / {self.mrr:.3f}"


def judge(ranked: Sequence[bool], relevant_total: int) -> tuple[float, float]:
    """(recall@10, reciprocal rank) for one query's relevance flags in rank order.

    >>> judge([False, True, True], 2)
    (1.0, 0.5)
    """
    top = list(ranked[:DEPTH])
    found = sum(top)
    recall = found / min(DEPTH, relevant_total) if relevant_total else 0.0
    first = next((i for i, hit in enumerate(top, start=1) if hit), None)
    return recall, 0.0 if first is None else 1.0 / first


def evaluate(
    search: Callable[[str], Sequence[str]],
    queries: Labelled,
    label_of: Callable[[str], str],
    catalog_labels: Sequence[str],
) -> Scores:
    """Average recall@10 and MRR of ``search`` over labelled ``queries``.

    ``label_of`` gives a product id's label; an offer answers a query when one of the query's
    labels occurs in it (labels are title fragments: "T-Shirt" answers every T-shirt)."""
    recalls, ranks = [], []
    for text, labels in queries:
        relevant_total = sum(any(lab in c for lab in labels) for c in catalog_labels)
        flags = [any(lab in label_of(pid) for lab in labels) for pid in search(text)]
        recall, rank = judge(flags, relevant_total)
        recalls.append(recall)
        ranks.append(rank)
    n = len(queries)
    return Scores(n, sum(recalls) / n, sum(ranks) / n)


def index_search(index: CatalogIndex, mode: SearchMode) -> Callable[[str], list[str]]:
    """Ranked product ids of the first ``DEPTH`` hits."""

    def run(text: str) -> list[str]:
        query = SearchQuery(text, limit=DEPTH, in_stock_only=False)
        return [h.product_id for h in index.search(query, mode).hits]

    return run


def signal_accuracy(
    search: Callable[[str], IndexResult],
    answered: Labelled,
    unanswerable: Sequence[str],
    label_of: Callable[[str], str],
) -> tuple[float, float]:
    """(share of answered queries judged a good match on a relevant first hit,
    share of unanswerable queries judged not a good match)."""
    right = 0
    for text, labels in answered:
        result = search(text)
        first = result.hits[0].product_id if result.hits else None
        relevant = first is not None and any(lab in label_of(first) for lab in labels)
        right += bool(result.good_match) and relevant
    refused = sum(not search(text).good_match for text in unanswerable)
    return right / len(answered), refused / len(unanswerable)
