"""A real browser for the web tests: Playwright driving Debian's Chromium, offline.

``playwright install`` cannot download a browser here, so the tests launch the system's
``/usr/bin/chromium`` (``TRUSTCART_CHROMIUM`` overrides the path) with a fresh profile and the
flags that keep it from calling home. Where Chromium is absent the browser tests are skipped
with that reason; with ``TRUSTCART_REQUIRE_CHROMIUM=1`` (set by .ci/run) they fail instead.

``RequestLog`` records every request a page makes (navigations, scripts, styles, images,
fetches), so a test can assert that none left loopback.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Request

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def chromium_path() -> str | None:
    configured = os.environ.get("TRUSTCART_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def require_chromium() -> str:
    """The Chromium to drive, or skip (fail with TRUSTCART_REQUIRE_CHROMIUM=1) without one."""
    path = chromium_path()
    reason = None
    if path is None:
        reason = "Chromium not found (install Debian's chromium, or set TRUSTCART_CHROMIUM)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason is not None:
        message = f"browser tests skipped: {reason}"
        if os.environ.get("TRUSTCART_REQUIRE_CHROMIUM") == "1":
            pytest.fail(message + " (TRUSTCART_REQUIRE_CHROMIUM=1)")
        pytest.skip(message)
    assert path is not None
    return path


@dataclass
class RequestLog:
    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)

    def off_loopback(self) -> list[str]:
        """Every recorded URL whose host is not loopback (data: URLs never leave)."""
        return [
            url
            for url in self.urls
            if not url.startswith(("data:", "about:"))
            and (urlsplit(url).hostname or "") not in LOOPBACK
        ]


@contextmanager
def browser_context(
    *, width: int = 1280, height: int = 900, locale: str = "en-US"
) -> Iterator[tuple[BrowserContext, RequestLog]]:
    """A fresh Chromium profile; every request of every page is recorded in the log."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    log = RequestLog()
    with (
        tempfile.TemporaryDirectory(prefix="trustcart-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": width, "height": height},
            locale=locale,
            accept_downloads=True,
        )
        context.on("request", log.record)
        try:
            yield context, log
        finally:
            context.close()
