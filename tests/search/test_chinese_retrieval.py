"""Chinese retrieval with the semantic signal, against the seed and a catalog it has not seen.

Floors sit below the figures of docs/search.md (measured on larger catalogs by
scripts/eval_search_zh.py), above what lexical search alone reaches, so a regression of the
glossary or of the analyzer fails here.
"""

from __future__ import annotations

from tests.helpers.search_catalogs import generated
from trustcart.bench.search_quality import evaluate, index_search
from trustcart.bench.search_quality_sets import (
    GENERATED_CHINESE,
    SEED_CHINESE,
    SEED_TYPOS,
    generated_label,
)
from trustcart.search.documents import IndexedOffer
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.embedding import default_embedder
from trustcart.search.query import SearchMode, SearchQuery


def _seed_scores(index: EmbeddedCatalogIndex, seed: list[IndexedOffer], mode: SearchMode) -> float:
    titles = {o.product_id: o.title for o in seed}
    scores = evaluate(
        index_search(index, mode), SEED_CHINESE, titles.__getitem__, list(titles.values())
    )
    return scores.recall_at_10


def test_the_semantic_signal_lifts_chinese_recall_on_the_seed(
    seed_index: EmbeddedCatalogIndex, seed: list[IndexedOffer]
) -> None:
    lexical = _seed_scores(seed_index, seed, SearchMode.LEXICAL)
    hybrid = _seed_scores(seed_index, seed, SearchMode.HYBRID)
    assert hybrid >= 0.85
    assert hybrid > lexical + 0.1


def test_chinese_queries_find_goods_the_seed_does_not_sell(
    generated_index: EmbeddedCatalogIndex,
) -> None:
    labels = [generated_label(o.product_id) for o in generated(chinese=True)]
    search = index_search(generated_index, SearchMode.HYBRID)
    scores = evaluate(search, GENERATED_CHINESE, generated_label, labels)
    assert scores.recall_at_10 >= 0.75
    assert scores.mrr >= 0.75


def test_typo_queries_all_find_their_goods(
    seed_index: EmbeddedCatalogIndex, seed: list[IndexedOffer]
) -> None:
    titles = {o.product_id: o.title for o in seed}
    scores = evaluate(
        index_search(seed_index, SearchMode.HYBRID),
        SEED_TYPOS,
        titles.__getitem__,
        list(titles.values()),
    )
    assert scores.mrr >= 0.95


def test_a_synonym_finds_sunglasses_only_through_the_glossary(
    seed_index: EmbeddedCatalogIndex,
) -> None:
    query = SearchQuery("墨镜", limit=5, in_stock_only=False)  # text says 太阳镜, never 墨镜
    assert seed_index.search(query, SearchMode.LEXICAL).hits == ()
    hits = seed_index.search(query, SearchMode.SEMANTIC).hits
    assert hits
    assert all("Sunglasses" in h.title for h in hits)


def test_chinese_meets_an_english_only_feed() -> None:
    umbrella = next(o for o in generated(chinese=False) if "Umbrella" in o.title)
    query, document = default_embedder().encode(["雨伞", umbrella.embedding_text])
    assert float(query @ document) > 0.5
