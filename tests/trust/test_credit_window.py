"""The platform proxy's frequency limit: exact boundaries, and Hypothesis properties over any
sequence of query times (never more than the maximum in any window; never a refusal that the
limit does not require; a clock that runs backwards is refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.window import FrequencyLimit, RequestWindow

T0 = datetime(2026, 8, 12, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def _window(max_requests: int, seconds: int) -> RequestWindow:
    return RequestWindow(FrequencyLimit(max_requests, timedelta(seconds=seconds)))


def _admit_all(window: RequestWindow, times: list[datetime]) -> tuple[list[bool], RequestWindow]:
    decisions = []
    for instant in times:
        decision = window.admit(instant)
        decisions.append(decision.allowed)
        window = decision.window
    return decisions, window


def test_the_maximum_is_reached_then_refused_until_the_first_query_leaves() -> None:
    window = _window(5, 3600)
    times = [T0 + timedelta(minutes=minute) for minute in range(5)]
    decisions, window = _admit_all(window, times)
    assert decisions == [True] * 5
    assert not window.admit(T0 + timedelta(minutes=30)).allowed
    assert not window.admit(T0 + timedelta(hours=1) - TICK).allowed  # the first still counts
    boundary = window.admit(T0 + timedelta(hours=1))  # ... and no longer at exactly +window
    assert boundary.allowed
    assert not boundary.window.admit(T0 + timedelta(hours=1)).allowed  # full again


def test_a_refused_query_is_not_counted() -> None:
    window = _window(1, 60)
    first = window.admit(T0)
    for second in range(1, 60):
        refused = first.window.admit(T0 + timedelta(seconds=second))
        assert not refused.allowed
        assert refused.window.count_at(T0 + timedelta(seconds=second)) == 1
    assert first.window.admit(T0 + timedelta(seconds=60)).allowed


def test_fixed_buckets_would_let_twice_the_maximum_through_this_does_not() -> None:
    window = _window(2, 60)
    edge = T0 + timedelta(seconds=59)
    decisions, _ = _admit_all(window, [edge, edge, T0 + timedelta(seconds=60), edge + TICK * 2])
    assert decisions == [True, True, False, False]


def test_a_clock_that_runs_backwards_is_refused() -> None:
    admitted = _window(10, 60).admit(T0).window
    assert not admitted.admit(T0 - TICK).allowed
    assert admitted.admit(T0).allowed


def test_limits_and_windows_validate_when_built() -> None:
    for bad in (0, -1, True):
        with pytest.raises(InvalidCreditObject):
            FrequencyLimit(bad, timedelta(seconds=60))
    for seconds in (0, 0.5):
        with pytest.raises(InvalidCreditObject):
            FrequencyLimit(1, timedelta(seconds=seconds))
    with pytest.raises(InvalidCreditObject):
        RequestWindow(FrequencyLimit(1, timedelta(seconds=60)), (T0, T0 - TICK))
    with pytest.raises(InvalidCreditObject):
        _window(1, 60).admit(datetime(2026, 8, 12, 9, 0))
    assert FrequencyLimit.from_json(
        {"maxRequestsPerWindow": 5, "windowDurationSeconds": 3600}
    ).to_json() == {"maxRequestsPerWindow": 5, "windowDurationSeconds": 3600}


_offsets = st.lists(st.integers(min_value=0, max_value=600_000), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    max_requests=st.integers(min_value=1, max_value=6),
    seconds=st.integers(min_value=1, max_value=120),
    steps_ms=_offsets,
)
def test_no_window_ever_holds_more_than_the_maximum(
    max_requests: int, seconds: int, steps_ms: list[int]
) -> None:
    times = []
    instant = T0
    for step in steps_ms:  # non-decreasing times, repeats allowed
        instant += timedelta(milliseconds=step % 3000)
        times.append(instant)
    window = _window(max_requests, seconds)
    length = timedelta(seconds=seconds)
    decisions, _ = _admit_all(window, times)
    admitted = [t for t, allowed in zip(times, decisions, strict=True) if allowed]
    for start in admitted:  # the densest windows start at an admitted query
        inside = [t for t in admitted if start <= t < start + length]
        assert len(inside) <= max_requests
    # ... and a query is refused exactly when the maximum still counts at its instant.
    counted: list[datetime] = []
    for t, allowed in zip(times, decisions, strict=True):
        still_counting = sum(1 for a in counted if t < a + length)
        assert allowed is (still_counting < max_requests)
        if allowed:
            counted.append(t)


@settings(max_examples=200, deadline=None)
@given(
    max_requests=st.integers(min_value=1, max_value=5),
    seconds=st.integers(min_value=1, max_value=30),
    gap_us=st.integers(min_value=0, max_value=2_000_000),
)
def test_exactly_at_the_window_boundary(max_requests: int, seconds: int, gap_us: int) -> None:
    """Fill the window from t0 on, then ask just before and exactly at t0 + window."""
    length = timedelta(seconds=seconds)
    spread = min(timedelta(microseconds=gap_us), length / 2) / max_requests
    times = [T0 + spread * i for i in range(max_requests)]
    decisions, full = _admit_all(_window(max_requests, seconds), times)
    assert all(decisions)
    assert full.count_at(T0 + length - TICK) == max_requests
    assert not full.admit(T0 + length - TICK).allowed
    at_edge = full.admit(T0 + length)  # the first query stops counting at exactly t0 + window
    assert at_edge.allowed
    # Every query made at t0 has left; those after t0 still count, plus the new one.
    assert at_edge.window.count_at(T0 + length) == 1 + sum(1 for t in times if t > T0)
