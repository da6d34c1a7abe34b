"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from pathlib import Path

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


def test_the_head_revision_read_from_file_names_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from trustcart.store.db import alembic_config, head_revision

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == head_revision()


def test_a_database_at_head_is_not_migrated_again(tmp_path: Path) -> None:
    from trustcart.store.db import Database, head_revision

    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    assert database.current_revision() is None
    database.migrate()
    assert database.current_revision() == head_revision()
    database.migrate()  # a no-op, and still at head
    assert database.current_revision() == head_revision()
    database.dispose()


def test_a_store_from_a_newer_trustcart_is_refused_clearly(tmp_path: Path) -> None:
    import pytest
    from sqlalchemy import text

    from trustcart.store.db import Database, StoreVersionError

    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    database.migrate()
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreVersionError, match="newer trustcart"):
        database.migrate()
    database.dispose()
