"""The embedded search back end: tantivy (BM25) + IVF-Flat vectors + numpy columns, on disk.

``EmbeddedCatalogIndex`` composes three parts, each in its own module, over one folder
(``$TRUSTCART_HOME/index/catalog`` by default):

    lexical/        ``embedded_lexical``: tantivy index of analyzed terms (BM25, frequencies
                    only), price, stock, category prefixes, merchant, currency, zone; ``key``
                    as a fast field
    vectors/        ``embedded_vectors`` over ``vector_index.IvfFlatIndex``: float32 unit
                    vectors in k-means lists (inner product = cosine), plus the not-yet-listed
                    tail
    columns.npz     ``embedded_columns``: per-key price, currency, category, merchant, stock,
    strings.arrow   zone, text hash, alive; per-key product id and title (Arrow IPC)
    meta.json       dictionaries (categories, merchants, currencies, zones), model, format

Every offer has a stable integer ``key`` (its row). Filters run twice over: inside tantivy as
query clauses (exact) and, for the vector side, as a numpy mask over the columns (exact); the
two candidate lists are fused by reciprocal rank fusion, ties broken by price then product id.
Upserts replace by product id; an offer whose text did not change keeps its vector. An index
is opened only with the embedding model it was built with; a format-1 index (float16
``vectors.npy`` and a usearch graph) is converted on open without re-embedding.
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
from trustcart.search.documents import IndexedOffer, reachable_zones
from trustcart.search.embedded_columns import OfferColumns, text_hash
from trustcart.search.embedded_evidence import match_evidence
from trustcart.search.embedded_lexical import LexicalIndex
from trustcart.search.embedded_vectors import OfferVectors
from trustcart.search.embedding import TextEmbedder
from trustcart.search.errors import StaleIndexError
from trustcart.search.fusion import candidate_depth, reciprocal_rank_fusion
from trustcart.search.index import IndexResult
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.typos import Speller
from trustcart.search.vector_index import IvfFlatIndex

FORMAT = 2  # 1: usearch graph + float16 vectors.npy (converted on open, without re-embedding)


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
        self._vectors = OfferVectors(embedder)
        self._speller: Speller | None = None  # built from the committed terms, on demand
        if (path / "meta.json").is_file():
            self._load()

    @property
    def embedder(self) -> TextEmbedder:
        """The model the offers' vectors come from."""
        return self._vectors.embedder

    # -- persistence -----------------------------------------------------------------------

    def _load(self) -> None:
        meta = json.loads((self._path / "meta.json").read_text())
        name = self._vectors.embedder.name
        if meta["model"] != name:
            raise StaleIndexError(f"index built with {meta['model']}, not {name}")
        if meta.get("analyzer") != ANALYSIS_VERSION:
            raise StaleIndexError(f"index analysed by {meta.get('analyzer')!r}: rebuild it")
        self._store = OfferColumns.load(self._path, meta)
        if meta.get("format", 1) == FORMAT:
            vectors = IvfFlatIndex.load(self._path / "vectors")
            self._vectors = OfferVectors(self._vectors.embedder, vectors)
            return
        # Format 1 kept every vector as float16 in vectors.npy: list those, drop the graph.
        old = np.load(self._path / "vectors.npy")
        alive = self._store.alive_keys()
        index = self._vectors.index
        index.add(alive, old[alive].astype(np.float32))
        index.flush()
        index.save(self._path / "vectors")
        meta["format"] = FORMAT
        (self._path / "meta.json").write_text(json.dumps(meta))
        for stale in ("vectors.npy", "vectors.usearch"):
            (self._path / stale).unlink(missing_ok=True)

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
        """Stop the embedding thread and drop uncommitted lexical changes."""
        self._vectors.close()
        self._lexical.rollback()

    def count(self) -> int:
        return len(self._store.keys)

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
        for offer in offers:
            key, old_hash = store.place(offer, batch_keys)
            if old_hash is not None:
                self._lexical.delete(key)
            embedding_text = offer.embedding_text
            new_hash = text_hash(embedding_text)
            if old_hash != new_hash:
                to_embed.append((key, embedding_text))
            zone = store.write(key, offer, new_hash)
            self._lexical.add(offer, key, zone)
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

    def key_of(self, product_id: str) -> int | None:
        """The key of a live offer, or None."""
        return self._store.keys.get(product_id)

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
        zones = reachable_zones(store.zones, query) if query.location is not None else None
        clauses = self._lexical.filter_clauses(query, zones)
        if clauses is None or store.size == 0:
            return IndexResult(())
        depth = candidate_depth(query)
        rankings: list[list[int]] = []
        if mode is not SearchMode.SEMANTIC:
            rankings.append(self._lexical.keys(query, clauses, depth))
        vector = self._vectors.embedder.encode([query.text])[0] if query.text.strip() else None
        if mode is not SearchMode.LEXICAL and vector is not None:
            rankings.append(self._vectors.keys(vector, store.filter_mask(query, zones), depth))
        fused = reciprocal_rank_fusion([[str(k) for k in r] for r in rankings])
        columns = store.columns
        ordered = sorted(
            ((score, int(key)) for key, score in fused.items()),
            key=lambda s: (-s[0], int(columns["price"][s[1]]), store.product_ids[s[1]]),
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
        }
