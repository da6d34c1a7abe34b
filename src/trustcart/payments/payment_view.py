"""A payment as the PSP shows it, and the two look-ups that show it.

``payment_body`` is the one JSON shape of a stored payment: the answer to the payment request,
the status query, and (a subset) the merchant's notice. A payment is shown only to its agent
or its merchant; to anyone else it does not exist (``unknown-payment``), so a look-up reveals
nothing about other parties' payments. ACT: an unknown result means query, never pay twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.clock import format_instant
from trustcart.core.money import Money
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.store.payments import PaymentRow


def payment_body(row: PaymentRow | None) -> dict[str, Any]:
    """The payment's JSON: trade and order numbers, status, mode, amounts, receipt."""
    assert row is not None
    return {
        "trade_no": row.trade_no,
        "out_trade_no": row.out_trade_no,
        "merchant_id": row.merchant_id,
        "status": row.status,
        "mode": row.mode,
        "delegation_id": row.delegation_id,
        "amount": Money(row.amount_minor, row.currency).to_json(),
        "refunded": Money(row.refunded_minor, row.currency).to_json(),
        "paid_at": format_instant(row.paid_at),
        "receipt": row.receipt,
    }


def _shown_to(row: PaymentRow | None, requester_id: str) -> PaymentRow:
    if row is None or requester_id not in (row.agent_id, row.merchant_id):
        raise PaymentRefused(PaymentProblem.UNKNOWN_PAYMENT, "no such payment")
    return row


def payment_by_trade_no(session: Session, trade_no: str, *, requester_id: str) -> dict[str, Any]:
    """The payment with this PSP trade number, for its agent or its merchant only."""
    return payment_body(_shown_to(session.get(PaymentRow, trade_no), requester_id))


def payment_by_order(
    session: Session, merchant_id: str, out_trade_no: str, *, requester_id: str
) -> dict[str, Any]:
    """The payment of this merchant's order, for its agent or its merchant only."""
    row = session.execute(
        select(PaymentRow).where(
            PaymentRow.merchant_id == merchant_id, PaymentRow.out_trade_no == out_trade_no
        )
    ).scalar_one_or_none()
    return payment_body(_shown_to(row, requester_id))
