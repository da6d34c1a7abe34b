"""Read a standing order from the person's words: what, how often, how much per period, until.

"restock printer paper every month under 40", "每月补货打印纸，40元以内", "coffee beans every 2
weeks under 60 until June", "weekly bananas under 10": the recurrence and the end date are read
here, then removed; the rest goes to the ordinary intent parser (``parse_intent``) for the item
and the price cap. The cap binds each period (``period_cap``); the total cap is the period cap
times the number of periods until the end date, so the person signs both.

Rules: a request with no recurrence, no item or no cap is not a standing order (``None``); an
end date in the past or beyond ``MAX_LIFETIME`` is clamped to the allowed window (never
widened); without an end date a standing order runs ``DEFAULT_PERIODS`` periods.

>>> from datetime import datetime, UTC
>>> order = read_standing_order("restock printer paper every month under 40",
...                             now=datetime(2026, 12, 2, tzinfo=UTC))
>>> (order.item, order.period, str(order.period_cap), str(order.max_total), order.end.date())
('printer paper', 'P1M', '40.00 CNY', '480.00 CNY', datetime.date(2027, 12, 2))
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from trustcart.assistant.intent import IntentDraft, parse_intent
from trustcart.core.money import Money
from trustcart.delegation.recurrence import PeriodUnit, Recurrence

DEFAULT_PERIODS = 12
MAX_LIFETIME = timedelta(days=366 * 2)

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "other": 2,
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
}
_UNIT_WORDS = {
    "day": PeriodUnit.DAY,
    "days": PeriodUnit.DAY,
    "week": PeriodUnit.WEEK,
    "weeks": PeriodUnit.WEEK,
    "month": PeriodUnit.MONTH,
    "months": PeriodUnit.MONTH,
    "天": PeriodUnit.DAY,
    "日": PeriodUnit.DAY,
    "周": PeriodUnit.WEEK,
    "星期": PeriodUnit.WEEK,
    "月": PeriodUnit.MONTH,
    "个月": PeriodUnit.MONTH,
}
_RECURRENCE = (
    re.compile(r"\bevery\s+(\d+|one|two|three|four|other)\s+(days?|weeks?|months?)\b"),
    re.compile(r"\b(?:every|each|per|once a)\s+()(day|week|month)\b"),
    re.compile(r"每(\d+|一|两|二|三|四)?(个月|月|周|星期|天|日)"),
)
_ADVERBS = {
    re.compile(r"\bdaily\b"): PeriodUnit.DAY,
    re.compile(r"\bweekly\b"): PeriodUnit.WEEK,
    re.compile(r"\bmonthly\b"): PeriodUnit.MONTH,
}
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_UNTIL_MONTH = re.compile(r"\buntil\s+(?:the\s+end\s+of\s+)?([a-z]+)(?:\s+(\d{4}))?\b")
_UNTIL_DATE = re.compile(r"\buntil\s+(\d{4})-(\d{2})-(\d{2})\b")
_UNTIL_ZH = re.compile(r"(?:到|直到)(\d{1,2})月(?:底)?(?:为止)?")
_RESTOCK = re.compile(r"\b(?:restock|re-stock|replenish|buy|order|get)\b|补货|补充|定期购买|购买")


@dataclass(frozen=True)
class StandingOrderWords:
    """A standing order as read: the item to search for, the recurrence, the caps, the end."""

    text: str
    item: str
    recurrence: Recurrence
    max_total: Money
    end: datetime
    draft: IntentDraft

    @property
    def period(self) -> str:
        return self.recurrence.period

    @property
    def period_cap(self) -> Money:
        return self.recurrence.period_cap


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 1)


def _recurrence(text: str) -> tuple[int, PeriodUnit, tuple[int, int]] | None:
    for pattern in _RECURRENCE:
        match = pattern.search(text)
        if match:
            count = _count(match.group(1)) if match.group(1) else 1
            return count, _UNIT_WORDS[match.group(2)], match.span()
    for pattern, unit in _ADVERBS.items():
        match = pattern.search(text)
        if match:
            return 1, unit, match.span()
    return None


def _month_end(year: int, month: int, now: datetime) -> datetime:
    last = calendar.monthrange(year, month)[1]
    return now.replace(year=year, month=month, day=last, hour=23, minute=59, second=59)


def _until(text: str, now: datetime) -> tuple[datetime | None, tuple[int, int] | None]:
    """The end date named ("until June": the end of the next June; "until 2027-03-31")."""
    match = _UNTIL_DATE.search(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            end = now.replace(year=year, month=month, day=day, hour=23, minute=59, second=59)
        except ValueError:
            return None, match.span()
        return end, match.span()
    found = _UNTIL_MONTH.search(text)
    month_match = found if found and found.group(1) in _MONTHS else None
    zh = _UNTIL_ZH.search(text)
    if month_match is None and zh is None:
        return None, None
    if month_match is not None:
        month, year_text, span = (
            _MONTHS[month_match.group(1)],
            month_match.group(2),
            month_match.span(),
        )
    else:
        assert zh is not None
        month, year_text, span = int(zh.group(1)), None, zh.span()
    if not 1 <= month <= 12:
        return None, span
    year = int(year_text) if year_text else now.year
    if year_text is None and _month_end(year, month, now) <= now:
        year += 1
    return _month_end(year, month, now), span


def _blank(text: str, span: tuple[int, int] | None) -> str:
    if span is None:
        return text
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def read_standing_order(
    text: str, *, now: datetime, currency: str = "CNY"
) -> StandingOrderWords | None:
    """The standing order in ``text``, or None when it does not say what, how often and a cap."""
    lowered = unicodedata.normalize("NFKC", text).lower()
    found = _recurrence(lowered)
    if found is None:
        return None
    count, unit, span = found
    rest = _blank(lowered, span)
    end, until_span = _until(rest, now)
    rest = _RESTOCK.sub(lambda m: " " * len(m.group(0)), _blank(rest, until_span))
    draft = parse_intent(re.sub(r"\s+", " ", rest).strip(" ,，。"), currency)
    cap = draft.max_unit_price or draft.max_total
    if draft.item is None or cap is None or cap.minor <= 0:
        return None
    recurrence = Recurrence(count, unit, cap)
    if end is None:
        end = recurrence.boundary(now, DEFAULT_PERIODS)
    end = min(end, now + MAX_LIFETIME)
    if end <= now:
        return None
    periods = recurrence.period_at(now, end - timedelta(microseconds=1)).index + 1
    return StandingOrderWords(
        text=text,
        item=draft.item,
        recurrence=recurrence,
        max_total=cap * periods,
        end=end,
        draft=draft,
    )
