"""commerce: commerce_product_pictures (pictures merchants upload, re-encoded as PNG)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_product_pictures",
        sa.Column("product_id", sa.String(length=96), nullable=False),
        sa.Column("merchant_id", sa.String(length=96), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.product_id"],
            name=op.f("fk_commerce_product_pictures_product_id_commerce_products"),
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_commerce_product_pictures")),
    )
    op.create_index(
        op.f("ix_commerce_product_pictures_merchant_id"),
        "commerce_product_pictures",
        ["merchant_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_commerce_product_pictures_merchant_id"), table_name="commerce_product_pictures"
    )
    op.drop_table("commerce_product_pictures")
