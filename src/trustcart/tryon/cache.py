"""A bounded, thread-safe cache of prepared products.

Cutting a product out and finding its anchors costs more than drawing it, and a shopper tries
one product on many photos (or many shoppers try one product), so each prepared product is kept
under its ``TryOnRequest.product_cache_key``: the catalog product id, or the image's SHA-256. Least
recently used entries go first. A product whose preparation failed is not cached: the error is
cheap to find again and the image may be replaced.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trustcart.tryon.product import PreparedProduct

DEFAULT_ENTRIES = 64


class ProductCache:
    """LRU of ``PreparedProduct`` by key.

    >>> cache = ProductCache(entries=2)
    >>> cache.get_or_prepare("upper:sku-1", lambda: prepared)  # doctest: +SKIP
    """

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        if entries < 1:
            raise ValueError("entries must be at least 1")
        self._entries = entries
        self._items: OrderedDict[str, PreparedProduct] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get_or_prepare(self, key: str, prepare: Callable[[], PreparedProduct]) -> PreparedProduct:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        # Prepared outside the lock: two threads may prepare the same product once each, which
        # is cheaper than making every other product wait.
        prepared = prepare()
        with self._lock:
            self._items[key] = prepared
            self._items.move_to_end(key)
            while len(self._items) > self._entries:
                self._items.popitem(last=False)
        return prepared

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
