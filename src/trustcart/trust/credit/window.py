"""The platform-proxy frequency limit (TSD-CRD-AUTH): at most ``max_requests_per_window``
queries in any ``window_duration``. A pure sliding-log counter; time is an argument.

Strategy: remember the instants of the admitted queries that still fall inside the window, and
admit a new one only while fewer than the maximum remain. A query admitted at ``t`` counts for
every instant in ``[t, t + window)`` and no longer at ``t + window`` exactly. A sliding window
never lets ``2 * max`` queries through around a boundary the way fixed buckets do.

Rules: nothing is admitted for an instant before the last admitted one (a clock that runs
backwards is refused rather than trusted), and a refused query is not counted.

>>> from datetime import UTC, datetime, timedelta
>>> t0 = datetime(2026, 8, 12, 9, 0, tzinfo=UTC)
>>> window = RequestWindow(FrequencyLimit(max_requests=1, window=timedelta(seconds=60)))
>>> first = window.admit(t0)
>>> first.allowed, first.window.admit(t0 + timedelta(seconds=59)).allowed
(True, False)
>>> first.window.admit(t0 + timedelta(seconds=60)).allowed
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from trustcart.trust.credit.errors import InvalidCreditObject


@dataclass(frozen=True)
class FrequencyLimit:
    """``frequencyLimit``: ``maxRequestsPerWindow`` queries per ``windowDurationSeconds``."""

    max_requests: int
    window: timedelta

    def __post_init__(self) -> None:
        if isinstance(self.max_requests, bool) or not isinstance(self.max_requests, int):
            raise InvalidCreditObject("maxRequestsPerWindow must be an integer")
        if self.max_requests < 1:
            raise InvalidCreditObject("maxRequestsPerWindow must be at least 1")
        if self.window < timedelta(seconds=1) or self.window.microseconds:
            raise InvalidCreditObject("windowDurationSeconds must be a whole number >= 1")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> FrequencyLimit:
        seconds = obj["windowDurationSeconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise InvalidCreditObject("windowDurationSeconds must be an integer")
        return cls(max_requests=obj["maxRequestsPerWindow"], window=timedelta(seconds=seconds))

    def to_json(self) -> dict[str, int]:
        return {
            "maxRequestsPerWindow": self.max_requests,
            "windowDurationSeconds": int(self.window.total_seconds()),
        }


@dataclass(frozen=True)
class WindowDecision:
    allowed: bool
    window: RequestWindow  # the state to keep after this decision


@dataclass(frozen=True)
class RequestWindow:
    """The admitted query instants of one authorization that are still inside its window."""

    limit: FrequencyLimit
    admitted: tuple[datetime, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if any(instant.tzinfo is None for instant in self.admitted):
            raise InvalidCreditObject("window instants must be timezone-aware")
        if list(self.admitted) != sorted(self.admitted):
            raise InvalidCreditObject("window instants must be in order")

    def count_at(self, now: datetime) -> int:
        """How many admitted queries still count at ``now``."""
        return sum(1 for instant in self.admitted if instant <= now < instant + self.limit.window)

    def admit(self, now: datetime) -> WindowDecision:
        """Decide one query at ``now``; the returned window is the state to keep."""
        if now.tzinfo is None:
            raise InvalidCreditObject("now must be timezone-aware")
        if self.admitted and now < self.admitted[-1]:
            return WindowDecision(False, self)
        recent = tuple(instant for instant in self.admitted if now < instant + self.limit.window)
        pruned = RequestWindow(self.limit, recent)
        if len(recent) >= self.limit.max_requests:
            return WindowDecision(False, pruned)
        return WindowDecision(True, RequestWindow(self.limit, (*recent, now)))
