"""``SerializedIndex``: one lock around a catalog index shared by threads.

The embedded index keeps numpy columns and a tantivy writer in memory; an import that upserts
while a query reads could see half of an update. In one process the web console imports in a
background thread while the merchant service answers agents, so every call goes through one
re-entrant lock: queries wait for the batch being written, and the batch for the query.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from trustcart.search.documents import IndexedOffer
from trustcart.search.index import CatalogIndex, IndexResult
from trustcart.search.query import SearchMode, SearchQuery


class SerializedIndex:
    """A ``CatalogIndex`` whose every method holds one lock."""

    def __init__(self, index: CatalogIndex) -> None:
        self._index = index
        self._lock = threading.RLock()

    def upsert(self, offers: Sequence[IndexedOffer]) -> None:
        with self._lock:
            self._index.upsert(offers)

    def delete(self, product_ids: Sequence[str]) -> None:
        with self._lock:
            self._index.delete(product_ids)

    def commit(self) -> None:
        with self._lock:
            self._index.commit()

    def count(self) -> int:
        with self._lock:
            return self._index.count()

    def search(self, query: SearchQuery, mode: SearchMode = SearchMode.HYBRID) -> IndexResult:
        with self._lock:
            return self._index.search(query, mode)

    def close(self) -> None:
        with self._lock:
            self._index.close()
