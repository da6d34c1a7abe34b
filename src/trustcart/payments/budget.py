"""Cumulative spend per delegation: the PSP's own authoritative budget record.

ACT §4: "for DEL and AUP, cumulative totals come only from PSP successes". So the only writer
of a budget row is ``record_success``, called in the same transaction that posts the payment's
ledger entry; the agent's or the merchant's view of what was spent is never consulted.

Check-and-record is atomic: ``lock_budget`` reads the row with ``SELECT ... FOR UPDATE`` on
PostgreSQL (SQLite transactions already hold the write lock from ``BEGIN IMMEDIATE``), the
caller evaluates the constraints against it, and ``record_success`` updates the same locked row
before commit. Two concurrent payments under one delegation therefore run one after the other,
and the second sees the first's spend.

Refunds do not give budget back: the budget caps what the agent may *spend* under the
delegation, and a refund-then-rebuy loop must not let it spend more than the person authorized.
A person who wants more room issues a new credential.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.money import Money
from trustcart.delegation.constraints import SpendSoFar
from trustcart.payments.errors import LedgerError
from trustcart.store.payments import DelegationBudgetRow
from trustcart.store.upsert import insert_or_ignore


def ensure_budget(session: Session, delegation_id: str, currency: str, now: datetime) -> None:
    """Create the zero row for a delegation if there is none (safe under concurrency)."""
    values = {
        "delegation_id": delegation_id,
        "currency": currency,
        "spent_minor": 0,
        "payment_count": 0,
        "quantity": 0,
        "updated_at": now,
    }
    insert_or_ignore(session, DelegationBudgetRow, values)


def _locked_row(session: Session, delegation_id: str) -> DelegationBudgetRow | None:
    return session.execute(
        select(DelegationBudgetRow)
        .where(DelegationBudgetRow.delegation_id == delegation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def lock_budget(session: Session, delegation_id: str, currency: str, now: datetime) -> SpendSoFar:
    """Lock the delegation's budget row for this transaction and return what was spent."""
    ensure_budget(session, delegation_id, currency, now)
    row = _locked_row(session, delegation_id)
    if row is None:  # pragma: no cover - ensure_budget just created it
        raise LedgerError(f"budget row for {delegation_id} vanished")
    return SpendSoFar(Money(row.spent_minor, row.currency), row.payment_count, row.quantity)


def read_budget(session: Session, delegation_id: str, currency: str) -> SpendSoFar:
    """What was spent, without locking (for display and receipts of past payments)."""
    row = session.get(DelegationBudgetRow, delegation_id)
    if row is None:
        return SpendSoFar.zero(currency)
    return SpendSoFar(Money(row.spent_minor, row.currency), row.payment_count, row.quantity)


def record_success(
    session: Session, delegation_id: str, amount: Money, quantity: int, now: datetime
) -> SpendSoFar:
    """Add one successful payment to the locked row; return the spend after it."""
    row = _locked_row(session, delegation_id)
    if row is None or row.currency != amount.currency:
        raise LedgerError(f"no budget row in {amount.currency} for {delegation_id}")
    row.spent_minor += amount.minor
    row.payment_count += 1
    row.quantity += quantity
    row.updated_at = now
    session.flush()
    return SpendSoFar(Money(row.spent_minor, row.currency), row.payment_count, row.quantity)
