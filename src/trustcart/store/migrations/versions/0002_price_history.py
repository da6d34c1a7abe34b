"""catalog: price history per product offer

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_price_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.String(length=96), nullable=False),
        sa.Column("observed_at", sa.String(length=20), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.product_id"],
            name=op.f("fk_commerce_price_history_product_id_commerce_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_price_history")),
    )
    with op.batch_alter_table("commerce_price_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_price_history_product_id"), ["product_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("commerce_price_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_price_history_product_id"))
    op.drop_table("commerce_price_history")
