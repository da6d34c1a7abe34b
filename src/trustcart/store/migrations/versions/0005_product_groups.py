"""catalog: product groups (variants of one product) and a GTIN index for comparison

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commerce_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.String(length=96), nullable=True))
        batch_op.create_index(batch_op.f("ix_commerce_products_group_id"), ["group_id"])
        batch_op.create_index(batch_op.f("ix_commerce_products_gtin"), ["gtin"])


def downgrade() -> None:
    with op.batch_alter_table("commerce_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_products_gtin"))
        batch_op.drop_index(batch_op.f("ix_commerce_products_group_id"))
        batch_op.drop_column("group_id")
