"""HTTP shell of pay-per-call: trustcart resources behind A402 (and x402 v2, when given).

    GET  /paid/price-history/{product_id}   a merchant's paid API (price history per product)
    GET  /paid/goods/{good_id}              a demo digital good
    POST /a402/carts                        CID-CART-CFM for an open A402 order:
                                            {"out_trade_no", "delegation_id", "intent_id",
                                             "agent_id"} -> {"cart": "<act-cart+jwt>"}

A request to a paid path without a usable proof gets ``402`` with ``Payment-Needed`` (A402)
and, when an x402 seller is configured, ``PAYMENT-REQUIRED`` (x402 v2) for the same resource;
the body is for people. A retry with ``Payment-Proof`` is decided by ``A402Seller.admit``, one
with ``PAYMENT-SIGNATURE`` by ``X402Seller.admit``; either way the content is produced only
after the payment was validated and recorded, and the answer carries ``Payment-Validation``
or ``PAYMENT-RESPONSE``. The request binding (method, target, body digest, idempotency key) is
computed here from the request as received. Services are synchronous (database), so they run
in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.api.common import read_body, read_json_object
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.payments.a402.codec import PAYMENT_PROOF
from trustcart.payments.a402.gate import AccessGranted, PaymentChallenge
from trustcart.payments.a402.model import RequestBinding, request_fingerprint
from trustcart.payments.paywall.resources import PaidResource
from trustcart.payments.paywall.seller import A402Seller, CartRefused

IDEMPOTENCY_HEADER = "Idempotency-Key"
Producer = Callable[[str], Mapping[str, Any]]


class SecondProtocol(Protocol):
    """What the shell needs of the x402 seller (``trustcart.payments.x402.seller``)."""

    proof_header: str

    def challenge_headers(
        self, resource: PaidResource, url: str, error: str = ""
    ) -> tuple[tuple[str, str], ...]: ...

    def settle_and_deliver(
        self,
        resource: PaidResource,
        url: str,
        header: str,
        produce: Callable[[], Mapping[str, Any]],
    ) -> tuple[int, tuple[tuple[str, str], ...], Mapping[str, Any]]: ...


@dataclass(frozen=True)
class PaidEndpoint:
    """A paid resource and the function that produces it for one path parameter."""

    resource: PaidResource
    produce: Producer


def _binding(request: Request, body: bytes) -> RequestBinding:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RequestBinding(
        request.method,
        request_fingerprint(request.method, target, body),
        request.headers.get(IDEMPOTENCY_HEADER),
    )


def _challenge_response(
    challenge: PaymentChallenge, extra: tuple[tuple[str, str], ...]
) -> JSONResponse:
    return JSONResponse(
        dict(challenge.body), status_code=challenge.status, headers=dict(challenge.headers + extra)
    )


def add_paid_routes(
    app: FastAPI,
    seller: A402Seller,
    *,
    price_history: PaidEndpoint,
    goods: PaidEndpoint,
    x402: SecondProtocol | None = None,
) -> None:
    """Mount the paid paths and the cart endpoint on a merchant app."""

    async def serve(request: Request, endpoint: PaidEndpoint, key: str) -> JSONResponse:
        body = await read_body(request)
        resource, url = endpoint.resource, str(request.url)
        if x402 is not None and request.headers.get(x402.proof_header) is not None:
            header = request.headers[x402.proof_header]
            status, headers, content = await run_in_threadpool(
                x402.settle_and_deliver, resource, url, header, lambda: endpoint.produce(key)
            )
            return JSONResponse(dict(content), status_code=status, headers=dict(headers))
        binding = _binding(request, body)
        decision = await run_in_threadpool(
            seller.admit, resource, binding, request.headers.get(PAYMENT_PROOF)
        )
        if isinstance(decision, PaymentChallenge):
            extra = () if x402 is None else x402.challenge_headers(resource, url)
            return _challenge_response(decision, extra)
        assert isinstance(decision, AccessGranted)
        try:
            content = await run_in_threadpool(endpoint.produce, key)
        except Exception:
            await run_in_threadpool(seller.compensate, decision.payment)
            raise
        name, value = await run_in_threadpool(seller.delivered, decision.payment)
        return JSONResponse(dict(content), headers={name: value})

    @app.get("/paid/price-history/{product_id}", include_in_schema=False)
    async def paid_price_history(product_id: str, request: Request) -> JSONResponse:
        return await serve(request, price_history, product_id)

    @app.get("/paid/goods/{good_id}", include_in_schema=False)
    async def paid_good(good_id: str, request: Request) -> JSONResponse:
        return await serve(request, goods, good_id)

    @app.post("/a402/carts", include_in_schema=False)
    async def a402_cart(request: Request) -> dict[str, str]:
        body = await read_json_object(request)
        fields = ("out_trade_no", "delegation_id", "intent_id", "agent_id")
        if not all(isinstance(body.get(name), str) and body[name] for name in fields):
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, f"send {', '.join(fields)}")
        try:
            cart = await run_in_threadpool(
                lambda: seller.confirm_cart(
                    body["out_trade_no"],
                    delegation_id=body["delegation_id"],
                    intent_id=body["intent_id"],
                    agent_id=body["agent_id"],
                )
            )
        except CartRefused as refused:
            raise ProblemError(CommonProblem.INVALID_REQUEST, 409, refused.detail) from refused
        return {"cart": cart}
