"""standing orders: psp_period_spend, standing_orders, standing_order_runs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "psp_period_spend",
        sa.Column("delegation_id", sa.String(length=64), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("spent_minor", sa.BigInteger(), nullable=False),
        sa.Column("payment_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delegation_id", "period_index", name=op.f("pk_psp_period_spend")),
    )
    op.create_table(
        "standing_orders",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("delegation_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_standing_orders")),
        sa.UniqueConstraint("delegation_id", name=op.f("uq_standing_orders_delegation_id")),
    )
    op.create_index(op.f("ix_standing_orders_owner"), "standing_orders", ["owner"], unique=False)
    op.create_table(
        "standing_order_runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("out_trade_no", sa.String(length=96), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_standing_order_runs")),
        sa.UniqueConstraint(
            "order_id",
            "period_index",
            name=op.f("uq_standing_order_runs_order_id_period_index"),
        ),
    )
    op.create_index(
        op.f("ix_standing_order_runs_order_id"),
        "standing_order_runs",
        ["order_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_standing_order_runs_order_id"), table_name="standing_order_runs")
    op.drop_table("standing_order_runs")
    op.drop_index(op.f("ix_standing_orders_owner"), table_name="standing_orders")
    op.drop_table("standing_orders")
    op.drop_table("psp_period_spend")
