"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import trustcart.store.tables  # noqa: F401
from trustcart.store.base import Base
from trustcart.store.db import Database


def test_migrations_match_models(db: Database) -> None:
    # The db fixture created the tables from the models; start again from nothing.
    Base.metadata.drop_all(db.engine)
    db.migrate()
    db.migrate()  # idempotent
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
