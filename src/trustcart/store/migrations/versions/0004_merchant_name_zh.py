"""catalog: a merchant's Chinese name beside its name (merchant onboarding, issue 11)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commerce_merchants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_zh", sa.String(length=200), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("commerce_merchants", schema=None) as batch_op:
        batch_op.drop_column("name_zh")
