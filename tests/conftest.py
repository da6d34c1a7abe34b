"""Shared fixtures: fixed time, keys, and a ``db`` that runs each test on SQLite and PostgreSQL.

A test that takes ``db`` runs twice: ``[sqlite]`` on a temporary file and ``[postgres]`` on a
fresh database in the session's PostgreSQL server (see tests/helpers/postgres.py). Without
PostgreSQL the second run is skipped and the summary says so; with
``TRUSTCART_REQUIRE_POSTGRES=1`` (set by .ci/run) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text

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

_pg_state: dict[str, object] = {"server": None, "reason": None, "started": False, "template": None}


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
    # Counted from the reports, not this process's state: under pytest-xdist the databases live
    # in the workers and the controller only sees their reports.
    passed = terminalreporter.stats.get("passed", [])
    skipped = terminalreporter.stats.get("skipped", [])
    ran = sum(1 for report in passed if "[postgres" in report.nodeid)
    missed = sum(1 for report in skipped if "[postgres" in report.nodeid)
    if ran:
        terminalreporter.write_line(
            f"database runs: {ran} tests passed on PostgreSQL; {len(passed) - ran} other tests "
            "passed (SQLite and database-free)"
        )
    if missed:
        terminalreporter.write_line(f"{missed} PostgreSQL tests were SKIPPED (see the reasons)")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def _admin_engine(server: PostgresServer) -> Engine:
    return create_engine(
        server.url_for("postgres").replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )


def _postgres_template(server: PostgresServer) -> str:
    """A database with every table, made once per session and cloned for each test.

    ``CREATE DATABASE ... TEMPLATE`` copies files, about a third of the time of creating the
    tables again in every test (measured 117 ms against 337 ms).
    """
    name = _pg_state.get("template")
    if isinstance(name, str):
        return name
    name = "template_" + uuid.uuid4().hex[:12]
    admin = _admin_engine(server)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    template = Database(server.url_for(name))
    try:
        template.create_all()
    finally:
        template.dispose()  # a template must have no open connection while it is cloned
    _pg_state["template"] = name
    return name


def _postgres_database() -> Iterator[Database]:
    server = _postgres()
    template = _postgres_template(server)
    name = "t_" + uuid.uuid4().hex[:16]
    admin = _admin_engine(server)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    database = Database(server.url_for(name))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every table, made once per session; tests get a copy (1 ms, not 110)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    template = Database(f"sqlite:///{path}")
    try:
        template.create_all()
    finally:
        template.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


def _sqlite_copy(template: Path, tmp_path: Path) -> Database:
    target = tmp_path / "test.db"
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        database = _sqlite_copy(request.getfixturevalue("_sqlite_template"), tmp_path)
        try:
            yield database
        finally:
            database.dispose()
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    """SQLite only, for tests that are about something other than the database."""
    database = _sqlite_copy(_sqlite_template, tmp_path)
    try:
        yield database
    finally:
        database.dispose()
