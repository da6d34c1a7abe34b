"""checkout: drop the unused commerce_webhook_outbox (webhooks use outbox_messages, kind webhook)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commerce_webhook_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_webhook_outbox_session_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_webhook_outbox_platform_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_webhook_outbox_next_attempt_at"))

    op.drop_table("commerce_webhook_outbox")


def downgrade() -> None:
    op.create_table(
        "commerce_webhook_outbox",
        sa.Column("event_id", sa.String(length=96), nullable=False),
        sa.Column("platform_id", sa.String(length=96), nullable=False),
        sa.Column("session_id", sa.String(length=96), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("next_attempt_at", sa.String(length=20), nullable=False),
        sa.Column("delivered_at", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_commerce_webhook_outbox")),
    )
    with op.batch_alter_table("commerce_webhook_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_webhook_outbox_next_attempt_at"),
            ["next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_webhook_outbox_platform_id"), ["platform_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_webhook_outbox_session_id"), ["session_id"], unique=False
        )
