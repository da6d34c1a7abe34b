"""payments: paid_calls (pay-per-call requirements and states) and x402_settlements

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "paid_calls",
        sa.Column("out_trade_no", sa.String(length=100), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("seller_id", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.String(length=256), nullable=False),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("trade_no", sa.String(length=100), nullable=True),
        sa.Column("replay_key", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("out_trade_no", name=op.f("pk_paid_calls")),
        sa.UniqueConstraint("replay_key", name=op.f("uq_paid_calls_replay_key")),
        sa.UniqueConstraint("trade_no", name=op.f("uq_paid_calls_trade_no")),
    )
    op.create_table(
        "x402_settlements",
        sa.Column("authorization_key", sa.String(length=300), nullable=False),
        sa.Column("trade_no", sa.String(length=100), nullable=False),
        sa.Column("payer", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("merchant_id", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("authorization_key", name=op.f("pk_x402_settlements")),
        sa.UniqueConstraint("trade_no", name=op.f("uq_x402_settlements_trade_no")),
    )


def downgrade() -> None:
    op.drop_table("x402_settlements")
    op.drop_table("paid_calls")
