"""Evaluate Chinese retrieval, typo tolerance and the no-good-match signal (docs/search.md).

    PYTHONPATH=src python scripts/eval_search_zh.py [--e5-model DIR]

Configurations, each indexed afresh (embedded back end):

* ``before``: the analyzer as it was (Chinese as characters + bigrams), the English-only
  static model, no speller: the baseline;
* ``jieba``: jieba-segmented analysis and the speller, still the English-only model;
* ``glossary``: the same plus Chinese glossed into English (the shipped default);
* ``e5-static``: the same analysis with a static word model distilled from
  multilingual-e5-small by ``scripts/build_bilingual_static_model.py`` (only with
  ``--e5-model``; it is not shipped, see docs/search.md).

Catalogs: the demo seed (3,000 products), and a generated catalog of goods the seed lacks,
once with Chinese titles and once English only. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from trustcart.bench.search_quality import evaluate, index_search, signal_accuracy
from trustcart.commerce import search_embedded, search_index
from trustcart.commerce.catalog_search import offer_from_product
from trustcart.local.seed import DEMO_SEED, generate_catalog
from trustcart.search import evaluation_sets as sets
from trustcart.search.analysis import QUERY_STOP_WORDS, _fold
from trustcart.search.documents import IndexedOffer
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.embedding import StaticEmbedder, TextEmbedder, Vectors
from trustcart.search.glossary_embedding import GlossaryEmbedder
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.segmentation import CJK_RUN, search_words, segment
from trustcart.search.typos import Speller

_LATIN = re.compile(r"[a-z0-9]+(?:[-+][a-z0-9]+)*")


# -- the analyzer as it was (bigrams), for the baseline ----------------------------------------
def legacy_analyze(text: str) -> list[str]:
    lowered = text.lower()
    terms = [_fold(w) for w in _LATIN.findall(lowered)]
    for run in CJK_RUN.findall(lowered):
        terms.extend(run)
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def legacy_query_terms(text: str) -> list[str]:
    lowered = text.lower()
    terms = [
        _fold(w)
        for w in _LATIN.findall(lowered)
        if w not in QUERY_STOP_WORDS and (len(w) > 1 or w.isdigit())
    ]
    for run in CJK_RUN.findall(lowered):
        if len(run) == 1:
            terms.append(run)
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(terms))


@contextmanager
def legacy_analysis() -> Iterator[None]:
    saved = search_index.analyze, search_embedded.query_terms
    search_index.analyze, search_embedded.query_terms = legacy_analyze, legacy_query_terms
    try:
        yield
    finally:
        search_index.analyze, search_embedded.query_terms = saved


class NoSpeller(EmbeddedCatalogIndex):
    def speller(self) -> Speller:
        return Speller(lambda _t: 1, lambda: [])


# -- the candidate distilled from multilingual-e5-small ---------------------------------------
class E5StaticEmbedder:
    """Weighted mean of word vectors: jieba words for Chinese (backing off to characters),
    lowercased words for Latin text (hyphenated words split when unknown)."""

    def __init__(self, folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        self.name = config["name"]
        self.dimensions = int(config["dimensions"])
        self._vectors = np.load(folder / "vectors.npy").astype(np.float32)
        self._weights = np.load(folder / "weights.npy").astype(np.float32)
        words = (folder / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
        self._ids = {w: i for i, w in enumerate(words)}

    def _ids_of(self, text: str) -> list[int]:
        ids: list[int] = []
        for written in segment(text):
            word = written.lower()
            if word in self._ids:
                ids.append(self._ids[word])
            elif CJK_RUN.search(word):
                parts = [w for w in search_words(word) if w in self._ids and w != word]
                ids.extend(self._ids[w] for w in parts or [c for c in word if c in self._ids])
            else:
                for part in _LATIN.findall(word):
                    pieces = [part] if part in self._ids else part.split("-")
                    ids.extend(self._ids[p] for p in pieces if p in self._ids)
        return ids

    def encode(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self._ids_of(text)
            if ids:
                weights = self._weights[ids]
                out[row] = (weights[:, None] * self._vectors[ids]).sum(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


# -- running ----------------------------------------------------------------------------------
def seed_offers() -> list[IndexedOffer]:
    catalog = generate_catalog(random.Random(DEMO_SEED), product_count=3_000)  # noqa: S311
    merchants = {m.merchant_id: m for m in catalog.merchants}
    return [offer_from_product(p, merchants[p.merchant_id]) for p in catalog.products]


def build(
    offers: list[IndexedOffer], embedder: TextEmbedder, *, speller: bool
) -> EmbeddedCatalogIndex:
    kind = EmbeddedCatalogIndex if speller else NoSpeller
    index = kind(Path(tempfile.mkdtemp(prefix="zh-eval-")), embedder)
    index.upsert(offers)
    index.commit()
    return index


def report(name: str, embedder: TextEmbedder, *, legacy: bool, out: Callable[[str], None]) -> None:
    seed = seed_offers()
    titles = {o.product_id: o.title for o in seed}
    seed_labels = list(titles.values())
    rng = random.Random(5)  # noqa: S311 - test data, not secrets
    generated = {c: sets.generated_offers(rng, chinese=c) for c in (True, False)}
    gen_label = sets.generated_label
    gen_labels = [gen_label(o.product_id) for o in generated[True]]
    context = legacy_analysis() if legacy else _nothing()
    with context:
        seed_index = build(seed, embedder, speller=not legacy)
        gen_zh = build(generated[True], embedder, speller=not legacy)
        gen_en = build(generated[False], embedder, speller=not legacy)
        cells = []
        for mode in (SearchMode.LEXICAL, SearchMode.HYBRID):
            for index, queries, label_of, labels in (
                (seed_index, sets.SEED_CHINESE, titles.__getitem__, seed_labels),
                (gen_zh, sets.GENERATED_CHINESE, gen_label, gen_labels),
                (gen_en, sets.GENERATED_CHINESE, gen_label, gen_labels),
                (seed_index, sets.SEED_TYPOS, titles.__getitem__, seed_labels),
            ):
                cells.append(evaluate(index_search(index, mode), queries, label_of, labels).row())

        def hybrid(index: EmbeddedCatalogIndex) -> Callable[[str], search_index.IndexResult]:
            return lambda t: index.search(SearchQuery(t, limit=10, in_stock_only=False))

        answered = [*sets.SEED_CHINESE, *sets.SEED_TYPOS, *sets.SEED_ENGLISH]
        seed_signal = signal_accuracy(
            hybrid(seed_index), answered, sets.SEED_NO_MATCH, titles.__getitem__
        )
        gen_signal = signal_accuracy(
            hybrid(gen_zh), sets.GENERATED_CHINESE, sets.GENERATED_NO_MATCH, gen_label
        )
        for index in (seed_index, gen_zh, gen_en):
            index.close()
    out(f"| {name} | " + " | ".join(cells) + " |")
    out(
        f"|   signal ({name}) | seed: answered {seed_signal[0]:.2f}, refused {seed_signal[1]:.2f}"
        f" | generated: answered {gen_signal[0]:.2f}, refused {gen_signal[1]:.2f} |"
    )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--e5-model", type=Path, default=None)
    args = parser.parse_args()
    out = lambda line: print(line, flush=True)  # noqa: E731, T201
    english = StaticEmbedder()
    out("recall@10 / MRR; columns: lexical (seed zh, generated zh, generated en-only, typos),")
    out("then hybrid (same four)")
    report("before", english, legacy=True, out=out)
    report("jieba", english, legacy=False, out=out)
    report("glossary", GlossaryEmbedder(english), legacy=False, out=out)
    if args.e5_model is not None:
        report("e5-static", E5StaticEmbedder(args.e5_model), legacy=False, out=out)


if __name__ == "__main__":
    sys.exit(main())
