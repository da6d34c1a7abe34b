"""Spend per period of a recurring delegation (standing order), checked at the payment provider.

A recurring IAC (``ext.commerce.recurrence``, ``delegation.recurrence``) caps what may be paid in
each period on top of its total cap. The PSP enforces it from its own record, like the total
budget (ACT §4: cumulative figures come only from PSP successes): ``psp_period_spend`` holds one
row per (delegation, period index), written only by ``record_period_success`` in the payment's
own transaction.

Rules: both functions run *after* ``budget.lock_budget`` in the same transaction, so the
delegation's budget row lock serializes every payment under it, period row included (two
payments at once in one period run one after the other, the second sees the first). The
period is the one containing the PSP's ``now`` (half-open, UTC, from ``validity_start``); a
payment exactly at a boundary counts in the new period, which starts at zero. A payment that
would take the period over its cap is refused with ``over-period-cap`` even if the total still
has room; nothing is written. A credential without ``recurrence`` is unaffected.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.money import Money
from trustcart.delegation.iac import IAC
from trustcart.delegation.recurrence import PeriodError, PeriodSpend, within_period_cap
from trustcart.payments.errors import LedgerError, PaymentProblem, PaymentRefused
from trustcart.store.standing import PeriodSpendRow
from trustcart.store.upsert import insert_or_ignore


def period_spend(session: Session, iac: IAC, now: datetime) -> PeriodSpend | None:
    """What was paid in the period containing ``now`` (None: the IAC is not recurring)."""
    rule = iac.commerce.recurrence
    if rule is None:
        return None
    try:
        period = rule.period_at(iac.validity_start, now)
    except PeriodError as e:  # before the first period: the window check refuses it too
        raise PaymentRefused(PaymentProblem.IAC_NOT_YET_VALID, str(e)) from e
    row = session.get(PeriodSpendRow, (iac.delegation_id, period.index), populate_existing=True)
    spent = Money.zero(iac.currency) if row is None else Money(row.spent_minor, row.currency)
    return PeriodSpend(period, spent)


def check_period_cap(session: Session, iac: IAC, amount: Money, now: datetime) -> None:
    """Refuse (``over-period-cap``) unless ``amount`` fits in this period's remaining cap."""
    spend = period_spend(session, iac, now)
    rule = iac.commerce.recurrence
    if spend is None or rule is None:
        return
    if amount.currency != rule.period_cap.currency or not within_period_cap(rule, spend, amount):
        raise PaymentRefused(
            PaymentProblem.OVER_PERIOD_CAP,
            f"this purchase would pass the period's cap of {rule.period_cap} "
            f"(spent {spend.spent} since {spend.period.start.isoformat()})",
            reasons=["over-period-cap"],
        )


def record_period_success(session: Session, iac: IAC, amount: Money, now: datetime) -> None:
    """Add one successful payment to its period's row (created at the period's first)."""
    spend = period_spend(session, iac, now)
    if spend is None:
        return
    period = spend.period
    insert_or_ignore(
        session,
        PeriodSpendRow,
        {
            "delegation_id": iac.delegation_id,
            "period_index": period.index,
            "period_start": period.start,
            "period_end": period.end,
            "currency": amount.currency,
            "spent_minor": 0,
            "payment_count": 0,
            "updated_at": now,
        },
    )
    row = session.execute(
        select(PeriodSpendRow)
        .where(
            PeriodSpendRow.delegation_id == iac.delegation_id,
            PeriodSpendRow.period_index == period.index,
        )
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None or row.currency != amount.currency:  # pragma: no cover - just inserted
        raise LedgerError(f"no period row in {amount.currency} for {iac.delegation_id}")
    row.spent_minor += amount.minor
    row.payment_count += 1
    row.updated_at = now
    session.flush()
