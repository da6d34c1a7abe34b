"""ACT CID-PCA-NEG: what payment methods a merchant accepts, and through which PSP (pure).

One-way: the merchant publishes ``act-payment-capability.json``::

    {"version": "2.1", "role": "payee", "agent_id": "m_leaf_and_cup",
     "supported_methods": [{"method_id": "trustcart-balance",
                            "psps": [{"psp_id": "psp:trustcart", "endpoint": "http://.../payments",
                                      "method_schema_url": "http://.../methods/trustcart-balance.json"}]}]}

Two-way: the buyer posts ``agent_id``, ``buyer_supported_methods``, ``currency`` and
``estimated_amount``; the answer is the flat list of ``{method_id, psp_id, endpoint,
method_schema_url}`` entries both sides support. An empty intersection is an error, so a payment
never starts without all four fields fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trustcart.commerce.errors import CommerceProblem, MethodNotSupported
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

CAPABILITY_VERSION = "2.1"


@dataclass(frozen=True, slots=True)
class PaymentOption:
    method_id: str
    psp_id: str
    endpoint: str
    method_schema_url: str

    def __post_init__(self) -> None:
        for name in ("method_id", "psp_id", "endpoint", "method_schema_url"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValidationError(f"{name} must be a non-empty string")

    def to_json(self) -> dict[str, str]:
        return {
            "method_id": self.method_id,
            "psp_id": self.psp_id,
            "endpoint": self.endpoint,
            "method_schema_url": self.method_schema_url,
        }

    def cart_payment(self) -> dict[str, str]:
        """The ``payment`` block of the confirmed cart."""
        return {"method_id": self.method_id, "psp_id": self.psp_id, "endpoint": self.endpoint}


def capability_document(merchant_id: str, options: Sequence[PaymentOption]) -> dict[str, Any]:
    """The one-way ``act-payment-capability.json`` document for one merchant."""
    methods: dict[str, list[dict[str, str]]] = {}
    for option in options:
        methods.setdefault(option.method_id, []).append(
            {
                "psp_id": option.psp_id,
                "endpoint": option.endpoint,
                "method_schema_url": option.method_schema_url,
            }
        )
    return {
        "version": CAPABILITY_VERSION,
        "role": "payee",
        "agent_id": merchant_id,
        "supported_methods": [{"method_id": m, "psps": psps} for m, psps in methods.items()],
    }


@dataclass(frozen=True, slots=True)
class NegotiationRequest:
    agent_id: str
    buyer_supported_methods: tuple[str, ...]
    currency: str
    estimated_amount: Money


def negotiate(
    options: Sequence[PaymentOption],
    request: NegotiationRequest,
    *,
    merchant_currency: str,
) -> list[PaymentOption]:
    """Options both sides support, in the merchant's order; raise if there are none."""
    if request.currency != merchant_currency:
        raise MethodNotSupported(
            CommerceProblem.CURRENCY_MISMATCH, f"this merchant takes {merchant_currency}"
        )
    common = [o for o in options if o.method_id in request.buyer_supported_methods]
    if not common:
        raise MethodNotSupported(
            CommerceProblem.METHOD_NOT_SUPPORTED, "no payment method is supported by both sides"
        )
    return common


def negotiation_response(
    merchant_id: str, request: NegotiationRequest, options: Sequence[PaymentOption]
) -> dict[str, Any]:
    return {
        "agent_id": merchant_id,
        "currency": request.currency,
        "estimated_amount": request.estimated_amount.to_json(),
        "supported_methods": [o.to_json() for o in options],
    }
