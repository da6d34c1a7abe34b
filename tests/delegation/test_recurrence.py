"""Recurring delegations: the period rule (UTC, calendar months clamped, half-open boundaries),
the signed ``ext.commerce.recurrence`` term and its refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.delegation import make_iac
from trustcart.core.money import Money
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.iac import parse_iac_payload
from trustcart.delegation.recurrence import (
    Period,
    PeriodError,
    PeriodSpend,
    PeriodUnit,
    Recurrence,
    period_room,
    within_period_cap,
)
from trustcart.delegation.terms import CommerceConstraints


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def rule(period: str = "P1M", cap: str = "40.00") -> Recurrence:
    return Recurrence.from_json({"period": period, "period_cap": cap}, "CNY")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


# -- known cases -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "anchor", "at", "index", "start", "end"),
    [
        # calendar months, anchored at the 31st: clamped to each month's last day, no drift
        (
            "P1M",
            utc(2026, 1, 31, 9),
            utc(2026, 2, 27, 9),
            0,
            utc(2026, 1, 31, 9),
            utc(2026, 2, 28, 9),
        ),
        (
            "P1M",
            utc(2026, 1, 31, 9),
            utc(2026, 2, 28, 9),
            1,
            utc(2026, 2, 28, 9),
            utc(2026, 3, 31, 9),
        ),
        (
            "P1M",
            utc(2026, 1, 31, 9),
            utc(2026, 3, 31, 8, 59, 59),
            1,
            utc(2026, 2, 28, 9),
            utc(2026, 3, 31, 9),
        ),
        (
            "P1M",
            utc(2026, 1, 31, 9),
            utc(2026, 3, 31, 9),
            2,
            utc(2026, 3, 31, 9),
            utc(2026, 4, 30, 9),
        ),
        ("P1M", utc(2027, 12, 31), utc(2028, 2, 29, 12), 2, utc(2028, 2, 29), utc(2028, 3, 31)),
        (
            "P1M",
            utc(2026, 12, 2, 13, 52),
            utc(2027, 1, 2, 13, 52),
            1,
            utc(2027, 1, 2, 13, 52),
            utc(2027, 2, 2, 13, 52),
        ),
        ("P2M", utc(2026, 11, 15), utc(2027, 1, 14, 23), 0, utc(2026, 11, 15), utc(2027, 1, 15)),
        # weeks and days: fixed lengths from the anchor
        ("P1W", utc(2026, 3, 1), utc(2026, 3, 8), 1, utc(2026, 3, 8), utc(2026, 3, 15)),
        ("P2W", utc(2026, 3, 1), utc(2026, 3, 14, 23, 59), 0, utc(2026, 3, 1), utc(2026, 3, 15)),
        ("P30D", utc(2026, 1, 31), utc(2026, 3, 2), 1, utc(2026, 3, 2), utc(2026, 4, 1)),
        # the anchor itself is the first instant of period 0
        ("P1D", utc(2026, 5, 5, 5), utc(2026, 5, 5, 5), 0, utc(2026, 5, 5, 5), utc(2026, 5, 6, 5)),
    ],
)
def test_period_at_known_cases(
    period: str, anchor: datetime, at: datetime, index: int, start: datetime, end: datetime
) -> None:
    assert rule(period).period_at(anchor, at) == Period(index, start, end)


def test_one_microsecond_before_a_boundary_is_the_old_period() -> None:
    anchor = utc(2026, 1, 31, 9)
    boundary = utc(2026, 2, 28, 9)
    assert rule().period_at(anchor, boundary - timedelta(microseconds=1)).index == 0
    assert rule().period_at(anchor, boundary).index == 1


def test_before_the_anchor_there_is_no_period() -> None:
    with pytest.raises(PeriodError):
        rule().period_at(utc(2026, 1, 1), utc(2025, 12, 31, 23, 59, 59))


def test_room_and_cap_at_the_edge() -> None:
    recurrence = rule(cap="40.00")
    period = Period(0, utc(2026, 1, 1), utc(2026, 2, 1))
    spend = PeriodSpend(period, cny("30.00"))
    assert within_period_cap(recurrence, spend, cny("10.00"))  # exactly the cap fits
    assert not within_period_cap(recurrence, spend, cny("10.01"))
    assert period_room(recurrence, spend) == cny("10.00")
    assert period_room(recurrence, PeriodSpend(period, cny("45.00"))) == cny("0.00")


# -- properties ------------------------------------------------------------------------------

anchors = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
periods = st.builds(
    lambda n, unit: f"P{n}{unit}", st.integers(1, 13), st.sampled_from(["D", "W", "M"])
)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3 * 366))


@given(anchor=anchors, period=periods, offset=offsets)
def test_every_instant_lies_in_exactly_one_half_open_period(
    anchor: datetime, period: str, offset: timedelta
) -> None:
    recurrence = rule(period)
    at = anchor + offset
    found = recurrence.period_at(anchor, at)
    assert found.start <= at < found.end
    assert found.start == recurrence.boundary(anchor, found.index)
    assert found.end == recurrence.boundary(anchor, found.index + 1)
    # the boundary instants: the start belongs to this period, the end to the next one
    assert recurrence.period_at(anchor, found.start).index == found.index
    assert recurrence.period_at(anchor, found.end).index == found.index + 1
    assert recurrence.period_at(anchor, found.end - timedelta(microseconds=1)).index == found.index


@given(anchor=anchors, period=periods, index=st.integers(0, 40))
def test_boundaries_increase_and_months_keep_the_anchor_day_when_they_can(
    anchor: datetime, period: str, index: int
) -> None:
    recurrence = rule(period)
    start, end = recurrence.boundary(anchor, index), recurrence.boundary(anchor, index + 1)
    assert start < end
    assert start.time() == anchor.time()  # UTC wall clock: no time zone moves a boundary
    if recurrence.unit is PeriodUnit.MONTH:
        assert start.day == anchor.day or start.day < anchor.day >= 29
        assert timedelta(days=28 * recurrence.count) <= end - start
        assert end - start <= timedelta(days=31 * recurrence.count)


@given(period=periods, cents=st.integers(1, 10_000_00))
def test_recurrence_json_round_trip(period: str, cents: int) -> None:
    recurrence = Recurrence(int(period[1:-1]), PeriodUnit(period[-1]), Money(cents, "CNY"))
    assert Recurrence.from_json(recurrence.to_json(), "CNY") == recurrence
    assert recurrence.to_json()["period"] == period


# -- the signed term -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"period": "P0M", "period_cap": "40.00"},
        {"period": "P1Y", "period_cap": "40.00"},
        {"period": "PT1H", "period_cap": "40.00"},
        {"period": "P1M", "period_cap": "0.00"},
        {"period": "P1M", "period_cap": "-1.00"},
        {"period": "P1M", "period_cap": 40},
        {"period": "P1M"},
        {"period": "P1M", "period_cap": "40.00", "time_zone": "Asia/Shanghai"},
        {"period": 1, "period_cap": "40.00"},
        ["P1M", "40.00"],
    ],
)
def test_malformed_recurrence_is_refused(bad: object) -> None:
    with pytest.raises(InvalidCredential):
        Recurrence.from_json(bad, "CNY")


def test_the_recurrence_is_signed_into_the_iac_and_read_back(clock_now: datetime) -> None:
    commerce = CommerceConstraints(max_single=cny("40.00"), recurrence=rule("P1M", "40.00"))
    iac = make_iac(clock_now, commerce=commerce, max_total=cny("480.00"))
    assert iac.payload()["ext"]["commerce"]["recurrence"] == {
        "period": "P1M",
        "period_cap": "40.00",
    }
    again = parse_iac_payload(iac.payload(), iac.token)
    assert again.commerce.recurrence == rule("P1M", "40.00")


def test_an_iac_without_recurrence_signs_no_recurrence_member(clock_now: datetime) -> None:
    assert "recurrence" not in make_iac(clock_now).payload()["ext"]["commerce"]


def test_a_period_cap_above_the_total_is_refused(clock_now: datetime) -> None:
    commerce = CommerceConstraints(recurrence=rule("P1M", "90.00"))
    with pytest.raises(InvalidCredential, match="period_cap"):
        make_iac(clock_now, commerce=commerce, max_total=cny("80.00"))


def test_a_period_cap_in_another_currency_is_refused(clock_now: datetime) -> None:
    other = Recurrence(1, PeriodUnit.MONTH, Money.parse("10.00", "USD"))
    with pytest.raises(InvalidCredential, match="period_cap"):
        make_iac(clock_now, commerce=CommerceConstraints(recurrence=other))


@pytest.fixture
def clock_now() -> datetime:
    return utc(2026, 11, 29, 8)
