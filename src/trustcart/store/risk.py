"""Indexes the payment provider's risk rules read through (``payments.risk.history``).

No new table: the history summary comes from what the PSP already keeps (payments, tokens,
idempotent answers). These composite indexes make each of its queries an index range scan:
recent payments per agent, per delegation and per account, the first payment per merchant, the
first token per agent, and the latest answers per caller.
"""

from __future__ import annotations

from sqlalchemy import Index

from trustcart.store.payments import IdempotencyKeyRow, PaymentRow, PaymentTokenRow

PAYMENTS_BY_AGENT = Index("ix_psp_payments_agent_paid", PaymentRow.agent_id, PaymentRow.paid_at)
PAYMENTS_BY_DELEGATION = Index(
    "ix_psp_payments_delegation_paid", PaymentRow.delegation_id, PaymentRow.paid_at
)
PAYMENTS_BY_ACCOUNT = Index(
    "ix_psp_payments_account_paid", PaymentRow.account_id, PaymentRow.paid_at
)
PAYMENTS_BY_MERCHANT = Index(
    "ix_psp_payments_merchant_paid", PaymentRow.merchant_id, PaymentRow.paid_at
)
TOKENS_BY_AGENT = Index(
    "ix_psp_payment_tokens_agent_created", PaymentTokenRow.agent_id, PaymentTokenRow.created_at
)
ANSWERS_BY_CALLER = Index(
    "ix_psp_idempotency_keys_caller_created",
    IdempotencyKeyRow.caller_id,
    IdempotencyKeyRow.created_at,
)
