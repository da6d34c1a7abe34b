"""The merchant console's login: one operator, the embedded password, a throttle.

A console session is the signed session cookie with ``console`` set; logging in clears the
session first and issues a new CSRF token (no session fixation), logging out clears it.
``require_console`` guards every console route: without a login a page redirects to the login
form (``LoginRequired``), and a form post is refused.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import Request

from trustcart.core.clock import format_instant
from trustcart.core.errors import TrustcartError
from trustcart.web.rendering import CONSOLE_SESSION_KEY, LANG_SESSION_KEY
from trustcart.web.security import ensure_csrf_token
from trustcart.web.services import WebServices
from trustcart.web.shopper import SHOPPER_SESSION_KEY

CONSOLE_USER = "console"


class LoginRequired(TrustcartError):
    """A console route was asked for without a console login."""

    def __init__(self, next_path: str) -> None:
        super().__init__("log in to the merchant console")
        self.next_path = next_path


def services_of(request: Request) -> WebServices:
    services = request.app.state.services
    assert isinstance(services, WebServices)
    return services


def require_console(request: Request) -> WebServices:
    """The services, for a logged-in console session; ``LoginRequired`` otherwise."""
    if not request.session.get(CONSOLE_SESSION_KEY):
        raise LoginRequired(request.url.path)
    return services_of(request)


class LoginOutcome(StrEnum):
    LOGGED_IN = "logged-in"
    WRONG_PASSWORD = "wrong-password"  # noqa: S105 - an outcome, not a password
    THROTTLED = "throttled"


def log_in(request: Request, password: str) -> LoginOutcome:
    """Check the password (throttled); on success start a fresh console session."""
    services = services_of(request)
    now = services.clock.now()
    if not services.throttle.allowed(now):
        return LoginOutcome.THROTTLED
    if not services.secrets.password_matches(password):
        services.throttle.failed(now)
        return LoginOutcome.WRONG_PASSWORD
    kept = _kept(request.session)
    request.session.clear()
    request.session.update(kept)
    request.session[CONSOLE_SESSION_KEY] = {"user": CONSOLE_USER, "at": format_instant(now)}
    ensure_csrf_token(request.session)
    return LoginOutcome.LOGGED_IN


def log_out(request: Request) -> None:
    kept = _kept(request.session)
    request.session.clear()
    request.session.update(kept)


def _kept(session: dict[str, object]) -> dict[str, object]:
    """What survives a console login or logout: the language and the shopper id."""
    return {k: session[k] for k in (LANG_SESSION_KEY, SHOPPER_SESSION_KEY) if k in session}
