"""Replay caches for RFC 9421 signature nonces.

A verified signature's ``(keyid, nonce)`` pair is recorded until the signature expires; a second
request carrying the same pair is a replay. ``seen_or_add`` is the only operation, and it is
atomic: it answers "already seen" or records the pair, never both and never neither.

* ``InMemoryNonceCache``: one process; bounded. When full of unexpired entries it refuses new
  ones (reports them as seen) instead of evicting: evicting an unexpired nonce would let that
  nonce be replayed, and the cache must fail closed.
* ``trustcart.store.nonces.SqlNonceCache``: the ``signature_nonces`` table; the primary key
  ``(keyid, nonce)`` makes the insert itself the check, so replays are refused across processes
  and servers. It lives in ``store`` so that this module stays free of I/O.

>>> from datetime import UTC, datetime, timedelta
>>> cache = InMemoryNonceCache()
>>> now = datetime(2026, 11, 29, 8, tzinfo=UTC)
>>> cache.seen_or_add("kid", "n1", now + timedelta(minutes=5), now)
False
>>> cache.seen_or_add("kid", "n1", now + timedelta(minutes=5), now)
True
"""

from __future__ import annotations

import heapq
import threading
from datetime import UTC, datetime
from typing import Protocol

from trustcart.core.errors import ValidationError

DEFAULT_MAX_ENTRIES = 100_000
MAX_KEY_LENGTH = 128
MAX_NONCE_LENGTH = 512


class NonceCache(Protocol):
    def seen_or_add(self, key: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Return True if ``(key, nonce)`` was already recorded (a replay); else record it."""
        ...


def utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValidationError("naive datetimes are not allowed")
    return instant.astimezone(UTC)


def check_sizes(key: str, nonce: str) -> None:
    if not key or not nonce or len(key) > MAX_KEY_LENGTH or len(nonce) > MAX_NONCE_LENGTH:
        raise ValidationError("nonce cache key or nonce is empty or too long")


class InMemoryNonceCache:
    """A bounded, thread-safe replay cache for one process."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValidationError("max_entries must be positive")
        self._max_entries = max_entries
        self._expiry: dict[tuple[str, str], datetime] = {}
        self._heap: list[tuple[datetime, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def _prune(self, now: datetime) -> None:
        while self._heap and self._heap[0][0] <= now:
            expires_at, entry = heapq.heappop(self._heap)
            if self._expiry.get(entry) == expires_at:
                del self._expiry[entry]

    def seen_or_add(self, key: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        check_sizes(key, nonce)
        now, expires_at = utc(now), utc(expires_at)
        entry = (key, nonce)
        with self._lock:
            self._prune(now)
            if entry in self._expiry:
                return True
            if len(self._expiry) >= self._max_entries:
                return True  # full of live nonces: refuse rather than forget one
            self._expiry[entry] = expires_at
            heapq.heappush(self._heap, (expires_at, entry))
            return False
