"""Time is passed in. Services take a ``Clock``; the pure core takes ``now`` as an argument.

All instants are timezone-aware UTC. On the wire they are RFC 3339 strings with a ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from trustcart.core.errors import ValidationError


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and deterministic runs: it moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValidationError("FixedClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant


def format_instant(instant: datetime) -> str:
    """RFC 3339 UTC with second precision and a ``Z``: 2026-11-29T08:00:00Z."""
    if instant.tzinfo is None:
        raise ValidationError("naive datetimes are not allowed")
    return instant.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 instant; it must carry an offset (``Z`` or ``+hh:mm``)."""
    if not isinstance(text, str):
        raise ValidationError("instant must be a string")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise ValidationError(f"invalid instant {text!r}") from e
    if value.tzinfo is None:
        raise ValidationError(f"instant {text!r} has no UTC offset")
    return value.astimezone(UTC)
