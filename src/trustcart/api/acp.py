"""ACP 2026-04-17 agentic checkout over HTTP: a thin FastAPI shell over ``commerce.acp.handler``.

Mounted under ``/acp`` of the merchant app (``local.deployment``), so one marketplace serves
every merchant's ACP checkout at ``<merchant>/acp/<merchant_id>``, beside its ACT routes and on
the same port: ``trustcart serve`` and ``demo`` need no extra server. Every route the pinned
``openapi.agentic_checkout.yaml`` names lives below that base::

    POST /acp/{merchant_id}/checkout_sessions
    GET  /acp/{merchant_id}/checkout_sessions/{id}        POST  (update)
    POST /acp/{merchant_id}/checkout_sessions/{id}/complete
    POST /acp/{merchant_id}/checkout_sessions/{id}/cancel
    GET  /acp/{merchant_id}/orders/{order_id}

Rules of the shell: the method, path, lower-cased headers and raw body go to the handler
unparsed (it checks them in ACP's order, ``commerce.acp.handler``); the body is read up to
``MAX_BODY`` + 1 bytes only; every answer, an unexpected failure included, is ACP's flat
error object ``{type, code, message, param}`` and never problem+json.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.acp.errors import AcpCode, AcpError, AcpType
from trustcart.commerce.acp.handler import MAX_BODY, AcpCheckoutHandler, AcpRequest

PREFIX = "/acp"
_log = logging.getLogger(__name__)


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            break  # the handler answers 413; the rest is not read
    return bytes(body)


def _answer(status: int, body: dict[str, object], headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def create_acp_app(handler: AcpCheckoutHandler, *, prefix: str = PREFIX) -> FastAPI:
    """The ACP checkout app; mount it at ``prefix`` (what clients sign is the full path)."""
    app = FastAPI(title="trustcart ACP checkout", docs_url=None, redoc_url=None, openapi_url=None)

    @app.api_route(
        "/{merchant_id}/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def acp(merchant_id: str, rest: str, request: Request) -> JSONResponse:
        body = await _read_body(request)
        full_path = f"{prefix}/{merchant_id}/{rest}"
        acp_request = AcpRequest(
            merchant_id=merchant_id,
            method=request.method,
            path=f"/{rest}",
            full_path=full_path,
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
        )
        try:
            # The handler does blocking database work: run it off the event loop.
            response = await run_in_threadpool(handler.handle, acp_request)
        except Exception:
            _log.exception("ACP request failed")
            error = AcpError(
                500,
                AcpCode.PROCESSING_ERROR,
                "the request was not completed",
                error_type=AcpType.PROCESSING_ERROR,
            )
            return _answer(500, error.to_json(), {})
        return _answer(response.status, response.body, response.headers)

    @app.exception_handler(404)
    async def _not_found(_request: Request, _exc: Exception) -> JSONResponse:
        error = AcpError(404, AcpCode.NOT_FOUND, "no ACP endpoint here")
        return _answer(404, error.to_json(), {})

    return app
