"""Replay caches: in memory and on the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from tests.helpers.clock import T0
from trustcart.core.errors import ValidationError
from trustcart.crypto.nonces import InMemoryNonceCache, NonceCache
from trustcart.store.db import Database
from trustcart.store.nonces import SqlNonceCache

LATER = T0 + timedelta(minutes=5)


def _contract(cache: NonceCache) -> None:
    assert cache.seen_or_add("kid-a", "nonce-1", LATER, T0) is False
    assert cache.seen_or_add("kid-a", "nonce-1", LATER, T0) is True
    assert cache.seen_or_add("kid-a", "nonce-1", LATER, T0 + timedelta(seconds=30)) is True
    # The same nonce under another key is a different pair.
    assert cache.seen_or_add("kid-b", "nonce-1", LATER, T0) is False
    assert cache.seen_or_add("kid-a", "nonce-2", LATER, T0) is False


def test_in_memory_contract() -> None:
    _contract(InMemoryNonceCache())


def test_in_memory_prunes_expired_entries() -> None:
    cache = InMemoryNonceCache()
    cache.seen_or_add("kid", "n1", T0 + timedelta(seconds=10), T0)
    cache.seen_or_add("kid", "n2", T0 + timedelta(seconds=100), T0)
    assert len(cache) == 2
    eleven = T0 + timedelta(seconds=11)
    assert cache.seen_or_add("kid", "n3", T0 + timedelta(seconds=200), eleven) is False
    assert len(cache) == 2  # n1 is gone
    # A replay of an unexpired nonce is still caught after pruning.
    assert cache.seen_or_add("kid", "n2", LATER, T0 + timedelta(seconds=11)) is True


def test_in_memory_is_bounded_and_fails_closed_when_full() -> None:
    cache = InMemoryNonceCache(max_entries=2)
    assert cache.seen_or_add("kid", "n1", T0 + timedelta(seconds=10), T0) is False
    assert cache.seen_or_add("kid", "n2", T0 + timedelta(seconds=10), T0) is False
    # Full of live nonces: a new one is refused rather than an old one forgotten.
    assert cache.seen_or_add("kid", "n3", T0 + timedelta(seconds=10), T0) is True
    assert cache.seen_or_add("kid", "n1", T0 + timedelta(seconds=10), T0) is True
    # Once they expire there is room again.
    eleven = T0 + timedelta(seconds=11)
    assert cache.seen_or_add("kid", "n3", T0 + timedelta(seconds=30), eleven) is False


@pytest.mark.parametrize(
    ("key", "nonce", "now"),
    [
        ("", "n", T0),
        ("kid", "", T0),
        ("k" * 129, "n", T0),
        ("kid", "n" * 513, T0),
        ("kid", "n", datetime(2026, 11, 29, 8)),
    ],
)
def test_in_memory_refuses_bad_input(key: str, nonce: str, now: datetime) -> None:
    with pytest.raises(ValidationError):
        InMemoryNonceCache().seen_or_add(key, nonce, LATER, now)


def test_in_memory_is_atomic_under_threads() -> None:
    cache = InMemoryNonceCache()
    results: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        seen = cache.seen_or_add("kid", "same", LATER, T0)
        with lock:
            results.append(seen)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(False) == 1


def test_sql_contract(db: Database) -> None:
    _contract(SqlNonceCache(db))


def test_sql_refuses_replays_across_processes(db: Database) -> None:
    # Two Database objects are two connection pools, as two server processes would have.
    other = Database(db.url)
    try:
        assert SqlNonceCache(db).seen_or_add("kid", "shared", LATER, T0) is False
        assert SqlNonceCache(other).seen_or_add("kid", "shared", LATER, T0) is True
    finally:
        other.dispose()


def test_sql_is_atomic_under_concurrent_inserts(db: Database) -> None:
    caches = [SqlNonceCache(db) for _ in range(6)]
    results: list[bool] = []
    lock = threading.Lock()

    def attempt(cache: SqlNonceCache) -> None:
        seen = cache.seen_or_add("kid", "raced", LATER, T0)
        with lock:
            results.append(seen)

    threads = [threading.Thread(target=attempt, args=(cache,)) for cache in caches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True, True, True, True, True]


def test_sql_prunes_only_expired_rows(db: Database) -> None:
    cache = SqlNonceCache(db)
    cache.seen_or_add("kid", "old", T0 + timedelta(seconds=10), T0)
    cache.seen_or_add("kid", "live", T0 + timedelta(seconds=600), T0)
    assert cache.prune(T0 + timedelta(seconds=60)) == 1
    assert cache.seen_or_add("kid", "live", LATER, T0 + timedelta(seconds=60)) is True
    assert cache.seen_or_add("kid", "old", LATER, T0 + timedelta(seconds=60)) is False


def test_sql_prunes_periodically(db: Database) -> None:
    cache = SqlNonceCache(db, prune_every=2)
    cache.seen_or_add("kid", "old", T0 + timedelta(seconds=10), T0)
    # The second call prunes first, so "old" (expired at T0+10 s) can be recorded again.
    assert cache.seen_or_add("kid", "old", LATER, T0 + timedelta(seconds=20)) is False
