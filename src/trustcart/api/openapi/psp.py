"""The payment service provider's contract (PSD-*): bindings, payments, look-ups, refunds.

Payments and refunds are RFC 9421-signed (by the agent, by the paid merchant) and need an
``Idempotency-Key``; look-ups are signed too. A binding authenticates itself (the delegator's
JWS). Which status each ``PaymentProblem`` has comes from ``PAYMENT_PROBLEM_STATUS``, so the
documented statuses follow the code table.
"""

from __future__ import annotations

from collections.abc import Mapping

from trustcart.api.openapi.vocabulary import (
    IDEMPOTENCY_KEY,
    INSTANT,
    JWKS,
    JWS,
    MONEY,
    NON_EMPTY,
    REPLAYED,
    JsonBody,
    Operation,
    Reply,
    Schema,
    link,
    nullable,
    obj,
)
from trustcart.payments.errors import PAYMENT_PROBLEM_STATUS, PaymentProblem

_P = PaymentProblem


def problems(*codes: PaymentProblem, more: Mapping[int, str] | None = None) -> dict[int, str]:
    """``codes`` grouped under their statuses, with ``more`` (status -> text) appended.

    >>> problems(PaymentProblem.UNKNOWN_PAYMENT)
    {404: 'unknown-payment'}
    """
    grouped: dict[int, list[str]] = {}
    for code in codes:
        grouped.setdefault(PAYMENT_PROBLEM_STATUS[code], []).append(code.value)
    for status, text in (more or {}).items():
        grouped.setdefault(status, []).append(text)
    return {status: ", ".join(grouped[status]) for status in sorted(grouped)}


_STATUS_REFUSALS = (
    _P.IAC_INVALID,
    _P.IAC_SUSPENDED,
    _P.IAC_REVOKED,
    _P.IAC_EXPIRED,
    _P.IAC_NOT_YET_VALID,
    _P.STATUS_UNAVAILABLE,
)
_NOT_FOR_PAYMENTS = {
    _P.BINDING_REFUSED,
    _P.UNKNOWN_PAYMENT,
    _P.REFUND_EXCEEDS_PAYMENT,
    _P.NOT_PAYMENT_MERCHANT,
    _P.BASKET_INVALID,
}

PAYMENT: Schema = obj(
    {
        "trade_no": NON_EMPTY,
        "out_trade_no": NON_EMPTY,
        "merchant_id": NON_EMPTY,
        "status": {"type": "string", "enum": ["SUCCESS", "REFUNDED"]},
        "mode": {"type": "string", "enum": ["L1", "L2", "L3"]},
        "delegation_id": NON_EMPTY,
        "amount": MONEY,
        "refunded": MONEY,
        "paid_at": INSTANT,
        "receipt": {**JWS, "description": "the PSP-signed receipt (act-payment-receipt+jwt)"},
        "credential_status": {**JWS, "description": "the status attestation the PSP relied on"},
    },
    ("trade_no", "out_trade_no", "merchant_id", "status", "mode", "amount", "receipt"),
    closed=False,
)
_PAYMENT_LINKS = {
    "status": link(
        "getPayment", "the payment's current state", trade_no="$response.body#/trade_no"
    ),
    "byOrder": link(
        "findPayment",
        "the same payment, by the merchant's order number",
        merchant_id="$response.body#/merchant_id",
        out_trade_no="$response.body#/out_trade_no",
    ),
}

KEYS = Operation(
    "getPspKeys",
    "The PSP's receipt-signing key (JWKS)",
    replies=(Reply(200, "The PSP's key", JWKS),),
)

BIND = Operation(
    "bindPaymentToken",
    "Issue a restricted payment token for the agent an IAC names",
    body=JsonBody(
        {
            **obj(
                {
                    "binding": {**NON_EMPTY, "description": "act-payment-binding+jwt"},
                    "binding_request": {**NON_EMPTY, "description": "the same, by its ACT name"},
                },
                closed=False,
            ),
            "anyOf": [{"required": ["binding"]}, {"required": ["binding_request"]}],
        },
        description="the delegator's signed binding request (one of the two names)",
    ),
    replies=(
        Reply(
            201,
            "A token bound to one agent and one IAC",
            obj(
                {
                    "payment_token": NON_EMPTY,
                    "token_id": NON_EMPTY,
                    "agent_id": NON_EMPTY,
                    "delegation_id": NON_EMPTY,
                    "expires_at": INSTANT,
                },
                ("payment_token", "token_id", "agent_id", "delegation_id", "expires_at"),
            ),
        ),
    ),
    problems=problems(
        _P.BINDING_REFUSED, _P.CURRENCY_MISMATCH, _P.UNKNOWN_ACCOUNT, *_STATUS_REFUSALS
    ),
)

