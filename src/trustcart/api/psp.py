"""HTTP shell of the payment service provider (ACT PSD).

    POST /bindings                 {"binding": "<act-payment-binding+jwt>"} -> 201
                                   (the delegator's own signed request; no RFC 9421 needed)
    POST /payments                 RFC 9421-signed by an agent, ``Idempotency-Key`` required
    POST /baskets                  the same, for several carts under one approval: all or none
    GET  /payments/{trade_no}      signed by the paying agent or the paid merchant
    GET  /payments?merchant_id=&out_trade_no=   the same, by order number (ACT: after an
                                   unknown result, query; never pay twice)
    POST /refunds                  signed by the paid merchant, ``Idempotency-Key`` required
    GET  /.well-known/jwks.json    the PSP's receipt-signing key
    POST /disputes, GET /disputes[/{id}], POST /disputes/{id}/appeal
                                   signed by the paying person's wallet or the paid
                                   merchant (``api.psp_disputes``), when given a service

Answers that were stored under an idempotency key are replayed byte for byte with
``Idempotent-Replayed: true``. Refusals are problem+json with a ``PaymentProblem`` code; a
payment held during a status outage (``payment-held``, 503) carries ``Retry-After``: retry
the same request under the same key.
The service is synchronous (database), so it runs in the thread pool, not on the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.api.agent_auth import (
    RequestVerifier,
    VerifiedRequest,
    require_signed_get,
    require_signed_request,
)
from trustcart.api.common import create_app, read_json_object
from trustcart.api.openapi import psp as contract
from trustcart.api.psp_ap2 import add_ap2_payment_route
from trustcart.api.psp_disputes import add_dispute_routes, dispute_verifier
from trustcart.core.problem import PROBLEM_CONTENT_TYPE, CommonProblem, ProblemError
from trustcart.disputes.service import DisputeService
from trustcart.payments import aup
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.outcomes import PaymentOutcome
from trustcart.payments.provider import PaymentProvider

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

Signed = Annotated[VerifiedRequest, Depends(require_signed_request)]
SignedGet = Annotated[VerifiedRequest, Depends(require_signed_get)]


def _require_role(signed: VerifiedRequest, role: str) -> None:
    if signed.role != role:
        raise PaymentRefused(PaymentProblem.ROLE_NOT_ALLOWED, f"only a {role} may call this")


def _idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if not key:
        raise PaymentRefused(
            PaymentProblem.IDEMPOTENCY_KEY_MISSING, f"send an {IDEMPOTENCY_HEADER} header"
        )
    return key


def _render(outcome: PaymentOutcome) -> JSONResponse:
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else {}
    retry_after = outcome.body.get("retry_after")
    if not outcome.ok and type(retry_after) is int:  # payment-held: when a retry is worthwhile
        headers["Retry-After"] = str(retry_after)
    media_type = "application/json" if outcome.ok else PROBLEM_CONTENT_TYPE
    return JSONResponse(
        outcome.body, status_code=outcome.status, headers=headers, media_type=media_type
    )


def create_psp_app(
    provider: PaymentProvider,
    request_verifier: RequestVerifier,
    *,
    disputes: DisputeService | None = None,
) -> FastAPI:
    """The PSP's FastAPI app. ``request_verifier`` must accept the roles agent and merchant.

    ``disputes``: the installation's dispute service, whose routes are then mounted too
    (verified over the same directory and replay cache, ``psp_disputes.dispute_verifier``).
    """
    app = create_app("trustcart payment service provider (ACT PSD)")
    app.state.request_verifier = request_verifier

    @app.get("/.well-known/jwks.json", **contract.KEYS.route())
    async def keys() -> dict[str, Any]:
        return provider.jwks()

    @app.post("/bindings", status_code=201, **contract.BIND.route())
    async def bind(request: Request) -> dict[str, str]:
        body = contract.BIND.check(await read_json_object(request))
        # "binding" is what trustcart's wallet sends; "binding_request" is accepted as well.
        token = body.get("binding", body.get("binding_request"))
        if not isinstance(token, str) or not token:
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "'binding' must be a JWS string")
        result = await run_in_threadpool(provider.bind, token)
        return result.to_json()

    @app.post("/payments", **contract.PAY.route())
    async def pay(request: Request, signed: Signed) -> JSONResponse:
        try:
            _require_role(signed, "agent")
            key = _idempotency_key(request)
            body = contract.PAY.check(signed.json)
        except ProblemError as e:  # an L3 refusal names its stage (docs/aup.md)
            if isinstance(signed.json, dict) and aup.is_autonomous(signed.json):
                raise aup.staged_problem(e) from e
            raise
        outcome = await run_in_threadpool(
            lambda: provider.submit_payment(
                agent_id=signed.party_id, idempotency_key=key, request=body
            )
        )
        return _render(outcome)

    @app.post("/baskets", **contract.BASKET.route())
    async def pay_basket(request: Request, signed: Signed) -> JSONResponse:
        _require_role(signed, "agent")
        key = _idempotency_key(request)
        body = contract.BASKET.check(signed.json)
        outcome = await run_in_threadpool(
            lambda: provider.submit_basket(
                agent_id=signed.party_id, idempotency_key=key, request=body
            )
        )
        return _render(outcome)

    @app.get("/payments/{trade_no}", **contract.GET_PAYMENT.route())
    async def payment_status(trade_no: str, signed: SignedGet) -> dict[str, Any]:
        return await run_in_threadpool(
            lambda: provider.payment_status(trade_no, requester_id=signed.party_id)
        )

    @app.get("/payments", **contract.FIND_PAYMENT.route())
    async def find_payment(
        merchant_id: str, out_trade_no: str, signed: SignedGet
    ) -> dict[str, Any]:
        return await run_in_threadpool(
            lambda: provider.find_payment(merchant_id, out_trade_no, requester_id=signed.party_id)
        )

    @app.post("/refunds", **contract.REFUND.route())
    async def refund(request: Request, signed: Signed) -> JSONResponse:
        _require_role(signed, "merchant")
        key = _idempotency_key(request)
        body = contract.REFUND.check(signed.json)
        outcome = await run_in_threadpool(
            lambda: provider.submit_refund(
                merchant_id=signed.party_id, idempotency_key=key, request=body
            )
        )
        return _render(outcome)

    add_ap2_payment_route(app, provider)  # POST /ap2/payments (AP2 v0.2 mandates)
    if disputes is not None:  # TSD-ATT-DSP over HTTP (docs/disputes.md)
        add_dispute_routes(app, disputes, dispute_verifier(request_verifier))
    return app
