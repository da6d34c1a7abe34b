"""The embedded back end's semantic side: offer vectors, embedded once, searched with a filter.

Vectors live in a ``vector_index.QuantizedIvfIndex`` keyed like the column store. Embedding is the
slow part of indexing, so it is done as little and as early as possible:

* an offer whose text did not change keeps its vector (the caller compares text hashes);
* a text already embedded for another live offer (the same product sold by several
  merchants) reuses that offer's vector, checked against its *current* hash, so a stale
  entry is never used; within a batch each distinct text is embedded once;
* one batch is embedded in a worker thread while the caller analyses the next one (the
  tokenizer and numpy release the GIL); its vectors land (``drain``) before anything reads
  them, and before a later batch, so a key's last text wins.

A query's semantic list, with a filter: when one part of the filter alone leaves at most
``CANDIDATE_LIMIT`` offers (found from the column postings, without a pass over every row),
the offers that pass the whole filter are all scored (exactly up to ``EXACT_SCAN_LIMIT`` of
them, by their codes and then rescored above that), so a selective filter never starves it;
otherwise the nearest inverted lists are probed with the filter evaluated on the rows
scanned (``embedded_filters.OfferFilter.passes``), further lists until enough offers pass. A
query the model cannot read (it embeds to zero, e.g. Chinese) has no semantic list. Which
texts were already embedded is a ``hash_lookup.HashLookup`` over the text hashes, not a dict
(10M entries).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from trustcart.search.embedded_columns import OfferColumns
from trustcart.search.embedded_filters import OfferFilter
from trustcart.search.embedding import TextEmbedder
from trustcart.search.hash_lookup import HashLookup
from trustcart.search.vector_index import QuantizedIvfIndex

# A filter leaving at most this many offers has them scored with their exact vectors.
EXACT_SCAN_LIMIT = 5_000
# When one part of a filter alone (a merchant set, a category, the reachable zones, a price
# cap) leaves at most this many offers, their keys are checked against the whole filter and
# the survivors are scored by their codes, without probing lists: a gather of that many
# values costs less than probing until enough offers pass (docs/benchmarks.md).
CANDIDATE_LIMIT = 100_000

_Pending = tuple[
    Future[npt.NDArray[np.float32]], npt.NDArray[np.int64], npt.NDArray[np.int64], list[int]
]


class OfferVectors:
    """The vectors of the offers in one column store, and the embedding pipeline that fills it."""

    def __init__(self, embedder: TextEmbedder, vectors: QuantizedIvfIndex | None = None) -> None:
        self.embedder = embedder
        self.index = vectors if vectors is not None else QuantizedIvfIndex(embedder.dimensions)
        self._embedded: HashLookup | None = None  # text hash -> keys that had that text
        self.texts_embedded = 0  # texts this process sent to the model (for the benchmark)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: _Pending | None = None

    def drain(self) -> None:
        """Add the vectors of the batch being embedded, if any."""
        if self._pending is None:
            return
        future, keys, counts, hashes = self._pending
        self._pending = None
        self._store(
            keys,
            np.repeat(future.result(), counts, axis=0),
            np.repeat(np.asarray(hashes, dtype=np.uint64), counts).tolist(),
        )

    def _store(
        self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32], hashes: list[int]
    ) -> None:
        """Add vectors, remembering which text each came from (the hash at embedding time:
        the offer may have changed text since, and then the check on use rejects it)."""
        self.index.add(keys, vectors)
        if self._embedded is not None:
            self._embedded.add(np.asarray(hashes, dtype=np.uint64), keys)

    def add(self, to_embed: list[tuple[int, str]], store: OfferColumns) -> None:
        """Give each (key, text) its vector: reused where the same text has one, else embedded
        once per distinct text in the worker thread. ``store`` has the keys' current hashes."""
        self.drain()  # earlier batches first: a key's last text must win
        columns = store.columns
        if self._embedded is None:
            alive = store.alive_keys()
            self._embedded = HashLookup(columns["text_hash"][alive], alive)
        latest = dict(to_embed)  # the last upsert of a key wins
        keys_in_batch = np.fromiter(latest, dtype=np.int64, count=len(latest))
        hashes = columns["text_hash"][keys_in_batch]
        # A source must be live, still have the text, and not be re-embedded in this batch.
        source_of = np.full(len(keys_in_batch), -1, dtype=np.int64)
        positions, sources = self._embedded.candidates(hashes)
        usable = (
            columns["alive"][sources]
            & (columns["text_hash"][sources] == hashes[positions])
            & ~np.isin(sources, keys_in_batch)
        )
        source_of[positions[usable]] = sources[usable]
        reuse_keys: list[int] = []
        reuse_from: list[int] = []
        fresh: dict[int, list[int]] = {}  # text hash -> keys to give the new vector
        texts: list[str] = []
        for (key, text), text_hash, source in zip(
            latest.items(), hashes.tolist(), source_of.tolist(), strict=True
        ):
            if source >= 0:
                reuse_keys.append(key)
                reuse_from.append(source)
                continue
            if text_hash not in fresh:
                fresh[text_hash] = []
                texts.append(text)
            fresh[text_hash].append(key)
        if reuse_keys:
            self._store(
                np.asarray(reuse_keys, dtype=np.int64),
                self.index.vectors(np.asarray(reuse_from, dtype=np.int64)),
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
            self.texts_embedded += len(texts)
            self._pending = (
                self._pool.submit(self.embedder.encode, texts),
                keys,
                counts,
                list(fresh),
            )

    def remove(self, keys: list[int]) -> None:
        """Forget the vectors of ``keys`` (dead offers)."""
        self.drain()
        self.index.remove(np.asarray(keys, dtype=np.int64))

    def close(self) -> None:
        """Stop the worker thread; a batch still being embedded is dropped."""
        if self._pool is not None:
            self._pending = None
            self._pool.shutdown(wait=True)
            self._pool = None

    # -- searching -------------------------------------------------------------------------

    def keys(
        self,
        vector: npt.NDArray[np.float32],
        offer_filter: OfferFilter | None,
        depth: int,
        store: OfferColumns,
    ) -> list[int]:
        """Keys of the ``depth`` offers nearest ``vector`` (the query's) among those
        ``offer_filter`` lets pass."""
        if not vector.any():
            return []  # the model cannot read this text (e.g. Chinese): no semantic signal
        if offer_filter is None:
            return [int(k) for k in self.nearest(vector, depth)]
        self.drain()
        candidates = offer_filter.candidates(store.postings(), CANDIDATE_LIMIT)
        if candidates is not None:
            candidates = candidates[self.index.present(candidates)]
            if len(candidates) <= EXACT_SCAN_LIMIT:
                keys = self.index.exact_among(vector, depth, candidates)
            else:
                keys = self.index.search_among(vector, depth, candidates)
        else:
            keys = self.index.search(vector, depth, allowed=offer_filter.passes)
        return [int(k) for k in keys]

    def nearest(self, vector: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
        """Approximate nearest keys (exact within the probed lists)."""
        self.drain()
        return self.index.search(vector, count)

    def exact_nearest(self, vector: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
        """Nearest keys by brute force over every vector: the reference for recall."""
        self.drain()
        return self.index.exact(vector, count)