PAY = Operation(
    "submitPayment",
    "Pay a merchant-signed cart within an IAC "
    "(L1 with the person's approval, L2 delegated, L3 autonomous)",
    body=JsonBody(
        obj(
            {
                "mode": {"type": "string", "enum": ["L1", "L2", "L3"]},
                "payment_token": NON_EMPTY,
                "iac": {**NON_EMPTY, "description": "the IAC, compact JWS"},
                "cart": {**NON_EMPTY, "description": "the merchant-signed cart, compact JWS"},
                "request_id": NON_EMPTY,
                "approval": {**nullable({"type": "string"}), "description": "L1: the approval"},
                "delegation_id": nullable({"type": "string"}),
                "amount": nullable(MONEY),
            },
            ("mode", "payment_token", "iac", "cart", "request_id"),
        ),
        description="amounts, merchant and order are read from the signed cart, never sent",
        refusal=_P.REQUEST_INVALID,
    ),
    headers=(IDEMPOTENCY_KEY,),
    signed=True,
    replies=(
        Reply(
            200,
            "Paid (or the stored answer of this key)",
            PAYMENT,
            headers=(REPLAYED,),
            links=_PAYMENT_LINKS,
        ),
    ),
    problems=problems(*(code for code in _P if code not in _NOT_FOR_PAYMENTS)),
)

BASKET = Operation(
    "submitBasket",
    "Pay several merchant-signed carts under one BOUNDED IAC with one approval by the person "
    "over the set: every cart paid in one transaction, or none (docs/baskets.md)",
    body=JsonBody(
        obj(
            {
                "payment_token": NON_EMPTY,
                "iac": {**NON_EMPTY, "description": "the IAC, compact JWS"},
                "carts": {
                    "type": "array",
                    "items": NON_EMPTY,
                    "minItems": 1,
                    "maxItems": 10,
                    "description": "the merchant-signed carts, compact JWS each",
                },
                "approval": {
                    **NON_EMPTY,
                    "description": "the person's act-basket-approval+jwt over the set",
                },
                "request_id": NON_EMPTY,
                "delegation_id": nullable({"type": "string"}),
            },
            ("payment_token", "iac", "carts", "approval", "request_id"),
        ),
        description="amounts, merchants and orders are read from the signed carts",
        refusal=_P.REQUEST_INVALID,
    ),
    headers=(IDEMPOTENCY_KEY,),
    signed=True,
    replies=(
        Reply(
            200,
            "Every cart paid (or the stored answer of this key)",
            obj(
                {
                    "basket_id": NON_EMPTY,
                    "basket_digest": NON_EMPTY,
                    "policy": {"type": "string", "enum": ["all-or-nothing"]},
                    "amount": MONEY,
                    "payments": {"type": "array", "items": PAYMENT},
                },
                ("basket_id", "basket_digest", "policy", "amount", "payments"),
                closed=False,
            ),
            headers=(REPLAYED,),
        ),
    ),
    problems=problems(
        *(code for code in _P if code not in _NOT_FOR_PAYMENTS - {_P.BASKET_INVALID})
    ),
)

GET_PAYMENT = Operation(
    "getPayment",
    "A payment by trade number, for its agent or its merchant",
    signed=True,
    replies=(Reply(200, "The payment", PAYMENT),),
    problems=problems(
        _P.UNKNOWN_PAYMENT, more={400: "invalid-request (this endpoint takes no body)"}
    ),
)

FIND_PAYMENT = Operation(
    "findPayment",
    "A payment by the merchant's order number (after an unknown result: query, never pay twice)",
    signed=True,
    replies=(Reply(200, "The payment", PAYMENT),),
    problems=problems(
        _P.UNKNOWN_PAYMENT,
        more={400: "invalid-request (merchant_id and out_trade_no are required; no body)"},
    ),
)

REFUND = Operation(
    "submitRefund",
    "Refund (part of) a payment, asked by the paid merchant",
    body=JsonBody(
        obj(
            {
                "trade_no": NON_EMPTY,
                "amount": MONEY,
                "reason": {"type": "string", "maxLength": 500},
            },
            ("trade_no", "amount"),
        ),
        refusal=_P.REQUEST_INVALID,
    ),
    headers=(IDEMPOTENCY_KEY,),
    signed=True,
    replies=(
        Reply(
            200,
            "Refunded (or the stored answer of this key)",
            obj(
                {
                    "refund_id": NON_EMPTY,
                    "trade_no": NON_EMPTY,
                    "out_trade_no": NON_EMPTY,
                    "amount": MONEY,
                    "refunded_total": MONEY,
                    "payment_status": NON_EMPTY,
                    "refunded_at": INSTANT,
                },
                ("refund_id", "trade_no", "amount", "refunded_total", "payment_status"),
                closed=False,
            ),
            headers=(REPLAYED,),
        ),
    ),
    problems=problems(
        _P.REQUEST_INVALID,
        _P.IDEMPOTENCY_KEY_MISSING,
        _P.IDEMPOTENCY_CONFLICT,
        _P.IDEMPOTENCY_IN_FLIGHT,
        _P.ROLE_NOT_ALLOWED,
        _P.UNKNOWN_PAYMENT,
        _P.NOT_PAYMENT_MERCHANT,
        _P.CURRENCY_MISMATCH,
        _P.REFUND_EXCEEDS_PAYMENT,
    ),
)
