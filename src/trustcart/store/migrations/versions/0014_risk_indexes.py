"""payments: composite indexes for the risk rules' history summary (payments.risk.history)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_psp_payments_agent_paid", "psp_payments", ["agent_id", "paid_at"]),
    ("ix_psp_payments_delegation_paid", "psp_payments", ["delegation_id", "paid_at"]),
    ("ix_psp_payments_account_paid", "psp_payments", ["account_id", "paid_at"]),
    ("ix_psp_payments_merchant_paid", "psp_payments", ["merchant_id", "paid_at"]),
    ("ix_psp_payment_tokens_agent_created", "psp_payment_tokens", ["agent_id", "created_at"]),
    ("ix_psp_idempotency_keys_caller_created", "psp_idempotency_keys", ["caller_id", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
