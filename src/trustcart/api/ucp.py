"""HTTP shell of the UCP 2026-04-08 business (REST binding), one host for the marketplace.

    GET  /.well-known/ucp                     the business profile (no UCP-Agent needed)
    POST /catalog/search | /catalog/lookup | /catalog/product
    POST /checkout-sessions                   201; Idempotency-Key required
    GET  /checkout-sessions/{id}
    PUT  /checkout-sessions/{id}              Idempotency-Key required
    POST /checkout-sessions/{id}/complete     Idempotency-Key required
    POST /checkout-sessions/{id}/cancel       Idempotency-Key required
    GET  /orders/{id}

Every request but the profile names its platform in ``UCP-Agent``. Bodies are JSON objects of
at most 64 KiB. Every refusal, including an unknown route and an unexpected failure, is a UCP
``error_response`` (``commerce.ucp.errors``), never problem+json. The service is synchronous
(database), so the routes run in the thread pool.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from trustcart.api.common import MAX_BODY_BYTES, read_body
from trustcart.commerce.errors import CommerceError
from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.business import Answer, UcpBusiness
from trustcart.commerce.ucp.errors import UcpCode, UcpError, from_commerce
from trustcart.commerce.ucp.profile import business_profile
from trustcart.commerce.ucp.render import render_checkout
from trustcart.commerce.ucp.requests import platform_profile
from trustcart.core.problem import ProblemError

log = logging.getLogger(__name__)


def _error(error: UcpError) -> JSONResponse:
    return JSONResponse(error.body(VERSION), status_code=error.status)


def _answer(answer: Answer) -> JSONResponse:
    return JSONResponse(answer.body, status_code=answer.status)


async def _json(request: Request, *, empty_ok: bool = False) -> dict[str, Any]:
    try:
        raw = await read_body(request, MAX_BODY_BYTES)
    except ProblemError as e:
        raise UcpError(UcpCode.BODY_TOO_LARGE, e.problem.detail, status=413) from e
    if empty_ok and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise UcpError(UcpCode.INVALID_JSON, "the body is not JSON", path="$") from e
    if not isinstance(body, dict):
        raise UcpError(UcpCode.INVALID_REQUEST, "the body must be a JSON object", path="$")
    return body


def create_ucp_app(
    business: UcpBusiness, signing_keys: Callable[[], list[dict[str, str]]]
) -> FastAPI:
    """The UCP business app; ``signing_keys`` gives the public JWKs to publish, when asked."""
    app = FastAPI(title="trustcart UCP business (2026-04-08)", docs_url=None, redoc_url=None)

    @app.exception_handler(UcpError)
    async def _ucp(_request: Request, exc: UcpError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(CommerceError)
    async def _commerce(_request: Request, exc: CommerceError) -> JSONResponse:
        return _error(from_commerce(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = UcpCode.NOT_FOUND if exc.status_code in (404, 405) else UcpCode.INVALID_REQUEST
        return _error(UcpError(code, str(exc.detail), status=exc.status_code))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("UCP request failed", exc_info=exc)
        return _error(UcpError(UcpCode.INTERNAL_ERROR, "internal error", status=500))

    @app.get("/.well-known/ucp")
    async def profile() -> JSONResponse:
        return JSONResponse(
            business_profile(business.base_url, signing_keys()),
            headers={"Cache-Control": "public, max-age=300"},
        )

    def platform(request: Request) -> str:
        return platform_profile(request.headers.get("ucp-agent"))

    def key(request: Request) -> str | None:
        return request.headers.get("idempotency-key")

    @app.post("/catalog/search")
    async def search(request: Request) -> JSONResponse:
        platform(request)
        body = await _json(request)
        return _answer(await run_in_threadpool(business.search, body))

    @app.post("/catalog/lookup")
    async def lookup(request: Request) -> JSONResponse:
        platform(request)
        body = await _json(request)
        return _answer(await run_in_threadpool(business.lookup, body))

    @app.post("/catalog/product")
    async def product(request: Request) -> JSONResponse:
        platform(request)
        body = await _json(request)
        return _answer(await run_in_threadpool(business.product, body))

    @app.post("/checkout-sessions")
    async def create(request: Request) -> JSONResponse:
        who, body = platform(request), await _json(request)
        return _answer(
            await run_in_threadpool(
                business.idempotent,
                who,
                "create",
                key(request),
                body,
                lambda: business.create(who, body),
            )
        )

    @app.get("/checkout-sessions/{session_id}")
    async def get(session_id: str, request: Request) -> JSONResponse:
        who = platform(request)
        view = await run_in_threadpool(business.get, who, session_id)
        return JSONResponse(render_checkout(view, business.base_url))

    @app.put("/checkout-sessions/{session_id}")
    async def update(session_id: str, request: Request) -> JSONResponse:
        who, body = platform(request), await _json(request)
        return _answer(
            await run_in_threadpool(
                business.idempotent,
                who,
                f"update {session_id}",
                key(request),
                body,
                lambda: business.update(who, session_id, body),
            )
        )

    @app.post("/checkout-sessions/{session_id}/complete")
    async def complete(session_id: str, request: Request) -> JSONResponse:
        who, body = platform(request), await _json(request)
        return _answer(
            await run_in_threadpool(
                business.idempotent,
                who,
                f"complete {session_id}",
                key(request),
                body,
                lambda: business.complete(who, session_id, body),
            )
        )

    @app.post("/checkout-sessions/{session_id}/cancel")
    async def cancel(session_id: str, request: Request) -> JSONResponse:
        who = platform(request)
        body = await _json(request, empty_ok=True)
        return _answer(
            await run_in_threadpool(
                business.idempotent,
                who,
                f"cancel {session_id}",
                key(request),
                body,
                lambda: business.cancel(who, session_id),
            )
        )

    @app.get("/orders/{order_id}")
    async def order(order_id: str, request: Request) -> JSONResponse:
        who = platform(request)
        return _answer(await run_in_threadpool(business.order, who, order_id))

    return app
