"""delivery: one outbox for records and notices (replaces psp_notice_outbox)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00

Pending and delivered payment notices move into ``outbox_messages`` unchanged (kind
``notice``, addressed to their merchant, about their trade); the downgrade moves the notices
back and drops the records, which the older schema has no place for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_outbox_messages")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_messages_state_next", ["state", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_messages_subject"), ["subject"], unique=False)
    op.execute(
        "INSERT INTO outbox_messages (message_id, sender, kind, destination, subject, payload,"
        " state, attempts, created_at, next_attempt_at, delivered_at, last_error)"
        " SELECT notice_id, 'psp', 'notice', merchant_id, trade_no, payload,"
        " CASE WHEN delivered_at IS NULL THEN 'pending' ELSE 'delivered' END, attempts,"
        " created_at, created_at, delivered_at, last_error FROM psp_notice_outbox"
    )
    with op.batch_alter_table("psp_notice_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_psp_notice_outbox_trade_no"))
    op.drop_table("psp_notice_outbox")


def downgrade() -> None:
    op.create_table(
        "psp_notice_outbox",
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("trade_no", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["trade_no"],
            ["psp_payments.trade_no"],
            name=op.f("fk_psp_notice_outbox_trade_no_psp_payments"),
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_psp_notice_outbox")),
    )
    with op.batch_alter_table("psp_notice_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_psp_notice_outbox_trade_no"), ["trade_no"], unique=False
        )
    op.execute(
        "INSERT INTO psp_notice_outbox (notice_id, trade_no, merchant_id, payload, attempts,"
        " created_at, delivered_at, last_error)"
        " SELECT message_id, subject, destination, payload, attempts, created_at,"
        " delivered_at, last_error FROM outbox_messages WHERE kind = 'notice'"
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_subject"))
        batch_op.drop_index("ix_outbox_messages_state_next")
    op.drop_table("outbox_messages")
