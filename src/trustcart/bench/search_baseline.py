"""Baselines for the search benchmark, run in the same process right after the measured queries.

Milliseconds measured on a shared 2-core machine swing by 10x with other people's load (the
1M "before" run of docs/benchmarks.md took 647 s to ingest where an idle machine took 46 s).
So the benchmark also times two fixed pieces of work that depend only on the machine and
report the index's times as multiples of them:

* ``raw_bm25_baseline``: tantivy alone, opened on the same index files, BM25 over the same
  analysed terms (a disjunction of term queries), top 100, no filter, no speller, no
  embedding, no fusion: what any tantivy user pays for the query.
* ``exact_scan_baseline``: numpy alone, one matrix-vector product over ``EXACT_SCAN_ROWS``
  stored float32 vectors held in memory (all of them up to 1M), and the top 100: brute-force
  vector search, the cost the inverted lists avoid.

``ratios`` divides: lexical, hybrid and filtered by the BM25 baseline, semantic by the exact
scan, and filtered by hybrid (the target is at most 2).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from trustcart.search.analysis import query_terms
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.embedded_lexical import lexical_schema
from trustcart.search.fusion import CANDIDATE_DEPTH

EXACT_SCAN_ROWS = 1_000_000
WARM_UP = 10


def _time_each(texts: list[str], run: Any) -> list[float]:
    for text in texts[:WARM_UP]:
        run(text)
    samples = []
    for text in texts:
        start = time.perf_counter()
        run(text)
        samples.append(time.perf_counter() - start)
    return samples


def raw_bm25_baseline(folder: Path, texts: list[str]) -> list[float]:
    """Seconds per query of plain tantivy BM25 over ``texts``' terms in the index at ``folder``."""
    schema = lexical_schema()
    searcher = tantivy.Index(schema, path=str(folder), reuse=True).searcher()
    queries = {
        text: tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(schema, "terms", term, "freq"))
                for term in query_terms(text)
            ]
        )
        for text in set(texts)
    }
    return _time_each(texts, lambda t: searcher.search(queries[t], CANDIDATE_DEPTH, count=False))


def exact_scan_baseline(index: EmbeddedCatalogIndex, texts: list[str]) -> dict[str, Any]:
    """Percentiles of an exact numpy scan of the first ``EXACT_SCAN_ROWS`` stored vectors."""
    keys = index.live_vector_keys()[:EXACT_SCAN_ROWS]
    matrix = index.stored_vectors(keys)
    vectors = dict(zip(texts, index.embedder.encode(texts), strict=True))

    def scan(text: str) -> Any:
        similarity = matrix @ vectors[text]
        best = np.argpartition(-similarity, CANDIDATE_DEPTH)[:CANDIDATE_DEPTH]
        return best[np.argsort(-similarity[best])]

    samples = np.asarray(_time_each(texts, scan)) * 1000
    return {
        "exact_scan": {
            f"p{q}_ms": round(float(np.percentile(samples, q)), 3) for q in (50, 95, 99)
        },
        "exact_scan_rows": len(keys),
    }


def ratios(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The index's percentiles divided by the baselines' (see the module docstring)."""
    baseline = report["baseline"]

    def divided(measured: dict[str, float], by: dict[str, float]) -> dict[str, float]:
        return {q: round(measured[f"{q}_ms"] / by[f"{q}_ms"], 2) for q in ("p50", "p99")}

    return {
        "lexical_to_bm25": divided(report["lexical"], baseline["bm25"]),
        "hybrid_to_bm25": divided(report["hybrid"], baseline["bm25"]),
        "filtered_to_bm25": divided(report["filtered"], baseline["bm25"]),
        "semantic_to_exact_scan": divided(report["semantic"], baseline["exact_scan"]),
        "filtered_to_hybrid": divided(report["filtered"], report["hybrid"]),
    }
