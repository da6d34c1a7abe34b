"""When a failed delivery is tried again: exponential backoff with jitter. Pure.

After the ``n``-th failed attempt the next one waits between half and all of
``ceiling(n) = min(cap, first * factor ** (n - 1))`` ("equal jitter"): the fixed half keeps a
dead destination from being hammered, the random half keeps many relays that failed together
from retrying together. The random part is a number in ``[0, 1)`` passed in (``unit_from``
turns random bytes into one), so a schedule is reproducible in tests.

>>> from datetime import timedelta
>>> schedule = Backoff(first=timedelta(seconds=1), cap=timedelta(seconds=60))
>>> [schedule.ceiling(n).total_seconds() for n in (1, 2, 3, 7, 8, 50)]
[1.0, 2.0, 4.0, 60.0, 60.0, 60.0]
>>> schedule.delay(3, 0.0).total_seconds(), schedule.delay(3, 0.5).total_seconds()
(2.0, 3.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from trustcart.core.ids import RandomBytes
from trustcart.delivery.errors import InvalidMessage


@dataclass(frozen=True)
class Backoff:
    """The retry schedule: the first ceiling, how it grows, and where it stops growing."""

    first: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(minutes=10)
    factor: int = 2

    def __post_init__(self) -> None:
        if self.first <= timedelta(0) or self.cap < self.first:
            raise InvalidMessage("backoff needs 0 < first <= cap")
        if isinstance(self.factor, bool) or not isinstance(self.factor, int) or self.factor < 1:
            raise InvalidMessage("backoff factor must be an int >= 1")

    def ceiling(self, attempt: int) -> timedelta:
        """The longest wait after the ``attempt``-th failure (``attempt`` >= 1)."""
        if attempt < 1:
            raise InvalidMessage("attempts are counted from 1")
        ceiling = self.first
        for _ in range(attempt - 1):  # stops as soon as the cap is reached: no huge powers
            if ceiling >= self.cap:
                break
            ceiling *= self.factor
        return min(ceiling, self.cap)

    def delay(self, attempt: int, unit: float) -> timedelta:
        """The wait after the ``attempt``-th failure, for a random ``unit`` in [0, 1)."""
        if not 0.0 <= unit < 1.0:
            raise InvalidMessage("the random unit must lie in [0, 1)")
        half = self.ceiling(attempt) / 2
        return half + half * unit


def unit_from(random_bytes: RandomBytes) -> float:
    """A number in [0, 1) from 53 random bits.

    >>> unit_from(lambda n: bytes(n)), unit_from(lambda n: b"\\xff" * n) < 1.0
    (0.0, True)
    """
    return (int.from_bytes(random_bytes(8), "big") >> 11) / float(1 << 53)
