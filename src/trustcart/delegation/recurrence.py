"""Recurring delegations (standing orders): the signed period, per-period cap and its periods.

A standing order ("restock printer paper every month under 40") is a BOUNDED IAC whose
``ext.commerce`` carries a trustcart extension, ``recurrence``::

    "recurrence": {"period": "P1M", "period_cap": "40.00"}

It only narrows the grant: the IAC's ``max_total_amount`` stays the total cap over all periods,
``validity_end_time`` stays the end date, and each period may spend at most ``period_cap``.

The period boundary, precisely (the payment provider and the agent compute the same):

* Periods are counted from the IAC's ``validity_start_time`` (the *anchor*), in UTC. No other
  time zone is involved, so no daylight-saving change can move a boundary.
* ``PnD`` / ``PnW``: fixed lengths of n x 24 h / n x 7 x 24 h; period k is
  ``[anchor + k*len, anchor + (k+1)*len)``.
* ``PnM``: calendar months. Period k starts at the anchor's UTC wall-clock time on the same
  day of the month k*n months later, clamped to the month's last day (an anchor on 31 January
  gives 28/29 February, then 31 March: always computed from the anchor, never from the previous
  boundary, so there is no drift).
* Periods are half-open: an instant exactly on a boundary belongs to the *new* period, which
  starts with nothing spent. Before the anchor there is no period (``PeriodError``).

>>> from datetime import datetime, UTC
>>> rule = Recurrence.from_json({"period": "P1M", "period_cap": "40.00"}, "CNY")
>>> anchor = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
>>> p = rule.period_at(anchor, datetime(2026, 2, 28, 9, 0, tzinfo=UTC))
>>> (p.index, p.start.isoformat(), p.end.isoformat())
(1, '2026-02-28T09:00:00+00:00', '2026-03-31T09:00:00+00:00')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from trustcart.core.money import Money
from trustcart.delegation.errors import InvalidCredential

_DURATION = re.compile(r"P([1-9][0-9]{0,2})([DWM])")
MAX_PERIODS = 100_000  # a guard for the search below, far beyond any validity window


class PeriodUnit(StrEnum):
    DAY = "D"
    WEEK = "W"
    MONTH = "M"


class PeriodError(ValueError):
    """An instant before the recurrence's anchor has no period."""


def _add_months(anchor: datetime, months: int) -> datetime:
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Period:
    """Period number ``index`` (0 = the first) of a recurring delegation: ``[start, end)``."""

    index: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Recurrence:
    """How often a standing order may spend, and how much per period."""

    count: int
    unit: PeriodUnit
    period_cap: Money

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int):
            raise InvalidCredential("recurrence period count must be an integer")
        if not 1 <= self.count <= 999:
            raise InvalidCredential("recurrence period count must be in [1, 999]")
        if not isinstance(self.unit, PeriodUnit):
            raise InvalidCredential("recurrence period unit must be D, W or M")
        if self.period_cap.minor <= 0:
            raise InvalidCredential("recurrence period_cap must be positive")

    @property
    def period(self) -> str:
        """The ISO 8601 duration as signed (``P1M``, ``P2W``, ``P14D``)."""
        return f"P{self.count}{self.unit.value}"

    def boundary(self, anchor: datetime, index: int) -> datetime:
        """Start of period ``index`` (see the module doc for the rule)."""
        if self.unit is PeriodUnit.MONTH:
            return _add_months(anchor, index * self.count)
        days = self.count * (7 if self.unit is PeriodUnit.WEEK else 1)
        return anchor + timedelta(days=days * index)

    def period_at(self, anchor: datetime, at: datetime) -> Period:
        """The period that contains ``at`` (half-open: a boundary starts the new period)."""
        if at < anchor:
            raise PeriodError("the instant is before the standing order's first period")
        if self.unit is PeriodUnit.MONTH:
            months = (at.year - anchor.year) * 12 + at.month - anchor.month
            index = max(months // self.count - 1, 0)  # an estimate never past the answer
        else:
            length = timedelta(days=self.count * (7 if self.unit is PeriodUnit.WEEK else 1))
            index = max((at - anchor) // length - 1, 0)
        for _ in range(MAX_PERIODS):
            if self.boundary(anchor, index + 1) > at:
                return Period(index, self.boundary(anchor, index), self.boundary(anchor, index + 1))
            index += 1
        raise PeriodError("the instant is too far after the anchor")  # pragma: no cover

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period, "period_cap": self.period_cap.amount_str()}

    @classmethod
    def from_json(cls, obj: Any, currency: str) -> Recurrence:
        """Parse ``ext.commerce.recurrence``; unknown members are refused (fail closed)."""
        if not isinstance(obj, dict):
            raise InvalidCredential("ext.commerce.recurrence must be an object")
        if set(obj) != {"period", "period_cap"}:
            raise InvalidCredential("recurrence holds exactly period and period_cap")
        period, cap = obj["period"], obj["period_cap"]
        match = _DURATION.fullmatch(period) if isinstance(period, str) else None
        if match is None:
            raise InvalidCredential("recurrence period must be PnD, PnW or PnM (n in 1..999)")
        if not isinstance(cap, str):
            raise InvalidCredential("recurrence period_cap must be a decimal string")
        try:
            money = Money.parse(cap, currency)
        except ValueError as e:
            raise InvalidCredential(f"period_cap: {e}") from e
        return cls(int(match.group(1)), PeriodUnit(match.group(2)), money)


@dataclass(frozen=True)
class PeriodSpend:
    """What was paid in one period of a recurring delegation (PSP successes only)."""

    period: Period
    spent: Money


def period_room(rule: Recurrence, spend: PeriodSpend) -> Money:
    """What may still be spent in this period (never negative).

    >>> from datetime import datetime, UTC
    >>> rule = Recurrence.from_json({"period": "P7D", "period_cap": "40.00"}, "CNY")
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> str(period_room(rule, PeriodSpend(Period(0, t, t), Money.parse("12.50", "CNY"))))
    '27.50 CNY'
    """
    room = rule.period_cap - spend.spent
    return Money.zero(room.currency) if room.is_negative() else room


def within_period_cap(rule: Recurrence, spend: PeriodSpend, amount: Money) -> bool:
    """True when ``amount`` fits in what is left of the period (equal to the cap fits)."""
    return spend.spent + amount <= rule.period_cap
