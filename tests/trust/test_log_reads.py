"""Tree heads are cheap reads and every public endpoint of the trust service is rate-limited.

* ``GET /tree-head`` writes no row, takes no write lock (it answers while a writer holds the
  SQLite lock) and, while the log does not grow, runs one small query and hashes nothing;
* heads are signed on append, from a frontier that follows appends made by other processes;
* a client that floods gets 429 ``rate-limited`` with ``Retry-After`` on every endpoint, while
  another client still gets through.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, insert, select

from trustcart.api.rate_limit import DEFAULT_RATE_LIMIT, rate_limit_from_env
from trustcart.api.trust import create_trust_app
from trustcart.core.clock import FixedClock
from trustcart.core.rate_limit import RateLimit
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.store.trust import LogHeadRow, LogLeafRow, TreeHeadRow
from trustcart.trust.admission import RecordAdmission
from trustcart.trust.attestations import AttestationService
from trustcart.trust.directory import InMemoryKeyDirectory
from trustcart.trust.log import TransparencyLog
from trustcart.trust.merkle import leaf_hash, merkle_root
from trustcart.trust.treehead import verify_tree_head

LOG_KEY = SigningKey.generate()


def _app(db: Database, clock: FixedClock, **options: Any) -> tuple[FastAPI, TransparencyLog]:
    directory = InMemoryKeyDirectory()
    log = TransparencyLog(db, LOG_KEY, "log:test", clock)
    service = AttestationService(log, clock, admission=RecordAdmission(directory))
    return create_trust_app(service, directory, clock, **options), log


def _heads(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(TreeHeadRow)) or 0)


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_reading_the_head_writes_nothing_and_hashes_nothing(
    db: Database, clock: FixedClock, statements: list[str]
) -> None:
    app, log = _app(db, clock, rate_limit="off")
    leaves = [f"leaf-{i}".encode() for i in range(20)]
    for leaf in leaves:
        log.append(leaf)
    with TestClient(app) as client:
        first = client.get("/tree-head").json()["tree_head"]
        heads = _heads(db)
        statements.clear()
        for _ in range(50):
            assert client.get("/tree-head").json()["tree_head"] == first
    during = list(statements)
    head = verify_tree_head(first, {LOG_KEY.kid: LOG_KEY.public})
    assert (head.tree_size, head.root_hash) == (20, merkle_root(leaves))
    assert _heads(db) == heads  # no row per GET
    # SQLite: a deferred BEGIN, never BEGIN IMMEDIATE (which would take the write lock).
    assert "BEGIN IMMEDIATE" not in during
    during = [s for s in during if s != "BEGIN"]
    # One small query each, the log's size; no leaf read, nothing hashed, nothing written.
    assert len(during) == 50
    assert all("FROM trust_log_heads" in s for s in during)
    assert not any("trust_log_leaves" in s for s in during)  # nothing re-hashed
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in during)


def test_appends_sign_heads_that_every_process_sees(db: Database, clock: FixedClock) -> None:
    # Two log objects on one database, as two worker processes would be.
    one = TransparencyLog(db, LOG_KEY, "log:shared", clock)
    two = TransparencyLog(db, LOG_KEY, "log:shared", clock)
    keys = {LOG_KEY.kid: LOG_KEY.public}
    leaves: list[bytes] = []
    for i in range(9):
        writer, reader = (one, two) if i % 3 else (two, one)
        leaves.append(f"leaf-{i}".encode())
        writer.append(leaves[-1])
        for log in (writer, reader):
            head = verify_tree_head(log.tree_head(), keys)
            assert (head.tree_size, head.root_hash) == (len(leaves), merkle_root(leaves))


def test_a_log_written_before_heads_were_signed_on_append_gets_one_at_start(
    db: Database, clock: FixedClock
) -> None:
    TransparencyLog(db, LOG_KEY, "log:old", clock).size()  # creates the log, signs size 0
    leaves = [b"a", b"b", b"c"]
    with db.transaction() as session:  # leaves appended the old way: no head signed
        for index, leaf in enumerate(leaves):
            session.execute(
                insert(LogLeafRow).values(
                    log_id="log:old",
                    leaf_index=index,
                    leaf_hash=leaf_hash(leaf),
                    leaf=leaf,
                    appended_at="2026-11-29T08:00:00Z",
                )
            )
        session.get(LogHeadRow, "log:old").tree_size = 3  # type: ignore[union-attr]
    restarted = TransparencyLog(db, LOG_KEY, "log:old", clock)
    head = verify_tree_head(restarted.tree_head(), {LOG_KEY.kid: LOG_KEY.public})
    assert (head.tree_size, head.root_hash) == (3, merkle_root(leaves))


def test_the_head_is_read_while_a_writer_holds_the_sqlite_lock(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'log.db'}")
    db.create_all()
    try:
        app, log = _app(db, clock, rate_limit="off")
        log.append(b"x")
        locked, release = threading.Event(), threading.Event()

        def writer() -> None:
            with db.transaction() as session:  # BEGIN IMMEDIATE: holds the write lock
                session.execute(select(TreeHeadRow.id).limit(1))
                locked.set()
                release.wait(10)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            assert locked.wait(5)
            answers: list[int] = []
            reader = threading.Thread(
                target=lambda: answers.append(TestClient(app).get("/tree-head").status_code)
            )
            reader.start()
            reader.join(5)  # a read that wanted the write lock would wait 30 s here
            assert answers == [200]
        finally:
            release.set()
            thread.join()
    finally:
        db.dispose()


# -- rate limits ---------------------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


ENDPOINTS = [
    ("GET", "/tree-head"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/proofs/inclusion?leaf_index=0&tree_size=1"),
    ("GET", "/proofs/consistency?old_size=0&new_size=1"),
    ("GET", "/events?intent_id=int_1"),
    ("POST", "/records"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_flood_is_refused_while_another_client_gets_through(
    db: Database, clock: FixedClock, method: str, path: str
) -> None:
    ticks = Ticks()
    app, log = _app(db, clock, rate_limit=RateLimit(rate=1, burst=5), monotonic=ticks)
    log.append(b"x")
    flooder = TestClient(app, client=("203.0.113.7", 40000))
    other = TestClient(app, client=("198.51.100.2", 40000))
    answers = [flooder.request(method, path, json={}).status_code for _ in range(8)]
    assert answers[:5] == [answers[0]] * 5
    assert 429 not in answers[:5]
    assert answers[5:] == [429, 429, 429]
    refused = flooder.request(method, path, json={})
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate-limited"
    assert refused.headers["Retry-After"] == "1"
    assert other.request(method, path, json={}).status_code == answers[0]  # not limited
    # Reads and writes have their own buckets: a read flood does not stop writing.
    other_kind = "POST" if method == "GET" else "GET"
    other_path = "/records" if method == "GET" else "/tree-head"
    assert flooder.request(other_kind, other_path, json={}).status_code != 429
    ticks.now += 1.0  # one token back
    assert flooder.request(method, path, json={}).status_code == answers[0]
    assert flooder.request(method, path, json={}).status_code == 429


def test_the_limit_is_configured_from_the_environment() -> None:
    assert rate_limit_from_env({}) == DEFAULT_RATE_LIMIT
    assert rate_limit_from_env({"TRUSTCART_TRUST_RATE_LIMIT": "off"}) is None
    assert rate_limit_from_env({"TRUSTCART_TRUST_RATE_LIMIT": "3/6"}) == RateLimit(3.0, 6)


def test_the_limit_can_be_switched_off(db: Database, clock: FixedClock) -> None:
    app, _ = _app(db, clock, rate_limit="off")
    client = TestClient(app)
    assert all(client.get("/tree-head").status_code == 200 for _ in range(300))
