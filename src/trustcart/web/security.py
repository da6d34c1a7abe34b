"""The web app's browser-side defences: security headers, CSRF tokens, same-origin writes.

Rules kept, each failing closed (``tests/web/test_security.py`` tries to get past each):

* every response carries the headers of ``SECURITY_HEADERS``: a Content-Security-Policy that
  allows scripts, styles, images and connections from this origin only (no ``'unsafe-inline'``,
  no ``'unsafe-eval'``: the pages have no inline script or style, and htmx runs with
  ``allowEval`` off), ``frame-ancestors 'none'``, ``nosniff``, ``same-origin`` referrers
  (``no-referrer`` would make Chromium send ``Origin: null`` on form posts, which the origin
  check below refuses); HTML pages are also ``no-store``;
* every state-changing request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token,
  in the ``X-CSRF-Token`` header (htmx) or the ``csrf_token`` form field, compared in constant
  time; a session without a token, a missing token or a wrong one is refused with 403;
* such a request must also come from this origin: an ``Origin`` header, when the browser sends
  one (all current browsers do on POST), must be exactly the request's own scheme and host;
* ``next`` targets after a form are local paths only (``safe_next``): no open redirect.

>>> safe_next("/console/roi?days=7")
'/console/roi?days=7'
>>> safe_next("//evil.example/x"), safe_next("https://evil.example/"), safe_next("/\\\\evil")
('/', '/', '/')
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustcart.core.errors import TrustcartError

CSRF_SESSION_KEY = "csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
SECURITY_HEADERS: Mapping[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=()",
}


class CsrfRefused(TrustcartError):
    """A state-changing request without this session's CSRF token, or from another origin."""


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def ensure_csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made the first time it is asked for."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = new_csrf_token()
        session[CSRF_SESSION_KEY] = token
    return token


def check_csrf(
    session: Mapping[str, Any],
    *,
    sent: str | None,
    origin: str | None,
    own_origin: str,
) -> None:
    """Refuse (``CsrfRefused``) unless ``sent`` is the session's token and ``origin`` is ours."""
    if origin is not None and origin != own_origin:
        raise CsrfRefused("the request came from another origin")
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not expected:
        raise CsrfRefused("this session has no CSRF token: reload the page")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused("the CSRF token is missing or wrong: reload the page")


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if (
        not isinstance(target, str)
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 for c in target)
        or len(target) > 500
    ):
        return default
    return target


class SecurityHeadersMiddleware:
    """Add ``SECURITY_HEADERS`` to every HTTP response; ``no-store`` to HTML ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.decode("latin-1").lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                content_type = Headers(raw=headers).get("content-type", "")
                if content_type.startswith("text/html"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
