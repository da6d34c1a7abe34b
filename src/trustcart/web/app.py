"""``create_web_app``: the shopper's pages and the merchant console on one FastAPI app.

Layers, outermost first: a host check (``TrustedHostMiddleware``: a request naming another
host, as a DNS-rebinding page would, is refused), the security headers
(``security.SecurityHeadersMiddleware``), and signed-cookie sessions (Starlette's
``SessionMiddleware``, itsdangerous-signed with the key in ``$TRUSTCART_HOME/web-session.key``;
HttpOnly, SameSite=Strict, 8 hours). Every route runs ``csrf_protect`` first, which refuses
a state-changing request without the session's CSRF token or from another origin.

Routes: ``pages`` (the shopper's home and search, the language switch), ``shop_pages`` and
``shop_records`` (the shopper's chat, signing in the browser, orders and delegations),
``console`` (login, merchants, onboarding, products, orders and refunds, coupons),
``console_catalog`` (imports with progress and error reports, the CSV template) and
``console_roi`` (the ROI dashboard), ``pictures`` (product pictures, same origin),
``tryon_pages`` (try-on in the browser) and ``console_pictures`` (a merchant's picture upload).
Static files (``static/``: the stylesheet and the vendored htmx) are served from this package.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from trustcart.web import (
    console,
    console_catalog,
    console_pictures,
    console_roi,
    pages,
    pictures,
    shop_disputes,
    shop_pages,
    shop_records,
    tryon_pages,
)
from trustcart.web.auth import LoginRequired
from trustcart.web.rendering import render
from trustcart.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    UNSAFE_METHODS,
    CsrfRefused,
    SecurityHeadersMiddleware,
    check_csrf,
)
from trustcart.web.services import WebServices

SESSION_COOKIE = "trustcart_session"
SESSION_SECONDS = 8 * 3600
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
STATIC = Path(__file__).resolve().parent / "static"


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request without this session's token or from another origin."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    check_csrf(
        request.session,
        sent=sent,
        origin=request.headers.get("origin"),
        own_origin=f"{request.url.scheme}://{request.url.netloc}",
    )


def create_web_app(services: WebServices, *, allowed_hosts: tuple[str, ...] = ()) -> FastAPI:
    """The web app over ``services``; ``allowed_hosts`` beyond loopback names (e.g. a LAN IP)."""
    app = FastAPI(
        title="trustcart web",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.services = services
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(console.router)
    app.include_router(console_catalog.router)
    app.include_router(console_roi.router)
    app.include_router(shop_pages.router)
    app.include_router(shop_records.router)
    app.include_router(shop_disputes.router)
    app.include_router(pictures.router)
    app.include_router(tryon_pages.router)
    app.include_router(console_pictures.router)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> HTMLResponse:
        return render(request, "error.html", 403, title_key="error.forbidden", detail=str(exc))

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.method in UNSAFE_METHODS:
            return render(request, "error.html", 403, title_key="error.login", detail="")
        return RedirectResponse(
            f"/console/login?next={quote(exc.next_path, safe='/')}", status_code=303
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        key = "error.not_found" if exc.status_code == 404 else "error.bad_request"
        return render(request, "error.html", exc.status_code, title_key=key, detail="")

    app.add_middleware(
        SessionMiddleware,
        secret_key=services.secrets.session_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=False,  # loopback is plain HTTP; behind TLS, set it at the proxy
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK_HOSTS, *allowed_hosts])
    return app
