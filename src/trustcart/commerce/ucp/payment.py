"""The ``dev.trustcart.act_token`` payment handler: settle through the trustcart payment provider.

The platform's instrument carries a trustcart restricted payment token (bound to its agent, the
person's delegation and an allowance). At complete the checkout state machine confirms the ACT
cart (merchant-signed, when the session is bound to an IAC) and charges through this gateway,
which submits an L2 payment to the provider: token + IAC + cart, under an idempotency key derived
from the order. The provider checks the token, the credential's signature, window and status,
the cart's signature and the budget, and debits the ledger; its decline code is passed on. Without
an IAC there is nothing the provider could pay against: the charge is declined (``iac_required``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from trustcart.commerce.checkout_payment import ChargeRequest, ChargeResult, PaymentUnavailable
from trustcart.crypto.jws import peek_payload

IAC_REQUIRED = "iac-required"


class Payer(Protocol):
    """``payments.provider.PaymentProvider.submit_payment``."""

    def submit_payment(
        self, *, agent_id: str, idempotency_key: str, request: Mapping[str, Any]
    ) -> Any: ...


class ProviderGateway:
    """A ``PaymentGateway`` that pays a checkout with the provider in this installation."""

    def __init__(self, provider: Payer) -> None:
        self._provider = provider

    def charge(self, request: ChargeRequest) -> ChargeResult:
        if request.iac is None or request.cart is None:
            return ChargeResult(
                approved=False,
                decline_code=IAC_REQUIRED,
                message="this handler pays only against an ACT intent credential (act.iac)",
            )
        agent_id = str(peek_payload(request.iac).get("agent_id", ""))
        outcome = self._provider.submit_payment(
            agent_id=agent_id,
            idempotency_key=request.idempotency_key,
            request={
                "mode": "L2",
                "payment_token": request.token,
                "iac": request.iac,
                "cart": request.cart,
                "request_id": request.idempotency_key,
                "amount": request.amount.to_json(),
            },
        )
        status, body = int(outcome.status), dict(outcome.body)
        if status >= 500 or body.get("code") == "idempotency-in-flight":
            raise PaymentUnavailable(f"payment provider answered {status}")
        if status < 300:
            return ChargeResult(
                approved=True,
                trade_no=str(body["trade_no"]),
                receipt=str(body["receipt"]),
                credential_status=body.get("credential_status"),
            )
        return ChargeResult(
            approved=False,
            decline_code=str(body.get("code", "declined")),
            message=str(body.get("detail", "the payment was declined")),
        )
