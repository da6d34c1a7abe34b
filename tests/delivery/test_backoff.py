"""The retry schedule: known answers and the properties every schedule keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.delivery.backoff import Backoff, unit_from
from trustcart.delivery.errors import InvalidMessage

schedules = st.builds(
    Backoff,
    first=st.integers(1, 10_000).map(lambda ms: timedelta(milliseconds=ms)),
    cap=st.integers(10_000, 7_200_000).map(lambda ms: timedelta(milliseconds=ms)),
    factor=st.integers(1, 5),
)
attempts = st.integers(1, 200)
units = st.floats(0.0, 1.0, exclude_max=True)


def test_known_schedule() -> None:
    schedule = Backoff(first=timedelta(seconds=1), cap=timedelta(minutes=10))
    ceilings = [schedule.ceiling(n).total_seconds() for n in range(1, 13)]
    assert ceilings == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    assert schedule.delay(1, 0.0) == timedelta(milliseconds=500)
    assert schedule.delay(4, 0.25) == timedelta(seconds=5)  # 4 + 4 * 0.25
    assert schedule.delay(40, 0.999) < timedelta(minutes=10)


@settings(max_examples=500, deadline=None)
@given(schedules, attempts, units)
def test_a_delay_lies_between_half_and_all_of_its_ceiling(
    schedule: Backoff, attempt: int, unit: float
) -> None:
    ceiling = schedule.ceiling(attempt)
    delay = schedule.delay(attempt, unit)
    assert ceiling / 2 <= delay <= ceiling <= schedule.cap
    assert delay > timedelta(0)


@settings(max_examples=500, deadline=None)
@given(schedules, attempts)
def test_ceilings_grow_by_the_factor_until_the_cap_and_stay_there(
    schedule: Backoff, attempt: int
) -> None:
    assert schedule.ceiling(1) == schedule.first
    now, following = schedule.ceiling(attempt), schedule.ceiling(attempt + 1)
    assert following == min(schedule.cap, now * schedule.factor)
    assert now <= following  # never shrinks: a dead destination is tried less and less often


@settings(max_examples=300, deadline=None)
@given(schedules, attempts, units, units)
def test_more_jitter_never_waits_less(
    schedule: Backoff, attempt: int, low: float, high: float
) -> None:
    low, high = sorted((low, high))
    assert schedule.delay(attempt, low) <= schedule.delay(attempt, high)


@settings(max_examples=300, deadline=None)
@given(schedules, st.integers(1, 60))
def test_the_total_wait_is_bounded_below_by_half_the_ceilings(
    schedule: Backoff, failures: int
) -> None:
    # Whatever the random draws, n failures wait at least half the sum of their ceilings.
    floor = sum((schedule.ceiling(n) / 2 for n in range(1, failures + 1)), timedelta(0))
    worst = sum((schedule.delay(n, 0.0) for n in range(1, failures + 1)), timedelta(0))
    assert worst == floor


@given(st.binary(min_size=8, max_size=8))
def test_units_from_random_bytes_lie_in_the_unit_interval(raw: bytes) -> None:
    unit = unit_from(lambda n: raw[:n])
    assert 0.0 <= unit < 1.0


@pytest.mark.parametrize(
    "build",
    [
        lambda: Backoff(first=timedelta(0)),
        lambda: Backoff(first=timedelta(seconds=5), cap=timedelta(seconds=1)),
        lambda: Backoff(factor=0),
        lambda: Backoff(factor=True),  # a bool is not a factor
    ],
)
def test_impossible_schedules_are_refused(build: object) -> None:
    with pytest.raises(InvalidMessage):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(("attempt", "unit"), [(0, 0.5), (-1, 0.5), (1, 1.0), (1, -0.1)])
def test_out_of_range_arguments_are_refused(attempt: int, unit: float) -> None:
    with pytest.raises(InvalidMessage):
        Backoff().delay(attempt, unit)
