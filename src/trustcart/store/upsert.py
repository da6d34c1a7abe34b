"""Insert a row unless one with the same key exists: one helper for every dialect we run on.

SQLAlchemy's ``INSERT ... ON CONFLICT DO NOTHING`` is dialect-specific (``postgresql.insert``,
``sqlite.insert``); callers say what they insert and learn whether they inserted it, so a
race between two processes creating the same row is decided by the database, not by a read
before the write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_or_ignore(
    session: Session,
    table: Any,
    values: Mapping[str, Any],
    *,
    conflict_columns: Sequence[str] | None = None,
) -> bool:
    """Insert ``values`` into ``table`` (a mapped class) unless the key exists; True if inserted.

    ``conflict_columns`` names the unique columns to test (default: any unique constraint).
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(**values)
    statement = statement.on_conflict_do_nothing(
        index_elements=list(conflict_columns) if conflict_columns else None
    )
    primary = list(table.__table__.primary_key.columns)
    result = session.execute(statement.returning(*primary))
    return result.first() is not None
