"""A recurring delegation's figures as ``trustcart delegations`` shows them.

Spent this period comes from the payment provider's signed receipts of the purchases under the
delegation whose ``paid_at`` lies in the current period (the PSP refuses on its own record, so
this is what the person can check, not what decides); the period is the one containing ``now``
(``delegation.recurrence``: UTC, half-open, from the validity start).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from trustcart.assistant.proposals import Delegation, Purchase
from trustcart.assistant.standing import spent_in_period
from trustcart.core.clock import format_instant
from trustcart.core.money import Money
from trustcart.delegation.recurrence import Period, PeriodError


def _floor(money: Money) -> Money:
    return Money.zero(money.currency) if money.is_negative() else money


def recurrence_report(
    delegation: Delegation, purchases: Sequence[Purchase], now: datetime
) -> dict[str, Any] | None:
    """``{period, period_cap, period_start, period_end, spent_this_period,
    remaining_this_period, remaining_total, ends}``, or None for a one-off credential."""
    iac = delegation.iac
    rule = iac.commerce.recurrence
    if rule is None:
        return None
    at = min(max(now, iac.validity_start), iac.validity_end)
    try:
        period = rule.period_at(iac.validity_start, at)
    except PeriodError:  # pragma: no cover - ``at`` is clamped into the window
        period = Period(0, iac.validity_start, rule.boundary(iac.validity_start, 1))
    whole = Period(-1, iac.validity_start, iac.validity_end)
    spent = spent_in_period(purchases, iac.delegation_id, period, iac.currency)
    spent_total = spent_in_period(purchases, iac.delegation_id, whole, iac.currency)
    remaining_total = _floor(iac.max_total - spent_total)
    room = min(_floor(rule.period_cap - spent), remaining_total)
    return {
        "period": rule.period,
        "period_cap": rule.period_cap.to_json(),
        "period_index": period.index,
        "period_start": format_instant(period.start),
        "period_end": format_instant(min(period.end, iac.validity_end)),
        "spent_this_period": spent.to_json(),
        "remaining_this_period": room.to_json(),
        "remaining_total": remaining_total.to_json(),
        "ends": format_instant(iac.validity_end),
    }


def recurrence_line(recurrence: dict[str, Any], language: str) -> str:
    """The second line of a standing order in ``trustcart delegations`` (en or zh).

    >>> money = lambda a: {"amount": a, "currency": "CNY"}
    >>> line = recurrence_line({"period": "P1M", "period_cap": money("40.00"),
    ...     "spent_this_period": money("26.90"), "remaining_this_period": money("13.10"),
    ...     "remaining_total": money("453.10"), "ends": "2027-12-02T14:12:26Z"}, "en")
    >>> line.split(", ")[1:3]
    ['spent 26.90 CNY this period', '13.10 CNY left (453.10 CNY in total)']
    """

    def money(name: str) -> str:
        return str(Money.from_json(recurrence[name]))

    if language == "zh":
        return (
            f"  周期 {recurrence['period']}：每期上限 {money('period_cap')}，本期已花 "
            f"{money('spent_this_period')}，本期剩余 {money('remaining_this_period')}"
            f"（总剩余 {money('remaining_total')}），截止 {recurrence['ends']}"
        )
    return (
        f"  every {recurrence['period']}: cap {money('period_cap')}, spent "
        f"{money('spent_this_period')} this period, {money('remaining_this_period')} left "
        f"({money('remaining_total')} in total), ends {recurrence['ends']}"
    )
