"""assistant: the person's conversations and records (delegations, purchases)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistant_conversations",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("saved", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_assistant_conversations")),
    )
    op.create_index(
        op.f("ix_assistant_conversations_owner"),
        "assistant_conversations",
        ["owner"],
        unique=False,
    )
    op.create_table(
        "assistant_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_records")),
        sa.UniqueConstraint(
            "owner",
            "kind",
            "record_id",
            name=op.f("uq_assistant_records_owner_kind_record_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("assistant_records")
    op.drop_index(op.f("ix_assistant_conversations_owner"), table_name="assistant_conversations")
    op.drop_table("assistant_conversations")
