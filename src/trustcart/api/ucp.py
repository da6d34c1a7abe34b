"""HTTP shell of the UCP 2026-04-08 business (REST binding), one host for the marketplace.

    GET  /.well-known/ucp                     the business profile (no UCP-Agent needed)
    POST /catalog/search | /catalog/lookup | /catalog/product
    POST /checkout-sessions                   201; Idempotency-Key required
    GET  /checkout-sessions/{id}
    PUT  /checkout-sessions/{id}              Idempotency-Key required
    POST /checkout-sessions/{id}/complete     Idempotency-Key required
    POST /checkout-sessions/{id}/cancel       Idempotency-Key required
    POST /carts                               201; Idempotency-Key required
    GET  /carts/{id}
    PUT  /carts/{id}                          Idempotency-Key required
    POST /carts/{id}/cancel                   Idempotency-Key required
    GET  /orders/{id}

Every request but the profile names its platform in ``UCP-Agent`` and is admitted by
``api.ucp_gate`` (profile, RFC 9421 signature, negotiation) before anything is read or
written; every answer declares only the negotiated capabilities and, with ``response_key``,
is signed (``api.ucp_signing``). Bodies are JSON objects of
at most 64 KiB. Every refusal, including an unknown route and an unexpected failure, is a UCP
``error_response`` (``commerce.ucp.errors``), never problem+json. The service is synchronous
(database), so the routes run in the thread pool.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from trustcart.api.common import MAX_BODY_BYTES, read_body
from trustcart.api.ucp_gate import Caller, UcpGate
from trustcart.api.ucp_signing import SignResponses
from trustcart.commerce.errors import CommerceError
from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.business import Answer, UcpBusiness
from trustcart.commerce.ucp.carts import UcpCarts
from trustcart.commerce.ucp.errors import UcpCode, UcpError, from_commerce
from trustcart.commerce.ucp.negotiation import require, shape_response
from trustcart.commerce.ucp.profile import AP2_MANDATE, CART, CHECKOUT, business_profile
from trustcart.commerce.ucp.requests import platform_profile
from trustcart.core.problem import ProblemError
from trustcart.crypto.keys import SigningKey

SEARCH, LOOKUP = "dev.ucp.shopping.catalog.search", "dev.ucp.shopping.catalog.lookup"
ORDER = "dev.ucp.shopping.order"

log = logging.getLogger(__name__)


def _error(error: UcpError) -> JSONResponse:
    return JSONResponse(error.body(VERSION), status_code=error.status)


def _answer(answer: Answer) -> JSONResponse:
    return JSONResponse(answer.body, status_code=answer.status)


async def _raw(request: Request) -> bytes:
    try:
        return await read_body(request, MAX_BODY_BYTES)
    except ProblemError as e:
        raise UcpError(UcpCode.BODY_TOO_LARGE, e.problem.detail, status=413) from e


def _parse(raw: bytes, *, empty_ok: bool = False) -> dict[str, Any]:
    if empty_ok and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise UcpError(UcpCode.INVALID_JSON, "the body is not JSON", path="$") from e
    if not isinstance(body, dict):
        raise UcpError(UcpCode.INVALID_REQUEST, "the body must be a JSON object", path="$")
    return body


def _ap2(caller: Caller) -> bool:
    return AP2_MANDATE in caller.negotiated.capabilities


def _is_checkout(answer: Answer, body: dict[str, Any]) -> bool:
    meta = body.get("ucp")
    return (
        answer.status < 300
        and isinstance(meta, dict)
        and meta.get("status") != "error"
        and "id" in body
    )


class _Shell:
    """What every route does around the business: admit, run once, shape the answer."""

    def __init__(self, business: UcpBusiness, gate: UcpGate) -> None:
        self._business, self._gate = business, gate

    async def admit(
        self, request: Request, root: str, *, empty_ok: bool = False
    ) -> tuple[Caller, dict[str, Any]]:
        """The admitted caller and the JSON body (``{}`` for a request without one)."""
        platform_profile(request.headers.get("ucp-agent"))  # a missing header first
        raw = await _raw(request)
        caller = await self._gate.admit(request, raw, root)
        if request.method == "GET":
            return caller, {}
        return caller, _parse(raw, empty_ok=empty_ok)

    def shaped(self, caller: Caller, root: str, answer: Answer) -> JSONResponse:
        body = shape_response(answer.body, caller.negotiated, root)
        if root == CHECKOUT and _ap2(caller) and _is_checkout(answer, body):
            # AP2 negotiated: every checkout answer carries our authorization, over the body
            # exactly as sent (commerce.ucp.ap2)
            body = self._business.mandates.authorize(body)
        return JSONResponse(body, status_code=answer.status)

    async def once(
        self, request: Request, caller: Caller, operation: str, body: Any, run: Callable[[], Answer]
    ) -> Answer:
        return await run_in_threadpool(
            self._business.idempotent,
            caller.platform,
            operation,
            request.headers.get("idempotency-key"),
            body,
            run,
        )


def _cart_routes(app: FastAPI, shell: _Shell, carts: UcpCarts) -> None:
    admit, once, shaped = shell.admit, shell.once, shell.shaped

    @app.post("/carts")
    async def create_cart(request: Request) -> JSONResponse:
        caller, body = await admit(request, CART)
        run = lambda: carts.create(caller.platform, body)  # noqa: E731
        return shaped(caller, CART, await once(request, caller, "create cart", body, run))

    @app.get("/carts/{cart_id}")
    async def get_cart(cart_id: str, request: Request) -> JSONResponse:
        caller, _ = await admit(request, CART)
        return shaped(caller, CART, await run_in_threadpool(carts.get, caller.platform, cart_id))

    @app.put("/carts/{cart_id}")
    async def update_cart(cart_id: str, request: Request) -> JSONResponse:
        caller, body = await admit(request, CART)
        run = lambda: carts.update(caller.platform, cart_id, body)  # noqa: E731
        answer = await once(request, caller, f"update cart {cart_id}", body, run)
        return shaped(caller, CART, answer)

    @app.post("/carts/{cart_id}/cancel")
    async def cancel_cart(cart_id: str, request: Request) -> JSONResponse:
        caller, body = await admit(request, CART, empty_ok=True)
        run = lambda: carts.cancel(caller.platform, cart_id)  # noqa: E731
        answer = await once(request, caller, f"cancel cart {cart_id}", body, run)
        return shaped(caller, CART, answer)


def create_ucp_app(
    business: UcpBusiness,
    signing_keys: Callable[[], list[dict[str, str]]],
    *,
    carts: UcpCarts,
    gate: UcpGate,
    response_key: tuple[SigningKey, str] | None = None,
    now: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The UCP business app.

    ``signing_keys`` gives the public JWKs to publish, when asked; ``gate`` admits callers
    (``api.ucp_gate``); ``response_key`` (key, kid) signs every response (``api.ucp_signing``).
    """
    app = FastAPI(title="trustcart UCP business (2026-04-08)", docs_url=None, redoc_url=None)
    if response_key is not None:
        app.add_middleware(
            SignResponses, key=response_key[0], keyid=response_key[1], now=now or _utc_now
        )

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

    shell = _Shell(business, gate)
    admit, once, shaped = shell.admit, shell.once, shell.shaped

    @app.post("/catalog/search")
    async def search(request: Request) -> JSONResponse:
        caller, body = await admit(request, SEARCH)
        return shaped(caller, SEARCH, await run_in_threadpool(business.search, body))

    @app.post("/catalog/lookup")
    async def lookup(request: Request) -> JSONResponse:
        caller, body = await admit(request, LOOKUP)
        return shaped(caller, LOOKUP, await run_in_threadpool(business.lookup, body))

    @app.post("/catalog/product")
    async def product(request: Request) -> JSONResponse:
        caller, body = await admit(request, LOOKUP)
        return shaped(caller, LOOKUP, await run_in_threadpool(business.product, body))

    @app.post("/checkout-sessions")
    async def create(request: Request) -> JSONResponse:
        caller, body = await admit(request, CHECKOUT)
        who = caller.platform
        if "cart_id" in body:
            require(caller.negotiated, CART)  # cart_id exists only with the cart capability
            run = lambda: carts.convert(who, body)  # noqa: E731
        else:
            run = lambda: business.create(who, body)  # noqa: E731
        return shaped(caller, CHECKOUT, await once(request, caller, "create", body, run))

    @app.get("/checkout-sessions/{session_id}")
    async def get(session_id: str, request: Request) -> JSONResponse:
        caller, _ = await admit(request, CHECKOUT)
        view = await run_in_threadpool(business.get, caller.platform, session_id)
        return shaped(caller, CHECKOUT, business.render(view))

    @app.put("/checkout-sessions/{session_id}")
    async def update(session_id: str, request: Request) -> JSONResponse:
        caller, body = await admit(request, CHECKOUT)
        run = lambda: business.update(caller.platform, session_id, body)  # noqa: E731
        answer = await once(request, caller, f"update {session_id}", body, run)
        return shaped(caller, CHECKOUT, answer)

    @app.post("/checkout-sessions/{session_id}/complete")
    async def complete(session_id: str, request: Request) -> JSONResponse:
        caller, body = await admit(request, CHECKOUT)
        ap2 = _ap2(caller)
        run = lambda: business.complete(caller.platform, session_id, body, ap2=ap2)  # noqa: E731
        answer = await once(request, caller, f"complete {session_id}", body, run)
        return shaped(caller, CHECKOUT, answer)

    @app.post("/checkout-sessions/{session_id}/cancel")
    async def cancel(session_id: str, request: Request) -> JSONResponse:
        caller, body = await admit(request, CHECKOUT, empty_ok=True)
        run = lambda: business.cancel(caller.platform, session_id)  # noqa: E731
        answer = await once(request, caller, f"cancel {session_id}", body, run)
        return shaped(caller, CHECKOUT, answer)

    _cart_routes(app, shell, carts)

    @app.get("/orders/{order_id}")
    async def order(order_id: str, request: Request) -> JSONResponse:
        caller, _ = await admit(request, ORDER)
        return shaped(
            caller, ORDER, await run_in_threadpool(business.order, caller.platform, order_id)
        )

    return app


def _utc_now() -> datetime:
    return datetime.now(UTC)
