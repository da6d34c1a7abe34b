"""The embedded search back end: tantivy (BM25) + IVF-Flat vectors + numpy columns, on disk.

Layout under one folder (``$TRUSTCART_HOME/index/catalog`` by default):

    lexical/        tantivy index: analyzed terms (BM25, frequencies only), price, stock,
                    category prefixes, merchant, currency, zone; ``key`` as a fast field
    vectors/        ``vector_index.IvfFlatIndex``: float32 unit vectors in k-means lists
                    (inner product = cosine), plus the not-yet-listed tail
    columns.npz     per-key price, currency, category, merchant, stock, zone, text hash, alive
    strings.arrow   per-key product id and title (Arrow IPC)
    meta.json       dictionaries (categories, merchants, currencies, zones), model, format

Every offer has a stable integer ``key`` (its row). Filters run twice over: inside tantivy as
query clauses (exact) and, for the vector side, as a numpy mask over the columns (exact). The
vector side probes the nearest inverted lists and applies the mask to the rows it scans,
probing further lists until enough offers pass; when the filter leaves at most
``EXACT_SCAN_LIMIT`` offers it scans exactly those, so a selective filter never starves the
semantic list. Upserts replace by product id; an offer whose text did not change keeps its
vector, and a text already embedded for another offer (the same product sold by several
merchants) reuses that vector instead of being embedded again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import tantivy

from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.search.analysis import QUERY_STOP_WORDS, query_terms
from trustcart.search.analysis import VERSION as ANALYSIS_VERSION
from trustcart.search.documents import DeliveryZone, IndexedOffer, reachable_zones
from trustcart.search.embedded_evidence import match_evidence
from trustcart.search.embedding import TextEmbedder
from trustcart.search.errors import StaleIndexError
from trustcart.search.fusion import candidate_depth, facet_counts, reciprocal_rank_fusion
from trustcart.search.index import IndexHit, IndexResult
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.typos import Speller
from trustcart.search.vector_index import IvfFlatIndex

# A filter leaving at most this many offers is scanned exactly (gathering their rows); above
# it the probed lists, masked, hold enough passing offers at less cost (docs/search.md).
EXACT_SCAN_LIMIT = 5_000
TERMS_CACHE = 500_000  # entries (≈ 150 MB at most) before the analysis cache starts over
FORMAT = 2  # 1: usearch graph + float16 vectors.npy (converted on open, without re-embedding)
_COLUMNS = {
    "price": np.int64,
    "currency": np.int16,
    "category": np.int32,
    "merchant": np.int32,
    "stock": np.int32,
    "zone": np.int32,
    "text_hash": np.uint64,
    "alive": np.bool_,
}


def _category_prefixes(category: str) -> list[str]:
    parts = category.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("key", indexed=True, fast=True)
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("price", indexed=True, fast=True)
    builder.add_integer_field("stock", indexed=True, fast=True)
    builder.add_integer_field("zone", indexed=True, fast=True)
    for name in ("category", "merchant", "currency"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    return builder.build()


class _Dictionary:
    """Strings <-> small ints, so columns stay numeric."""

    def __init__(self, values: Sequence[str] = ()) -> None:
        self.values = list(values)
        self.ids = {v: i for i, v in enumerate(self.values)}

    def id(self, value: str) -> int:
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found


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
        self._embedder = embedder
        self._threads = threads
        path.mkdir(parents=True, exist_ok=True)
        (path / "lexical").mkdir(exist_ok=True)
        self._schema = _schema()
        self._lexical = tantivy.Index(self._schema, path=str(path / "lexical"), reuse=True)
        self._writer: tantivy.IndexWriter | None = None
        self._writer_heap = writer_heap
        self._vectors = IvfFlatIndex(embedder.dimensions)
        self._size = 0
        self._columns = {name: np.zeros(0, dtype=dtype) for name, dtype in _COLUMNS.items()}
        self._embedded: dict[int, int] | None = None  # text hash -> a key with that vector
        self._terms: dict[tuple[str, str], str] = {}  # (title, text) -> BM25 terms
        self._prefixes: dict[str, list[str]] = {}
        # One batch is embedded in a worker thread while the caller analyses the next one
        # (the tokenizer and numpy release the GIL); its vectors land before anything reads.
        self._pool: ThreadPoolExecutor | None = None
        self._pending: (
            tuple[
                Future[npt.NDArray[np.float32]],
                npt.NDArray[np.int64],
                npt.NDArray[np.int64],
                list[int],
            ]
            | None
        ) = None
        self._product_ids: list[str] = []
        self._titles: list[str] = []
        self._keys: dict[str, int] = {}
        self._categories, self._merchants = _Dictionary(), _Dictionary()
        self._currencies = _Dictionary()
        self._zones: list[DeliveryZone] = []
        self._zone_ids: dict[str, int] = {}
        self._speller: Speller | None = None  # built from the committed terms, on demand
        if (path / "meta.json").is_file():
            self._load()

    # -- persistence -----------------------------------------------------------------------

    def _load(self) -> None:
        meta = json.loads((self._path / "meta.json").read_text())
        if meta["model"] != self._embedder.name:
            raise StaleIndexError(f"index built with {meta['model']}, not {self._embedder.name}")
        if meta.get("analyzer") != ANALYSIS_VERSION:
            raise StaleIndexError(f"index analysed by {meta.get('analyzer')!r}: rebuild it")
        self._size = int(meta["size"])
        with np.load(self._path / "columns.npz") as stored:
            self._columns = {name: stored[name].copy() for name in _COLUMNS}
        with pa.memory_map(str(self._path / "strings.arrow")) as source:
            table = pa.ipc.open_file(source).read_all()
        self._product_ids = table.column("product_id").to_pylist()
        self._titles = table.column("title").to_pylist()
        self._keys = {
            pid: i for i, pid in enumerate(self._product_ids) if self._columns["alive"][i]
        }
        self._categories = _Dictionary(meta["categories"])
        self._merchants = _Dictionary(meta["merchants"])
        self._currencies = _Dictionary(meta["currencies"])
        self._zones = [
            DeliveryZone(GeoPoint.parse(z[0], z[1]), Decimal(z[2])) for z in meta["zones"]
        ]
        self._zone_ids = {z.key(): i for i, z in enumerate(self._zones)}
        if meta.get("format", 1) == FORMAT:
            self._vectors = IvfFlatIndex.load(self._path / "vectors")
            return
        # Format 1 kept every vector as float16 in vectors.npy: list those, drop the graph.
        old = np.load(self._path / "vectors.npy")
        alive = np.flatnonzero(self._columns["alive"][: self._size])
        self._vectors.add(alive, old[alive].astype(np.float32))
        self._vectors.flush()
        self._vectors.save(self._path / "vectors")
        meta["format"] = FORMAT
        (self._path / "meta.json").write_text(json.dumps(meta))
        for stale in ("vectors.npy", "vectors.usearch"):
            (self._path / stale).unlink(missing_ok=True)

    def _drain(self) -> None:
        """Add the vectors of the batch being embedded, if any."""
        if self._pending is None:
            return
        future, keys, counts, hashes = self._pending
        self._pending = None
        self._store_vectors(
            keys,
            np.repeat(future.result(), counts, axis=0),
            np.repeat(np.asarray(hashes, dtype=np.uint64), counts).tolist(),
        )

    def _store_vectors(
        self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32], hashes: list[int]
    ) -> None:
        """Add vectors, remembering which text each came from (the hash at embedding time:
        the offer may have changed text since, and then the check on use rejects it)."""
        self._vectors.add(keys, vectors)
        if self._embedded is not None:
            self._embedded.update(zip(hashes, keys.tolist(), strict=True))

    def commit(self) -> None:
        self._drain()
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self._lexical.reload()
        self._speller = None
        n = self._size
        np.savez(self._path / "columns.npz", **{k: v[:n] for k, v in self._columns.items()})
        self._vectors.flush()
        self._vectors.save(self._path / "vectors")
        table = pa.table({"product_id": self._product_ids, "title": self._titles})
        with (
            pa.OSFile(str(self._path / "strings.arrow"), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
        meta = {
            "model": self._embedder.name,
            "analyzer": ANALYSIS_VERSION,
            "format": FORMAT,
            "size": n,
            "categories": self._categories.values,
            "merchants": self._merchants.values,
            "currencies": self._currencies.values,
            "zones": [
                [str(z.origin.lat), str(z.origin.lon), str(z.radius_km)] for z in self._zones
            ],
        }
        (self._path / "meta.json").write_text(json.dumps(meta))

    def close(self) -> None:
        if self._pool is not None:
            self._pending = None
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None

    def count(self) -> int:
        return len(self._keys)

    # -- writing ---------------------------------------------------------------------------

    def _grow(self, needed: int) -> None:
        capacity = len(self._columns["alive"])
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2, 1024)
        for name, column in self._columns.items():
            grown = np.zeros(new_capacity, dtype=column.dtype)
            grown[:capacity] = column
            self._columns[name] = grown

    def _zone_id(self, zone: DeliveryZone) -> int:
        key = zone.key()
        found = self._zone_ids.get(key)
        if found is None:
            found = self._zone_ids[key] = len(self._zones)
            self._zones.append(zone)
        return found

    def upsert(self, offers: Sequence[IndexedOffer]) -> None:
        """Add or replace offers (by product id); visible after ``commit``."""
        if not offers:
            return
        if self._writer is None:
            self._writer = self._lexical.writer(
                heap_size=self._writer_heap, num_threads=self._threads
            )
        writer = self._writer
        self._grow(self._size + len(offers))
        columns = self._columns
        to_embed: list[tuple[int, str]] = []
        batch_keys: dict[str, int] = {}
        if len(self._terms) > TERMS_CACHE:
            self._terms.clear()
        for offer in offers:
            key = self._keys.get(offer.product_id)
            if key is None:
                key = batch_keys.get(offer.product_id)
            if key is None:
                key = self._size
                self._size += 1
                self._product_ids.append(offer.product_id)
                self._titles.append(offer.title)
                self._keys[offer.product_id] = key
                old_hash = None
            else:
                writer.delete_documents_by_term("key", key)
                self._titles[key] = offer.title
                old_hash = int(columns["text_hash"][key])
            batch_keys[offer.product_id] = key
            embedding_text = offer.embedding_text
            text_hash = _text_hash(embedding_text)
            if old_hash != text_hash:
                to_embed.append((key, embedding_text))
            category = self._categories.id(offer.category)
            merchant = self._merchants.id(offer.merchant_id)
            currency = self._currencies.id(offer.price.currency)
            zone = self._zone_id(offer.zone)
            columns["price"][key] = offer.price.minor
            columns["currency"][key] = currency
            columns["category"][key] = category
            columns["merchant"][key] = merchant
            columns["stock"][key] = offer.stock
            columns["zone"][key] = zone
            columns["text_hash"][key] = text_hash
            columns["alive"][key] = True
            writer.add_document(self._document(offer, key, zone))
        if to_embed:
            self._add_vectors(to_embed)

    def _document(self, offer: IndexedOffer, key: int, zone: int) -> tantivy.Document:
        # Many offers share a title (one product, many merchants): analyse each text once.
        terms = self._terms.get((offer.title, offer.text))
        if terms is None:
            terms = self._terms[(offer.title, offer.text)] = offer.index_terms
        categories = self._prefixes.get(offer.category)
        if categories is None:
            categories = self._prefixes[offer.category] = _category_prefixes(offer.category)
        return tantivy.Document(
            key=key,
            terms=terms,
            price=offer.price.minor,
            stock=offer.stock,
            zone=zone,
            category=categories,
            merchant=offer.merchant_id,
            currency=offer.price.currency,
        )

    def _add_vectors(self, to_embed: list[tuple[int, str]]) -> None:
        """Embed each distinct new text once, reusing the vector of an offer that already has
        the same text (checked against its current hash, so a stale entry is never used)."""
        self._drain()  # earlier batches first: a key's last text must win
        columns = self._columns
        if self._embedded is None:
            alive = np.flatnonzero(columns["alive"][: self._size])
            self._embedded = dict(
                zip(columns["text_hash"][alive].tolist(), alive.tolist(), strict=True)
            )
        embedded = self._embedded
        latest = dict(to_embed)  # the last upsert of a key wins
        pending = set(latest)
        reuse_keys: list[int] = []
        reuse_from: list[int] = []
        fresh: dict[int, list[int]] = {}  # text hash -> keys to give the new vector
        texts: list[str] = []
        for key, text in latest.items():
            text_hash = int(columns["text_hash"][key])
            source = embedded.get(text_hash)
            if (
                source is not None
                and source not in pending
                and columns["alive"][source]
                and int(columns["text_hash"][source]) == text_hash
            ):
                reuse_keys.append(key)
                reuse_from.append(source)
                continue
            if text_hash not in fresh:
                fresh[text_hash] = []
                texts.append(text)
            fresh[text_hash].append(key)
        if reuse_keys:
            self._store_vectors(
                np.asarray(reuse_keys, dtype=np.int64),
                self._vectors.vectors(np.asarray(reuse_from, dtype=np.int64)),
                [int(columns["text_hash"][k]) for k in reuse_from],
            )
        if texts:
            groups = list(fresh.values())
            counts = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
            keys = np.fromiter(
                (k for g in groups for k in g), dtype=np.int64, count=int(counts.sum())
            )
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
            self._pending = (
                self._pool.submit(self._embedder.encode, texts),
                keys,
                counts,
                list(fresh),
            )

    def delete(self, product_ids: Sequence[str]) -> None:
        self._drain()
        keys = [self._keys.pop(pid) for pid in product_ids if pid in self._keys]
        if not keys:
            return
        if self._writer is None:
            self._writer = self._lexical.writer(
                heap_size=self._writer_heap, num_threads=self._threads
            )
        for key in keys:
            self._writer.delete_documents_by_term("key", key)
            self._columns["alive"][key] = False
            self._columns["text_hash"][key] = 0
        self._vectors.remove(np.asarray(keys, dtype=np.int64))

    # -- searching -------------------------------------------------------------------------

    def _filter_clauses(
        self, query: SearchQuery, zones: dict[int, float] | None
    ) -> list[tantivy.Query] | None:
        """Tantivy clauses for the filters; ``None`` when nothing can match."""
        schema = self._schema
        clauses: list[tantivy.Query] = []
        if query.max_price is not None:
            clauses.append(
                tantivy.Query.range_query(
                    schema, "price", tantivy.FieldType.Integer, upper_bound=query.max_price.minor
                )
            )
            clauses.append(
                tantivy.Query.term_query(schema, "currency", query.max_price.currency, "basic")
            )
        if query.category_prefix:
            clauses.append(
                tantivy.Query.term_query(schema, "category", query.category_prefix, "basic")
            )
        if query.merchant_ids:
            clauses.append(
                tantivy.Query.term_set_query(schema, "merchant", list(query.merchant_ids))
            )
        if query.in_stock_only:
            clauses.append(
                tantivy.Query.range_query(schema, "stock", tantivy.FieldType.Integer, lower_bound=1)
            )
        if zones is not None:
            if not zones:
                return None
            clauses.append(tantivy.Query.term_set_query(schema, "zone", sorted(zones)))
        return clauses

    def _filter_mask(
        self, query: SearchQuery, zones: dict[int, float] | None
    ) -> npt.NDArray[np.bool_] | None:
        """The same filters over the numpy columns; ``None`` when there are none."""
        n = self._size
        columns = self._columns
        mask: npt.NDArray[np.bool_] | None = None

        def both(condition: npt.NDArray[np.bool_]) -> None:
            nonlocal mask
            mask = condition if mask is None else mask & condition

        if query.max_price is not None:
            currency = self._currencies.ids.get(query.max_price.currency, -1)
            both(
                (columns["price"][:n] <= query.max_price.minor)
                & (columns["currency"][:n] == currency)
            )
        if query.category_prefix:
            prefix = query.category_prefix
            ids = [
                i
                for i, c in enumerate(self._categories.values)
                if c == prefix or c.startswith(prefix + "/")
            ]
            both(np.isin(columns["category"][:n], ids))
        if query.merchant_ids:
            ids = [self._merchants.ids[m] for m in query.merchant_ids if m in self._merchants.ids]
            both(np.isin(columns["merchant"][:n], ids))
        if query.in_stock_only:
            both(columns["stock"][:n] > 0)
        if zones is not None:
            reachable = np.zeros(len(self._zones), dtype=np.bool_)
            reachable[list(zones)] = True
            both(reachable[columns["zone"][:n]])
        return mask

    def _lexical_keys(
        self, query: SearchQuery, clauses: list[tantivy.Query], depth: int
    ) -> list[int]:
        terms = query_terms(query.text)
        searcher = self._lexical.searcher()
        filters = [(tantivy.Occur.Must, tantivy.Query.const_score_query(c, 0.0)) for c in clauses]
        if terms:
            text = tantivy.Query.boolean_query(
                [
                    (
                        tantivy.Occur.Should,
                        tantivy.Query.term_query(self._schema, "terms", t, "freq"),
                    )
                    for t in terms
                ]
            )
            result = searcher.search(
                tantivy.Query.boolean_query([(tantivy.Occur.Must, text), *filters]),
                depth,
                count=False,
            )
        elif query.category_prefix:  # browsing a category: cheapest first
            result = searcher.search(
                tantivy.Query.boolean_query(filters),
                depth,
                count=False,
                order_by_field="price",
                order=tantivy.Order.Asc,
            )
        else:
            return []
        addresses = [address for _, address in result.hits]
        return [int(k) for k in searcher.fast_field_values("key", addresses) if k is not None]

    def _semantic_keys(
        self, vector: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_] | None, depth: int
    ) -> list[int]:
        if not vector.any():
            return []  # the model cannot read this text (e.g. Chinese): no semantic signal
        if mask is None:
            return [int(k) for k in self.nearest(vector, depth)]
        allowed = int(mask.sum())
        if allowed == 0:
            return []
        if allowed <= EXACT_SCAN_LIMIT:
            keys = self._vectors.exact_among(vector, depth, np.flatnonzero(mask))
        else:
            keys = self._vectors.search(vector, depth, mask=mask)
        return [int(k) for k in keys]

    def nearest(self, vector: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
        """Approximate nearest keys (exact within the probed lists)."""
        self._drain()
        return self._vectors.search(vector, count)

    def exact_nearest(self, vector: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
        """Nearest keys by brute force over every vector: the reference for recall."""
        self._drain()
        return self._vectors.exact(vector, count)

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
        self._drain()
        correction = self.speller().correct(query.text)
        query = replace(query, text=correction.text)
        zones = reachable_zones(self._zones, query) if query.location is not None else None
        clauses = self._filter_clauses(query, zones)
        if clauses is None or self._size == 0:
            return IndexResult(())
        depth = candidate_depth(query)
        rankings: list[list[int]] = []
        vector = self._embedder.encode([query.text])[0] if query.text.strip() else None
        if mode is not SearchMode.SEMANTIC:
            rankings.append(self._lexical_keys(query, clauses, depth))
        if mode is not SearchMode.LEXICAL and vector is not None:
            rankings.append(self._semantic_keys(vector, self._filter_mask(query, zones), depth))
        fused = reciprocal_rank_fusion([[str(k) for k in r] for r in rankings])
        columns = self._columns
        ordered = sorted(
            ((score, int(key)) for key, score in fused.items()),
            key=lambda s: (-s[0], int(columns["price"][s[1]]), self._product_ids[s[1]]),
        )
        pool = [key for _, key in ordered if columns["alive"][key]]
        facets = facet_counts(
            (self._categories.values[columns["category"][k]] for k in pool),
            (self._merchants.values[columns["merchant"][k]] for k in pool),
        )
        shown = pool[: query.limit]
        terms = query_terms(query.text)
        evidence = (
            match_evidence(
                self._lexical.searcher(),
                self._schema,
                terms,
                shown,
                query_vector=vector,
                vectors=self._vectors.vectors,
            )
            if terms
            else [None] * len(shown)  # browsing a category: nothing to judge
        )
        hits = tuple(
            replace(self._hit(key, fused[str(key)], zones), evidence=found)
            for key, found in zip(shown, evidence, strict=True)
        )
        return IndexResult(hits, facets, correction.text if correction.changed else None)

    def _hit(self, key: int, score: float, zones: dict[int, float] | None) -> IndexHit:
        columns = self._columns
        return IndexHit(
            product_id=self._product_ids[key],
            merchant_id=self._merchants.values[columns["merchant"][key]],
            title=self._titles[key],
            price=Money(
                int(columns["price"][key]), self._currencies.values[columns["currency"][key]]
            ),
            score=score,
            distance_km=None if zones is None else zones[int(columns["zone"][key])],
        )

    def debug_state(self) -> dict[str, Any]:
        """Sizes, for the benchmark report."""
        return {
            "offers": self.count(),
            "vectors": len(self._vectors),
            "zones": len(self._zones),
            "lists": self._vectors.nlist,
        }
