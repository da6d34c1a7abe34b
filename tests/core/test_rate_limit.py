"""Token buckets: a burst, then one request per 1/rate seconds; keys are independent; the table
stays bounded. Time is passed in, so every figure here is exact."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.core.errors import ValidationError
from trustcart.core.rate_limit import RateLimit, RateLimiter, take


def test_a_burst_then_the_refill_rate() -> None:
    limiter = RateLimiter(RateLimit(rate=2, burst=3))
    assert [limiter.take("a", 0.0).allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.take("a", 0.0)
    assert refused.retry_after == pytest.approx(0.5)
    assert refused.retry_after_header == "1"
    assert not limiter.take("a", 0.4).allowed
    assert limiter.take("a", 0.5).allowed  # 0.5 s at 2/s brought one token back
    assert not limiter.take("a", 0.5).allowed


def test_clients_do_not_share_a_bucket() -> None:
    limiter = RateLimiter(RateLimit(rate=1, burst=1))
    assert limiter.take("flooder", 0.0).allowed
    assert not any(limiter.take("flooder", 0.0).allowed for _ in range(100))
    assert limiter.take("someone else", 0.0).allowed


def test_the_table_is_bounded_and_drops_the_least_recently_used() -> None:
    limiter = RateLimiter(RateLimit(rate=1, burst=1), max_keys=2)
    limiter.take("a", 0.0)
    limiter.take("b", 0.0)
    limiter.take("a", 0.0)  # "a" is now the most recent (and empty)
    limiter.take("c", 0.0)  # drops "b"
    assert not limiter.take("a", 0.0).allowed  # "a" was kept, still empty
    assert limiter.take("b", 0.0).allowed  # "b" starts again with a full bucket


def test_a_clock_stepping_back_refills_nothing() -> None:
    bucket, _ = take(None, RateLimit(rate=1, burst=1), now=100.0)
    _, decision = take(bucket, RateLimit(rate=1, burst=1), now=50.0)
    assert not decision.allowed


@given(
    st.floats(0.5, 50),
    st.integers(1, 20),
    st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=200),
)
def test_never_more_than_burst_plus_rate_times_elapsed(
    rate: float, burst: int, offsets: list[float]
) -> None:
    limit = RateLimit(rate=rate, burst=burst)
    limiter = RateLimiter(limit)
    times = sorted(offsets)
    allowed = sum(limiter.take("k", t).allowed for t in times)
    assert allowed <= burst + rate * (times[-1] - times[0]) + 1e-9
    assert allowed >= min(len(times), burst)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20/40", RateLimit(20.0, 40)),
        ("5", RateLimit(5.0, 10)),
        ("0.5", RateLimit(0.5, 1)),
        (" OFF ", None),
    ],
)
def test_parse(text: str, expected: RateLimit | None) -> None:
    assert RateLimit.parse(text) == expected


@pytest.mark.parametrize("text", ["fast", "10/x", "-1/5", "10/0", "nan/3", "inf/3"])
def test_parse_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValidationError):
        RateLimit.parse(text)
