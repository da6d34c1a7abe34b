"""The SQL-backed replay cache for RFC 9421 signature nonces (``crypto.nonces.NonceCache``).

One table, ``signature_nonces``, shared by every process that uses the database: the primary key
``(keyid, nonce)`` makes the insert itself the replay check (see ``store.crypto``).
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from trustcart.crypto.nonces import check_sizes, utc
from trustcart.store.crypto import SignatureNonceRow
from trustcart.store.db import Database


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
                delete(SignatureNonceRow).where(SignatureNonceRow.expires_at <= utc(now))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def seen_or_add(self, key: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        check_sizes(key, nonce)
        now, expires_at = utc(now), utc(expires_at)
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
