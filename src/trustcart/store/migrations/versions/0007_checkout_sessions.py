"""checkout: sessions (ACP, UCP), lines, idempotency keys, discount codes, agent platforms,
webhook outbox; payments: ACP clients, vault tokens and their charges

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:40:29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_checkout_idempotency",
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("locked_until", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint(
            "scope", "idempotency_key", name=op.f("pk_commerce_checkout_idempotency")
        ),
    )
    with op.batch_alter_table("commerce_checkout_idempotency", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_checkout_idempotency_created_at"), ["created_at"], unique=False
        )

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

    op.create_table(
        "psp_acp_clients",
        sa.Column("client_id", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("signing_jwk", sa.Text(), nullable=True),
        sa.Column("require_signature", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_psp_acp_clients")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_psp_acp_clients_api_key_hash")),
    )
    op.create_table(
        "commerce_agent_platforms",
        sa.Column("platform_id", sa.String(length=96), nullable=False),
        sa.Column("merchant_id", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=True),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("signing_jwk", sa.Text(), nullable=True),
        sa.Column("require_signature", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("revoked_at", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["commerce_merchants.merchant_id"],
            name=op.f("fk_commerce_agent_platforms_merchant_id_commerce_merchants"),
        ),
        sa.PrimaryKeyConstraint("platform_id", name=op.f("pk_commerce_agent_platforms")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_commerce_agent_platforms_api_key_hash")),
    )
    with op.batch_alter_table("commerce_agent_platforms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_agent_platforms_merchant_id"), ["merchant_id"], unique=False
        )

    op.create_table(
        "commerce_checkout_sessions",
        sa.Column("session_id", sa.String(length=96), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("merchant_id", sa.String(length=96), nullable=False),
        sa.Column("platform_id", sa.String(length=96), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("buyer", sa.JSON(), nullable=True),
        sa.Column("contact", sa.JSON(), nullable=True),
        sa.Column("selected_option_id", sa.String(length=96), nullable=True),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("iac", sa.Text(), nullable=True),
        sa.Column("shown_total_minor", sa.BigInteger(), nullable=True),
        sa.Column("out_trade_no", sa.String(length=96), nullable=True),
        sa.Column("trade_no", sa.String(length=96), nullable=True),
        sa.Column("notices", sa.JSON(), nullable=False),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.String(length=20), nullable=False),
        sa.Column("expires_at", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["commerce_merchants.merchant_id"],
            name=op.f("fk_commerce_checkout_sessions_merchant_id_commerce_merchants"),
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_commerce_checkout_sessions")),
    )
    with op.batch_alter_table("commerce_checkout_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_checkout_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_checkout_sessions_merchant_id"), ["merchant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_checkout_sessions_platform_id"), ["platform_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_checkout_sessions_status"), ["status"], unique=False
        )

    op.create_table(
        "psp_vault_tokens",
        sa.Column("token_id", sa.String(length=96), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=96), nullable=False),
        sa.Column("merchant_id", sa.String(length=256), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=256), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("max_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("card_brand", sa.String(length=32), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("card_funding", sa.String(length=16), nullable=False),
        sa.Column("card_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("metadata_json", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["psp_acp_clients.client_id"],
            name=op.f("fk_psp_vault_tokens_client_id_psp_acp_clients"),
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_psp_vault_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_psp_vault_tokens_token_hash")),
    )
    with op.batch_alter_table("psp_vault_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_psp_vault_tokens_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "commerce_checkout_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=96), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=96), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["commerce_checkout_sessions.session_id"],
            name=op.f("fk_commerce_checkout_lines_session_id_commerce_checkout_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_checkout_lines")),
    )
    with op.batch_alter_table("commerce_checkout_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_checkout_lines_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "commerce_discount_codes",
        sa.Column("merchant_id", sa.String(length=96), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("coupon_id", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["commerce_coupons.coupon_id"],
            name=op.f("fk_commerce_discount_codes_coupon_id_commerce_coupons"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["commerce_merchants.merchant_id"],
            name=op.f("fk_commerce_discount_codes_merchant_id_commerce_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "code", name=op.f("pk_commerce_discount_codes")),
        sa.UniqueConstraint("coupon_id", name=op.f("uq_commerce_discount_codes_coupon_id")),
    )
    op.create_table(
        "psp_vault_charges",
        sa.Column("trade_no", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=96), nullable=False),
        sa.Column("merchant_id", sa.String(length=256), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=256), nullable=False),
        sa.Column("out_trade_no", sa.String(length=100), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("delegation_id", sa.String(length=64), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.entry_id"],
            name=op.f("fk_psp_vault_charges_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["psp_vault_tokens.token_id"],
            name=op.f("fk_psp_vault_charges_token_id_psp_vault_tokens"),
        ),
        sa.PrimaryKeyConstraint("trade_no", name=op.f("pk_psp_vault_charges")),
        sa.UniqueConstraint("token_id", name=op.f("uq_psp_vault_charges_token_id")),
    )
    with op.batch_alter_table("psp_vault_charges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_psp_vault_charges_delegation_id"), ["delegation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_psp_vault_charges_merchant_id"), ["merchant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("psp_vault_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_psp_vault_charges_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_psp_vault_charges_delegation_id"))

    op.drop_table("psp_vault_charges")
    op.drop_table("commerce_discount_codes")
    with op.batch_alter_table("commerce_checkout_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_checkout_lines_session_id"))

    op.drop_table("commerce_checkout_lines")
    with op.batch_alter_table("psp_vault_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_psp_vault_tokens_client_id"))

    op.drop_table("psp_vault_tokens")
    with op.batch_alter_table("commerce_checkout_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_checkout_sessions_status"))
        batch_op.drop_index(batch_op.f("ix_commerce_checkout_sessions_platform_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_checkout_sessions_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_checkout_sessions_expires_at"))

    op.drop_table("commerce_checkout_sessions")
    with op.batch_alter_table("commerce_agent_platforms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_agent_platforms_merchant_id"))

    op.drop_table("commerce_agent_platforms")
    op.drop_table("psp_acp_clients")
    with op.batch_alter_table("commerce_webhook_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_webhook_outbox_session_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_webhook_outbox_platform_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_webhook_outbox_next_attempt_at"))

    op.drop_table("commerce_webhook_outbox")
    with op.batch_alter_table("commerce_checkout_idempotency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_checkout_idempotency_created_at"))

    op.drop_table("commerce_checkout_idempotency")
