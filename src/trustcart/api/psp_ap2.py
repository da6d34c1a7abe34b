"""HTTP shell of the PSP's AP2 v0.2 mandate payments (``trustcart.payments.ap2_payments``).

    POST /ap2/payments   RFC 9421-signed by the paying agent, ``Idempotency-Key`` required:
                         {"payment_token", "iac", "request_id",
                          "checkout_mandate": "<SD-JWT+KB>", "payment_mandate": "<SD-JWT+KB>"}
                         -> the PSP's payment answer plus ``ap2_payment_receipt`` (JWS)
                         Human not present: each mandate a chain ``<open>~~<closed>``, paid
                         as L2 under a BOUNDED IAC (``payments.ap2_open_payments``)

Refusals are problem+json like every PSP answer; an AP2 one is ``ap2-mandate-refused`` with the
AP2 ``reason`` code and a signed Error ``ap2_payment_receipt``. Mounted by ``create_psp_app``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.api.agent_auth import VerifiedRequest, require_signed_request
from trustcart.core.problem import PROBLEM_CONTENT_TYPE
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.provider import PaymentProvider

Signed = Annotated[VerifiedRequest, Depends(require_signed_request)]


def add_ap2_payment_route(app: FastAPI, provider: PaymentProvider) -> None:
    """Mount ``POST /ap2/payments`` on the PSP app (which holds the request verifier)."""

    @app.post("/ap2/payments", include_in_schema=False)
    async def ap2_payment(request: Request, signed: Signed) -> JSONResponse:
        if signed.role != "agent":
            raise PaymentRefused(PaymentProblem.ROLE_NOT_ALLOWED, "only an agent may call this")
        key = request.headers.get("Idempotency-Key")
        if not key:
            raise PaymentRefused(
                PaymentProblem.IDEMPOTENCY_KEY_MISSING, "send an Idempotency-Key header"
            )
        if not isinstance(signed.json, dict):
            raise PaymentRefused(PaymentProblem.REQUEST_INVALID, "send a JSON object")
        body = signed.json
        outcome = await run_in_threadpool(
            lambda: provider.submit_ap2_payment(
                agent_id=signed.party_id, idempotency_key=key, request=body
            )
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        media_type = "application/json" if outcome.ok else PROBLEM_CONTENT_TYPE
        return JSONResponse(
            outcome.body, status_code=outcome.status, headers=headers, media_type=media_type
        )
