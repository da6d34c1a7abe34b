"""Match evidence for the hits of the embedded index (tantivy + vectors).

For each returned hit: which query terms its document holds (one tantivy query per distinct
term, restricted to the hit keys, so the cost is the number of terms, not of hits), weighted by
BM25 idf into a coverage, and the cosine between the query vector and the hit's stored vector.
The judgement itself is ``relevance.is_good_match``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import tantivy

from trustcart.search.relevance import MatchEvidence, inverse_document_frequency, weighted_coverage


def match_evidence(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    terms: Sequence[str],
    keys: Sequence[int],
    *,
    query_vector: npt.NDArray[np.float32] | None,
    vectors: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float32]],
) -> list[MatchEvidence]:
    """One ``MatchEvidence`` per key, in order."""
    if not keys:
        return []
    documents = searcher.num_docs
    weights = {
        t: inverse_document_frequency(searcher.doc_freq("terms", t), documents) for t in terms
    }
    matched: dict[int, list[str]] = {k: [] for k in keys}
    among = tantivy.Query.term_set_query(schema, "key", list(keys))
    for term in weights:
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, "terms", term, "freq")),
                (tantivy.Occur.Must, among),
            ]
        )
        addresses = [a for _, a in searcher.search(query, len(keys), count=False).hits]
        for key in searcher.fast_field_values("key", addresses):
            if key is not None and int(key) in matched:
                matched[int(key)].append(term)
    similarities: list[float | None] = [None] * len(keys)
    if query_vector is not None and query_vector.any():
        rows = vectors(np.asarray(keys, dtype=np.int64))
        similarities = [float(s) for s in np.clip(rows @ query_vector, -1.0, 1.0)]
    return [
        MatchEvidence(min(1.0, weighted_coverage(weights, matched[k])), similarity)
        for k, similarity in zip(keys, similarities, strict=True)
    ]
