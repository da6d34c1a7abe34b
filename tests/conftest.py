"""Shared fixtures: fixed time, keys, and a ``db`` that runs each test on SQLite and PostgreSQL.

A test that takes ``db`` runs twice: ``[sqlite]`` on a temporary file and ``[postgres]`` on a
fresh database in the session's PostgreSQL server (see tests/helpers/postgres.py). Without
PostgreSQL the second run is skipped and the summary says so; with
``TRUSTCART_REQUIRE_POSTGRES=1`` (set by .ci/run) it fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from tests.helpers.clock import T0
from tests.helpers.postgres import PostgresServer, start_postgres
from trustcart.core.clock import FixedClock
from trustcart.store.db import Database

pytest_plugins = ["tests.helpers.market"]

# Property tests draw the same examples on every machine, so what passes here passes in CI; a
# random exploration is one variable away (HYPOTHESIS_PROFILE=explore). Loaded before any test
# module builds its own ``settings``, which inherit these.
# No deadline: on a loaded 2-core machine an example can take 300 ms once and 0.2 ms the next.
settings.register_profile(
    "trustcart", derandomize=True, database=None, print_blob=True, deadline=None
)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "trustcart"))

_pg_state: dict[str, object] = {"server": None, "reason": None, "started": False, "ran": 0}


def _postgres() -> PostgresServer:
    if not _pg_state["started"]:
        _pg_state["started"] = True
        started, reason = start_postgres()
        _pg_state["server"], _pg_state["reason"] = started, reason
    server = _pg_state["server"]
    if server is None:
        message = f"PostgreSQL tests skipped: {_pg_state['reason']}"
        if os.environ.get("TRUSTCART_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (TRUSTCART_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    assert isinstance(server, PostgresServer)
    return server


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    server = _pg_state.get("server")
    if isinstance(server, PostgresServer):
        server.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    passed = terminalreporter.stats.get("passed", [])
    ran = sum(1 for report in passed if "[postgres" in report.nodeid)
    total = len(passed)
    if _pg_state["server"] is not None:
        terminalreporter.write_line(
            f"database runs: {ran} tests passed on PostgreSQL; {total - ran} other tests passed "
            "(SQLite and database-free)"
        )
    elif _pg_state["started"]:
        terminalreporter.write_line(f"PostgreSQL tests were SKIPPED: {_pg_state['reason']}")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def _postgres_database() -> Iterator[Database]:
    server = _postgres()
    name = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(
        server.url_for("postgres").replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(server.url_for(name))
    try:
        database.create_all()
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.db'}")
        database.create_all()
        try:
            yield database
        finally:
            database.dispose()
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """SQLite only, for tests that are about something other than the database."""
    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    database.create_all()
    try:
        yield database
    finally:
        database.dispose()
