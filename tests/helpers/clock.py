"""The fixed instant every test's clock starts at."""

from datetime import UTC, datetime

T0 = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)
