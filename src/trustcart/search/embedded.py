"""The embedded search back end: tantivy (BM25) + IVF vectors (int8) + numpy columns, on disk.

``EmbeddedCatalogIndex`` composes three parts, each in its own module, over one folder
(``$TRUSTCART_HOME/index/catalog`` by default):

    lexical/        ``embedded_lexical``: tantivy index of analyzed terms (BM25, frequencies
                    only), price, stock, category prefixes, merchant, currency, zone; ``key``
                    as a fast field
    vectors/        ``embedded_vectors`` over ``vector_index.QuantizedIvfIndex``: int8 codes of
                    the unit vectors in k-means lists (inner product = cosine) plus the
                    not-yet-listed tail, in memory; the exact float32 vectors by key in
                    ``rows.f32``, read to rescore the best candidates
    columns/        ``embedded_columns``: per-key price, currency, category, merchant, stock,
    strings.arrow   zone, text hash, id hash, alive (memory-mapped); per-key product id and
                    title (Arrow IPC, memory-mapped)
    meta.json       dictionaries (categories, merchants, currencies, zones), model, format

Every offer has a stable integer ``key`` (its row). Filters run twice over: inside tantivy as
query clauses (exact) and, for the vector side, as a numpy mask over the columns (exact); the
two candidate lists are fused by reciprocal rank fusion, ties broken by price then product id.
Upserts replace by product id; an offer whose text did not change keeps its vector. An index
is opened only with the embedding model it was built with. Older formats are converted on
open without re-embedding (``embedded_upgrade``): format 1 (float16 ``vectors.npy`` and a
usearch graph) and format 2 (float32 IVF lists, ``columns.npz``, product ids read into
Python lists).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trustcart.search.analysis import QUERY_STOP_WORDS, query_terms
from trustcart.search.analysis import VERSION as ANALYSIS_VERSION
from trustcart.search.documents import IndexedOffer
from trustcart.search.embedded_columns import OfferColumns, text_hash
from trustcart.search.embedded_evidence import match_evidence
from trustcart.search.embedded_lexical import LexicalIndex
from trustcart.search.embedded_upgrade import FORMAT, old_vectors, remove_old_files
from trustcart.search.embedded_vectors import OfferVectors
from trustcart.search.embedding import TextEmbedder
from trustcart.search.errors import StaleIndexError
from trustcart.search.fusion import candidate_depth, reciprocal_rank_fusion
from trustcart.search.index import IndexResult
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.typos import Speller
from trustcart.search.vector_index import QuantizedIvfIndex
from trustcart.search.vector_rows import VectorRows


class EmbeddedCatalogIndex:
    """``CatalogIndex`` on local disk; one writer process at a time."""

    def __init__(
        self,
        path: Path,
        embedder: TextEmbedder,
        *,
        writer_heap: int = 256_000_000,
        threads: int = 0,
    ) -> None:
        self._path = path
        path.mkdir(parents=True, exist_ok=True)
        self._lexical = LexicalIndex(path / "lexical", writer_heap=writer_heap, threads=threads)
        self._store = OfferColumns()
        self._speller: Speller | None = None  # built from the committed terms, on demand
        if (path / "meta.json").is_file():
            self._vectors = self._load(embedder)
        else:
            self._vectors = _new_vectors(embedder, path)

    @property
    def path(self) -> Path:
        """The index's folder."""
        return self._path

    @property
    def embedder(self) -> TextEmbedder:
        """The model the offers' vectors come from."""
        return self._vectors.embedder

    # -- persistence -----------------------------------------------------------------------

    def _load(self, embedder: TextEmbedder) -> OfferVectors:
        meta = json.loads((self._path / "meta.json").read_text())
        if meta["model"] != embedder.name:
            raise StaleIndexError(f"index built with {meta['model']}, not {embedder.name}")
        if meta.get("analyzer") != ANALYSIS_VERSION:
            raise StaleIndexError(f"index analysed by {meta.get('analyzer')!r}: rebuild it")
        self._store = OfferColumns.load(self._path, meta)
        if meta.get("format", 1) == FORMAT:
            return OfferVectors(embedder, QuantizedIvfIndex.load(self._path / "vectors"))
        # Formats 1 and 2: the same float vectors as exact rows, listed anew, saved as 3.
        self._vectors = _new_vectors(embedder, self._path)
        for keys, vectors in old_vectors(self._path, meta, self._store.alive_keys()):
            self._vectors.index.add(keys, vectors)
        self.commit()
        remove_old_files(self._path)
        return self._vectors

    def commit(self) -> None:
        """Make the changes since the last commit visible and durable."""
        self._vectors.drain()
        self._lexical.commit()
        self._speller = None
        # Vectors first: the lists are retrained here, before Arrow's pool holds the strings.
        self._vectors.index.flush()
        self._vectors.index.save(self._path / "vectors")
        dictionaries = self._store.save(self._path)
        meta = {
            "model": self._vectors.embedder.name,
            "analyzer": ANALYSIS_VERSION,
            "format": FORMAT,
            **dictionaries,
        }
        (self._path / "meta.json").write_text(json.dumps(meta))

    def close(self) -> None:
        """Stop the embedding thread and drop uncommitted changes."""
        self._vectors.close()
        self._vectors.index.rows.rollback()
        self._lexical.rollback()

    def count(self) -> int:
        return self._store.live_count

    # -- writing ---------------------------------------------------------------------------

    def upsert(self, offers: Sequence[IndexedOffer]) -> None:
        """Add or replace offers (by product id); visible after ``commit``."""
        if not offers:
            return
        self._lexical.start_batch()
        store = self._store
        store.grow(store.size + len(offers))
        to_embed: list[tuple[int, str]] = []
        batch_keys: dict[str, int] = {}
        known = store.live_keys_of([offer.product_id for offer in offers])
        store.start_batch()
        for offer, known_key in zip(offers, known, strict=True):
            key, old_hash = store.place(offer, known_key, batch_keys)
            if old_hash is not None:
                self._lexical.delete(key)
            embedding_text = offer.embedding_text
            new_hash = text_hash(embedding_text)
            if old_hash != new_hash:
                to_embed.append((key, embedding_text))
            zone = store.write(key, offer, new_hash)
            self._lexical.add(offer, key, zone)
        store.end_batch()
        if to_embed:
            self._vectors.add(to_embed, store)

    def delete(self, product_ids: Sequence[str]) -> None:
        """Remove offers (by product id); visible after ``commit``."""
        self._vectors.drain()
        keys = self._store.remove(product_ids)
        if not keys:
            return
        for key in keys:
            self._lexical.delete(key)
        self._vectors.remove(keys)

    # -- searching -------------------------------------------------------------------------

    def nearest(self, vector: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
        """Approximate nearest keys (exact within the probed lists)."""
        return self._vectors.nearest(vector, count)

    def exact_nearest(self, vector: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
        """Nearest keys by brute force over every vector: the reference for recall."""
        return self._vectors.exact_nearest(vector, count)

    def stored_vectors(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The vectors stored for ``keys`` (for recall measurements and tests)."""
        self._vectors.drain()
        return self._vectors.index.vectors(keys)

    def live_vector_keys(self) -> npt.NDArray[np.int64]:
        """Keys that have a vector, ascending (for baselines and tests)."""
        self._vectors.drain()
        return self._vectors.index.live_keys()

    def exact_nearest_many(
        self, vectors: npt.NDArray[np.float32], count: int
    ) -> list[npt.NDArray[np.int64]]:
        """``exact_nearest`` for several vectors in one pass over the stored vectors."""
        self._vectors.drain()
        return self._vectors.index.exact_many(vectors, count)

    def key_of(self, product_id: str) -> int | None:
        """The key of a live offer, or None."""
        key = self._store.live_keys_of([product_id])[0]
        return None if key < 0 else key

    def speller(self) -> Speller:
        """Typo correction against the committed vocabulary (rebuilt after each commit)."""
        if self._speller is None:
            searcher = self._lexical.searcher()
            self._speller = Speller(
                lambda term: searcher.doc_freq("terms", term),
                lambda: searcher.terms_with_prefix("terms", ""),
                stop_words=QUERY_STOP_WORDS,
            )
        return self._speller

    def search(self, query: SearchQuery, mode: SearchMode = SearchMode.HYBRID) -> IndexResult:
        self._vectors.drain()
        correction = self.speller().correct(query.text)
        query = replace(query, text=correction.text)
        store = self._store
        zones = store.reachable_zones(query) if query.location is not None else None
        currencies = store.currencies.values
        clauses = self._lexical.filter_clauses(
            query, zones, only_currency=currencies[0] if len(currencies) == 1 else None
        )
        offer_filter = store.query_filter(query, zones)
        if clauses is None or store.size == 0 or offer_filter.impossible:
            return IndexResult(())
        depth = candidate_depth(query)
        rankings: list[list[int]] = []
        if mode is not SearchMode.SEMANTIC:
            rankings.append(self._lexical.keys(query, clauses, depth))
        vector = self._vectors.embedder.encode([query.text])[0] if query.text.strip() else None
        if mode is not SearchMode.LEXICAL and vector is not None:
            filtered = offer_filter if _filters(query, zones) else None
            rankings.append(self._vectors.keys(vector, filtered, depth, store))
        fused = reciprocal_rank_fusion([[str(k) for k in r] for r in rankings])
        columns = store.columns
        ordered = sorted(
            ((score, int(key)) for key, score in fused.items()),
            key=lambda s: (-s[0], int(columns["price"][s[1]]), store.product_ids.get(s[1])),
        )
        pool = [key for _, key in ordered if columns["alive"][key]]
        shown = pool[: query.limit]
        terms = query_terms(query.text)
        evidence = (
            match_evidence(
                self._lexical.searcher(),
                self._lexical.schema,
                terms,
                shown,
                query_vector=vector,
                vectors=self._vectors.index.vectors,
            )
            if terms
            else [None] * len(shown)  # browsing a category: nothing to judge
        )
        hits = tuple(
            replace(store.hit(key, fused[str(key)], zones), evidence=found)
            for key, found in zip(shown, evidence, strict=True)
        )
        corrected = correction.text if correction.changed else None
        return IndexResult(hits, store.facets(pool), corrected)

    def debug_state(self) -> dict[str, Any]:
        """Sizes, for the benchmark report."""
        return {
            "offers": self.count(),
            "vectors": len(self._vectors.index),
            "zones": len(self._store.zones),
            "lists": self._vectors.index.nlist,
            "texts_embedded": self._vectors.texts_embedded,
        }


def _new_vectors(embedder: TextEmbedder, path: Path) -> OfferVectors:
    """An empty vector side whose exact rows go straight to ``path/vectors/rows.f32``."""
    rows = VectorRows(embedder.dimensions, path / "vectors")
    return OfferVectors(embedder, QuantizedIvfIndex(embedder.dimensions, rows=rows))


def _filters(query: SearchQuery, zones: dict[int, float] | None) -> bool:
    """Whether the query filters at all (the vector side then checks each scanned row)."""
    return bool(
        query.max_price is not None
        or query.category_prefix
        or query.merchant_ids
        or query.in_stock_only
        or zones is not None
    )
