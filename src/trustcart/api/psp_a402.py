"""HTTP shell of the PSP's A402 credential (``trustcart.payments.paywall.issuer``).

    POST /a402/credentials   RFC 9421-signed by the paying agent:
                             {"trade_no": "...", "cart": "<the act-cart+jwt it paid>"}
                             -> {"trade_no", "payment_proof", "expires_at"}

Mounted on the PSP app by the composition root (``add_a402_credential_route``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from trustcart.api.agent_auth import VerifiedRequest, require_signed_request
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.paywall.issuer import A402CredentialIssuer

Signed = Annotated[VerifiedRequest, Depends(require_signed_request)]


def add_a402_credential_route(app: FastAPI, issuer: A402CredentialIssuer) -> None:
    """Mount ``POST /a402/credentials`` on the PSP app (which holds the request verifier)."""

    @app.post("/a402/credentials", include_in_schema=False)
    async def a402_credential(signed: Signed) -> dict[str, Any]:
        if signed.role != "agent":
            raise PaymentRefused(PaymentProblem.ROLE_NOT_ALLOWED, "only an agent may call this")
        body = signed.json
        trade_no, cart = body.get("trade_no"), body.get("cart")
        if not isinstance(trade_no, str) or not isinstance(cart, str):
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "send trade_no and cart")
        return await run_in_threadpool(
            lambda: issuer.issue(agent_id=signed.party_id, trade_no=trade_no, cart=cart)
        )
