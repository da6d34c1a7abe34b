"""Refunds: the reversing ledger entry of (part of) a payment, asked by the paid merchant.

Rules kept: only the merchant who was paid may refund; the sum of refunds never exceeds the
amount paid (checked under a row lock on the payment, so concurrent refunds cannot both pass);
refunds go back to the wallet that paid. The delegation's cumulative budget is *not* restored
(see ``budget``): the budget caps what the agent may spend, not what stays spent.

    {"trade_no": "trd_...", "amount": {"amount": "5.00", "currency": "CNY"}, "reason": "..."}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.clock import format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.payment import PaymentStatus
from trustcart.payments import ledger, ledger_store
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.store.payments import PaymentRow, RefundRow

_P = PaymentProblem


@dataclass(frozen=True)
class RefundRequest:
    trade_no: str
    amount: Money
    reason: str


def parse_refund_request(raw: Mapping[str, Any]) -> RefundRequest:
    if set(raw) - {"trade_no", "amount", "reason"}:
        raise PaymentRefused(_P.REQUEST_INVALID, "unknown fields in refund request")
    trade_no, reason = raw.get("trade_no"), raw.get("reason", "")
    if (
        not isinstance(trade_no, str)
        or not trade_no
        or not isinstance(reason, str)
        or len(reason) > 500
    ):
        raise PaymentRefused(_P.REQUEST_INVALID, "trade_no and a short reason are required")
    try:
        amount = Money.from_json(raw.get("amount"))
    except ValidationError as e:
        raise PaymentRefused(_P.REQUEST_INVALID, f"amount: {e}") from e
    if amount.minor <= 0:
        raise PaymentRefused(_P.REQUEST_INVALID, "a refund amount must be positive")
    return RefundRequest(trade_no, amount, reason)


def apply_refund(
    session: Session,
    *,
    merchant_id: str,
    request: RefundRequest,
    now: datetime,
    entry_id: str,
    refund_id: str,
) -> dict[str, Any]:
    """Post the reversing entry inside the caller's transaction; return the answer body."""
    row = session.execute(
        select(PaymentRow)
        .where(PaymentRow.trade_no == request.trade_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None or row.merchant_id != merchant_id:
        raise PaymentRefused(_P.UNKNOWN_PAYMENT, "no such payment")
    if request.amount.currency != row.currency:
        raise PaymentRefused(_P.CURRENCY_MISMATCH, "refund in another currency than paid")
    if row.refunded_minor + request.amount.minor > row.amount_minor:
        raise PaymentRefused(_P.REFUND_EXCEEDS_PAYMENT, "refunds may not exceed the payment")
    entry = ledger.refund_entry(
        entry_id,
        wallet=row.account_id,
        merchant=row.merchant_id,
        amount=request.amount,
        reference=row.trade_no,
    )
    ledger_store.post_entry(session, entry, at=now)
    row.refunded_minor += request.amount.minor
    if row.refunded_minor == row.amount_minor:
        row.status = PaymentStatus.REFUNDED.value
    session.add(
        RefundRow(
            refund_id=refund_id,
            trade_no=row.trade_no,
            amount_minor=request.amount.minor,
            currency=row.currency,
            reason=request.reason,
            entry_id=entry_id,
            created_at=now,
        )
    )
    session.flush()
    return {
        "refund_id": refund_id,
        "trade_no": row.trade_no,
        "out_trade_no": row.out_trade_no,
        "amount": request.amount.to_json(),
        "refunded_total": Money(row.refunded_minor, row.currency).to_json(),
        "payment_status": row.status,
        "refunded_at": format_instant(now),
    }
