"""The web app's embedded secrets, and the console login's check and throttle.

On first run two secrets are generated into ``$TRUSTCART_HOME`` with mode 0600 and kept:

    web-session.key        the key that signs session cookies (itsdangerous, via Starlette)
    console-password.txt   the merchant console's password (``trustcart web`` prints it)

``TRUSTCART_CONSOLE_PASSWORD`` replaces the stored password (e.g. in a deployment whose
secrets come from elsewhere). The password is compared in constant time. ``LoginThrottle``
refuses every attempt, right or wrong, after ``MAX_FAILURES`` wrong ones within ``WINDOW``,
until the window has passed: guessing is bounded even from loopback. Pure but for the files.

>>> from datetime import UTC, datetime
>>> throttle = LoginThrottle(max_failures=2)
>>> t = datetime(2026, 12, 1, tzinfo=UTC)
>>> throttle.failed(t); throttle.failed(t); throttle.allowed(t)
False
>>> throttle.allowed(t + WINDOW)
True
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

SESSION_KEY_FILE = "web-session.key"
PASSWORD_FILE = "console-password.txt"  # noqa: S105 - a file name
PASSWORD_ENV = "TRUSTCART_CONSOLE_PASSWORD"  # noqa: S105 - a variable name
MAX_FAILURES = 5
WINDOW = timedelta(minutes=5)


def _read_or_create(path: Path, make: str) -> str:
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(make + "\n")
    return make


@dataclass(frozen=True)
class WebSecrets:
    session_key: str
    console_password: str
    password_source: str  # the file it came from, or the environment variable

    @classmethod
    def load(cls, home: Path) -> WebSecrets:
        """Read the secrets under ``home``, generating each the first time."""
        session_key = _read_or_create(home / SESSION_KEY_FILE, secrets.token_urlsafe(48))
        from_env = os.environ.get(PASSWORD_ENV)
        if from_env:
            return cls(session_key, from_env, f"${PASSWORD_ENV}")
        path = home / PASSWORD_FILE
        return cls(session_key, _read_or_create(path, secrets.token_urlsafe(12)), str(path))

    def password_matches(self, attempt: str) -> bool:
        return hmac.compare_digest(attempt.encode(), self.console_password.encode())


class LoginThrottle:
    """At most ``max_failures`` wrong passwords per ``window``; then every attempt waits."""

    def __init__(self, *, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self._max = max_failures
        self._window = window
        self._failures: deque[datetime] = deque()
        self._lock = threading.Lock()

    def _forget(self, now: datetime) -> None:
        while self._failures and now - self._failures[0] >= self._window:
            self._failures.popleft()

    def allowed(self, now: datetime) -> bool:
        with self._lock:
            self._forget(now)
            return len(self._failures) < self._max

    def failed(self, now: datetime) -> None:
        with self._lock:
            self._forget(now)
            self._failures.append(now)
