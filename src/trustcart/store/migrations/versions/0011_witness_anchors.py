"""trust: trust_witness_anchors (the witness's store) and trust_log_anchors (the log's copy)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trust_witness_anchors",
        sa.Column("anchor_id", sa.String(length=200), nullable=False),
        sa.Column("submitter", sa.String(length=128), nullable=False),
        sa.Column("height", sa.BigInteger(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("anchor_jws", sa.Text(), nullable=False),
        sa.Column("receipt_jws", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("anchor_id", name=op.f("pk_trust_witness_anchors")),
        sa.UniqueConstraint("height", name=op.f("uq_trust_witness_anchors_height")),
    )
    op.create_index(
        op.f("ix_trust_witness_anchors_submitter"),
        "trust_witness_anchors",
        ["submitter"],
        unique=False,
    )
    op.create_table(
        "trust_log_anchors",
        sa.Column("anchor_id", sa.String(length=200), nullable=False),
        sa.Column("log_id", sa.String(length=128), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("anchor_jws", sa.Text(), nullable=False),
        sa.Column("receipt_jws", sa.Text(), nullable=False),
        sa.Column("anchored_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("anchor_id", name=op.f("pk_trust_log_anchors")),
    )
    op.create_index(
        op.f("ix_trust_log_anchors_log_id"), "trust_log_anchors", ["log_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_trust_log_anchors_log_id"), table_name="trust_log_anchors")
    op.drop_table("trust_log_anchors")
    op.drop_index(op.f("ix_trust_witness_anchors_submitter"), table_name="trust_witness_anchors")
    op.drop_table("trust_witness_anchors")
