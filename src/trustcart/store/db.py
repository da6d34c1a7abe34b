"""Engines and transactions for SQLite and PostgreSQL.

Rules kept here, so that services need not think about the dialect:

* every unit of work is one transaction (``Database.transaction()``): it commits as a whole
  or not at all, which is how money and records are never half-written;
* on SQLite a transaction starts with ``BEGIN IMMEDIATE``, taking the write lock up front, so
  check-then-write sequences (budgets, idempotency keys) cannot interleave; on PostgreSQL the
  services lock the rows they check with ``SELECT ... FOR UPDATE``; a unit of work that only
  reads (``Database.read()``) takes no write lock;
* on SQLite the write transactions of one process also queue on a lock of the ``Database``
  before ``BEGIN IMMEDIATE``: a waiter then starts the moment the writer before it commits,
  instead of sleeping in SQLite's busy handler (which polls with sleeps of up to 100 ms, and
  was most of a checkout's latency under load; ``docs/benchmarks.md``). Other processes on the
  same file still wait in the busy handler (``timeout``);
* SQLite runs in WAL mode with foreign keys on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from trustcart.core.errors import TrustcartError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
READ_ONLY_OPTION = "trustcart_read_only"


class StoreVersionError(TrustcartError):
    """The database's schema is newer than this version of trustcart knows."""


VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"


def head_revision() -> str:
    """The newest migration's revision id, read from the file names (``NNNN_what.py``).

    Migrations are named after their revision id and numbered in order, so the newest is the
    highest number; ``tests/store/test_migrations.py`` checks this agrees with Alembic's head.
    """
    return max(path.name.split("_", 1)[0] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with trustcart's per-dialect settings."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if in_memory else None,
        )
        _configure_sqlite(engine, wal=not in_memory)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers (Database.read) begin DEFERRED: in WAL mode they neither take nor wait for
        # the write lock.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """An engine plus a session factory; ``transaction()`` is the unit of work."""

    def __init__(self, url: str, *, echo: bool = False, serialize_writes: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        # Re-entrant, so a nesting that SQLite itself would refuse is refused the same way.
        self._writers: AbstractContextManager[object] = (
            threading.RLock() if serialize_writes and self.dialect == "sqlite" else nullcontext()
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One atomic unit of work: commit on success, roll back on any exception."""
        with self._writers, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads: on SQLite it takes no write lock (``BEGIN``, not
        ``BEGIN IMMEDIATE``), so readers never queue behind writers; it must not write."""
        with self._readers() as session, session.begin():
            yield session

    def create_all(self) -> None:
        """Create every table (tests and first start); production uses ``migrate()``."""
        import trustcart.store.tables  # noqa: F401  (registers every domain's tables)
        from trustcart.store.base import Base

        Base.metadata.create_all(self.engine)

    def current_revision(self) -> str | None:
        """The revision the database is at, or None for a database never migrated."""
        try:
            with self.engine.connect() as connection:
                row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except DBAPIError:
            return None  # no alembic_version table yet
        return None if row is None else str(row[0])

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent).

        A database already at the newest revision is left alone without loading Alembic,
        which takes longer to import than most commands take to run.
        """
        current, head = self.current_revision(), head_revision()
        if current == head:
            return
        if current is not None and current > head:  # revisions are numbered in order
            raise StoreVersionError(
                f"the store at {self.engine.url.render_as_string(hide_password=True)} was "
                f"written by a newer trustcart (schema {current}; this one knows up to {head}): "
                "upgrade trustcart or point TRUSTCART_HOME / TRUSTCART_DATABASE_URL elsewhere"
            )
        from alembic import command

        with self.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")

    def dispose(self) -> None:
        self.engine.dispose()
