"""Alembic environment: runs against the connection ``Database.migrate`` hands over."""

from __future__ import annotations

from alembic import context

import trustcart.store.tables  # noqa: F401  (registers every table on Base.metadata)
from trustcart.store.base import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations through trustcart.store.db.Database.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
