"""How a completing checkout is paid: a charge of a delegated token at the payment provider.

``PaymentGateway`` is the small Protocol the checkout needs; ``HttpPaymentGateway`` speaks the
trustcart payment provider's ``POST /delegated-charges`` (an RFC 9421-signed request by the
merchant; the signer is the ``httpx.Auth`` the composition root gives the client). Every charge
carries an idempotency key derived from the order, so a retried completion after a lost answer
gets the provider's first answer again and never a second charge.

A charge either succeeds (``trade_no`` and the provider's signed receipt), is declined (a
stable code from the provider: the token's allowance, expiry, merchant, session, the ACT
credential's checks), or its outcome is unknown (``PaymentUnavailable``): then the checkout
stays ``completing`` and a retry asks again with the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from trustcart.commerce.errors import CheckoutRefused, CommerceProblem
from trustcart.core.money import Money


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    token: str
    merchant_id: str
    checkout_session_id: str
    out_trade_no: str
    amount: Money
    idempotency_key: str
    cart: str | None = None  # the merchant-signed ACT cart (when an IAC is presented)
    iac: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token": self.token,
            "merchant_id": self.merchant_id,
            "checkout_session_id": self.checkout_session_id,
            "out_trade_no": self.out_trade_no,
            "amount": self.amount.to_json(),
        }
        if self.cart is not None:
            body["cart"] = self.cart
        if self.iac is not None:
            body["iac"] = self.iac
        return body


@dataclass(frozen=True, slots=True)
class ChargeResult:
    approved: bool
    trade_no: str | None = None
    receipt: str | None = None
    credential_status: str | None = None
    decline_code: str | None = None
    message: str = ""


class PaymentUnavailable(CheckoutRefused):
    """The provider could not be asked, or did not answer: the outcome is unknown."""

    def __init__(self, detail: str = "the payment provider did not answer") -> None:
        super().__init__(CommerceProblem.PAYMENT_UNAVAILABLE, detail, status=503)


class PaymentGateway(Protocol):
    def charge(self, request: ChargeRequest) -> ChargeResult: ...


class HttpPaymentGateway:
    """``POST <psp>/delegated-charges`` with ``Idempotency-Key``; the client signs (RFC 9421)."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self._client = client
        self._url = url

    def charge(self, request: ChargeRequest) -> ChargeResult:
        try:
            response = self._client.post(
                self._url,
                json=request.to_json(),
                headers={"Idempotency-Key": request.idempotency_key},
            )
        except httpx.HTTPError as e:
            raise PaymentUnavailable() from e
        try:
            body = response.json()
        except ValueError as e:
            raise PaymentUnavailable("the payment provider's answer is not JSON") from e
        if response.status_code >= 500 or response.status_code == 409 or not isinstance(body, dict):
            # 5xx or a charge still in flight: the outcome is not known yet.
            raise PaymentUnavailable(f"payment provider answered {response.status_code}")
        if response.status_code == 200:
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
