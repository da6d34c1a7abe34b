"""trust: trust_disputes (disputes decided from evidence, TSD-ATT-DSP)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trust_disputes",
        sa.Column("dispute_id", sa.String(length=64), nullable=False),
        sa.Column("out_trade_no", sa.String(length=100), nullable=False),
        sa.Column("trade_no", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.String(length=200), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opener_role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("refund_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("appeal_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dispute_id", name=op.f("pk_trust_disputes")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_trust_disputes_decision_id")),
        sa.UniqueConstraint("out_trade_no", name=op.f("uq_trust_disputes_out_trade_no")),
    )
    op.create_index(
        op.f("ix_trust_disputes_merchant_id"), "trust_disputes", ["merchant_id"], unique=False
    )
    op.create_index(op.f("ix_trust_disputes_state"), "trust_disputes", ["state"], unique=False)
    op.create_index(
        op.f("ix_trust_disputes_trade_no"), "trust_disputes", ["trade_no"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_trust_disputes_trade_no"), table_name="trust_disputes")
    op.drop_index(op.f("ix_trust_disputes_state"), table_name="trust_disputes")
    op.drop_index(op.f("ix_trust_disputes_merchant_id"), table_name="trust_disputes")
    op.drop_table("trust_disputes")
