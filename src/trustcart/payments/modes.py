"""The payment request an agent sends (``POST /payments``), parsed strictly.

    {"mode": "L1" | "L2" | "L3", "payment_token": "ptk_...", "iac": "<IAC JWS>",
     "cart": "<merchant-signed cart JWS>", "approval": "<JWS>" (L1 only),
     "request_id": "req_...", "delegation_id": "dlg_..." (optional, must match the IAC),
     "amount": {"amount": "18.00", "currency": "CNY"} (optional, must equal the cart total)}

ACT: payment requests never carry the full cart contents in clear, only the merchant-signed
confirmed cart; amounts, merchant and order number are read from that signed cart. Unknown
fields are refused: a field the PSP does not understand might be one the agent relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.payments.errors import PaymentProblem, PaymentRefused

_FIELDS = {
    "mode",
    "payment_token",
    "iac",
    "cart",
    "approval",
    "request_id",
    "delegation_id",
    "amount",
}


@dataclass(frozen=True)
class PaymentRequest:
    mode: PaymentMode
    payment_token: str
    iac: str
    cart: str
    request_id: str
    approval: str | None = None
    delegation_id: str | None = None
    amount: Money | None = None


def _invalid(detail: str) -> PaymentRefused:
    return PaymentRefused(PaymentProblem.REQUEST_INVALID, detail)


def parse_payment_request(raw: Mapping[str, Any]) -> PaymentRequest:
    """Parse or raise ``PaymentRefused(payment-request-invalid)``."""
    unknown = set(raw) - _FIELDS
    if unknown:
        raise _invalid(f"unknown fields {sorted(unknown)}")
    for name in ("mode", "payment_token", "iac", "cart", "request_id"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise _invalid(f"{name} must be a non-empty string")
    for name in ("approval", "delegation_id"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise _invalid(f"{name} must be a string")
    try:
        mode = PaymentMode(raw["mode"])
    except ValueError as e:
        raise _invalid("mode must be L1, L2 or L3") from e
    amount = None
    if raw.get("amount") is not None:
        try:
            amount = Money.from_json(raw["amount"])
        except ValidationError as e:
            raise _invalid(f"amount: {e}") from e
    return PaymentRequest(
        mode=mode,
        payment_token=raw["payment_token"],
        iac=raw["iac"],
        cart=raw["cart"],
        request_id=raw["request_id"],
        approval=raw.get("approval"),
        delegation_id=raw.get("delegation_id"),
        amount=amount,
    )
