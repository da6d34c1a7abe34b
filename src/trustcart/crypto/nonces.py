"""Replay caches for RFC 9421 signature nonces.

A verified signature's ``(keyid, nonce)`` pair is recorded until the signature expires; a second
request carrying the same pair is a replay. ``seen_or_add`` is the only operation, and it is
atomic: it answers "already seen" or records the pair, never both and never neither.

* ``InMemoryNonceCache``: one process; bounded. When full of unexpired entries it refuses new
  ones (reports them as seen) instead of evicting: evicting an unexpired nonce would let that
  nonce be replayed, and the cache must fail closed.
* ``SqlNonceCache``: the ``signature_nonces`` table; the primary key ``(keyid, nonce)`` makes the
  insert itself the check, so replays are refused across processes and servers.

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

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from trustcart.core.errors import ValidationError
from trustcart.store.crypto import SignatureNonceRow
from trustcart.store.db import Database

DEFAULT_MAX_ENTRIES = 100_000
MAX_KEY_LENGTH = 128
MAX_NONCE_LENGTH = 512


class NonceCache(Protocol):
    def seen_or_add(self, key: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Return True if ``(key, nonce)`` was already recorded (a replay); else record it."""
        ...


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValidationError("naive datetimes are not allowed")
    return instant.astimezone(UTC)


def _check_sizes(key: str, nonce: str) -> None:
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
        _check_sizes(key, nonce)
        now, expires_at = _utc(now), _utc(expires_at)
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


class SqlNonceCache:
    """A replay cache shared by every process that uses the same database."""

    def __init__(self, db: Database, *, prune_every: int = 100) -> None:
        self._db = db
        self._prune_every = max(1, prune_every)
        self._calls = 0
        self._lock = threading.Lock()

    def prune(self, now: datetime) -> int:
        """Delete entries that expired before ``now``; return how many."""
        with self._db.transaction() as session:
            result = session.execute(
                delete(SignatureNonceRow).where(SignatureNonceRow.expires_at <= _utc(now))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def seen_or_add(self, key: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        _check_sizes(key, nonce)
        now, expires_at = _utc(now), _utc(expires_at)
        with self._lock:
            self._calls += 1
            due = self._calls % self._prune_every == 0
        if due:
            self.prune(now)
        try:
            with self._db.transaction() as session:
                session.add(SignatureNonceRow(keyid=key, nonce=nonce, expires_at=expires_at))
                session.flush()
        except IntegrityError:
            return True  # the primary key already holds this (keyid, nonce): a replay
        return False
