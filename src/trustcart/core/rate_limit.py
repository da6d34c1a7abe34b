"""Token buckets: how many requests a client may make, refilled over time. Pure: time comes in.

Each key (a client address, say) has a bucket of at most ``burst`` tokens that refills at
``rate`` tokens a second. A request takes one token; with none left it is refused, and the
decision says how long until one is back (an HTTP shell sends that as ``Retry-After``). A key
never seen starts with a full bucket. The table keeps at most ``max_keys`` buckets and drops the
least recently used first, so a caller cycling through addresses cannot grow it without bound
(a dropped bucket comes back full, which costs a caller who churns keys nothing it did not
already have with a new address).

>>> limiter = RateLimiter(RateLimit(rate=1, burst=2))
>>> [limiter.take("a", now=0.0).allowed for _ in range(3)]
[True, True, False]
>>> limiter.take("b", now=0.0).allowed, limiter.take("a", now=1.0).allowed
(True, True)
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from trustcart.core.errors import ValidationError

__all__ = ["Bucket", "Decision", "RateLimit", "RateLimiter", "take"]


@dataclass(frozen=True)
class RateLimit:
    """``rate`` tokens a second, at most ``burst`` at once."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if isinstance(self.rate, bool) or not isinstance(self.rate, int | float):
            raise ValidationError("rate must be a number of requests a second")
        if not math.isfinite(self.rate) or self.rate <= 0:
            raise ValidationError("rate must be positive")
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ValidationError("burst must be a positive integer")

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"RATE/BURST"`` (``"20/40"``), ``"RATE"`` (burst = 2 x rate), or ``"off"`` (None).

        >>> RateLimit.parse("20/40"), RateLimit.parse("off")
        (RateLimit(rate=20.0, burst=40), None)
        """
        text = text.strip().lower()
        if text in ("off", "0", "none"):
            return None
        rate_text, _, burst_text = text.partition("/")
        try:
            rate = float(rate_text)
            burst = int(burst_text) if burst_text else max(1, math.ceil(2 * rate))
        except ValueError as e:
            raise ValidationError(f"a rate limit is RATE/BURST or off, not {text!r}") from e
        return cls(rate, burst)


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused with the seconds until a token is back."""

    allowed: bool
    retry_after: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, at least 1 (RFC 9110 ``Retry-After`` takes an integer)."""
        return str(max(1, math.ceil(self.retry_after)))


def take(bucket: Bucket | None, limit: RateLimit, now: float) -> tuple[Bucket, Decision]:
    """Refill ``bucket`` up to ``now`` and take one token if there is one.

    >>> bucket, decision = take(None, RateLimit(rate=2, burst=1), now=10.0)
    >>> decision.allowed, take(bucket, RateLimit(rate=2, burst=1), now=10.0)[1].retry_after
    (True, 0.5)
    """
    if bucket is None:
        tokens = float(limit.burst)
    else:
        elapsed = max(0.0, now - bucket.updated)  # a clock that steps back refills nothing
        tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.rate)
    if tokens >= 1.0:
        return Bucket(tokens - 1.0, now), Decision(True)
    return Bucket(tokens, now), Decision(False, (1.0 - tokens) / limit.rate)


class RateLimiter:
    """One bucket per key, at most ``max_keys`` of them (least recently used dropped first)."""

    def __init__(self, limit: RateLimit, *, max_keys: int = 10_000) -> None:
        if max_keys < 1:
            raise ValidationError("max_keys must be positive")
        self.limit = limit
        self._max_keys = max_keys
        self._buckets: OrderedDict[Hashable, Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: Hashable, now: float) -> Decision:
        """Take one token from ``key``'s bucket at ``now`` (seconds, any monotonic origin)."""
        with self._lock:
            bucket, decision = take(self._buckets.pop(key, None), self.limit, now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return decision
