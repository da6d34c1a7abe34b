"""The marketplace's contract (CID-*): catalog reads, intent context, negotiation, carts, orders.

Reads of the catalog are public; every POST and ``GET /orders/{out_trade_no}`` is RFC 9421-signed
(agents, and the PSP for its payment notices). The body schemas are the merchant parsers' rules
(``commerce.requests``, ``commerce.intent_context``): unknown fields are refused, identifiers
follow ``IDENTIFIER``, amounts are ``MONEY``; the parsers still check what a schema cannot
(canonical categories, currency exponents, coordinates).
"""

from __future__ import annotations

from trustcart.api.openapi.vocabulary import (
    IDENTIFIER,
    INSTANT,
    JWKS,
    JWS,
    MONEY,
    NON_EMPTY,
    JsonBody,
    Operation,
    Reply,
    Schema,
    link,
    nullable,
    obj,
)
from trustcart.commerce.cart import MAX_LINES, MAX_QUANTITY
from trustcart.commerce.intent_context import MAX_CANDIDATES

_IDS: Schema = {"type": "array", "maxItems": 50, "items": IDENTIFIER}
_DECIMAL: Schema = {"type": "string", "description": "a decimal string, e.g. 30.2590"}
_OBJECT: Schema = {"type": "object"}
_SIGNED_AGENT_403 = "role-not-allowed (not an agent), agent-mismatch (agent_id is another agent)"

CART_CONSTRAINTS: Schema = obj(
    {
        "max_total_amount": nullable(MONEY),
        "allowed_categories": nullable(_IDS),
        "forbidden_categories": nullable(_IDS),
        "allowed_merchants": nullable(_IDS),
        "forbidden_merchants": nullable(_IDS),
        "max_delivery_minutes": nullable({"type": "integer", "minimum": 1, "maximum": 10**6}),
        "max_total_quantity": nullable({"type": "integer", "minimum": 1, "maximum": 10**4}),
        "price_deviation_tolerance": nullable(_DECIMAL),
    }
)
_CONTEXT_CONSTRAINTS: Schema = {
    **CART_CONSTRAINTS,
    "properties": {
        **CART_CONSTRAINTS["properties"],
        "max_unit_price": nullable(MONEY),
        "location": nullable(
            obj({"lat": _DECIMAL, "lon": _DECIMAL, "radius_km": nullable(_DECIMAL)})
        ),
    },
}
# In an update (previous_request_id) a null removes a key, so every context field may be null.
INTENT_CONTEXT: Schema = obj(
    {
        "query": nullable({"type": "string", "maxLength": 500}),
        "category": nullable({"type": "string"}),
        "quantity": nullable({"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}),
        "attributes": nullable({"type": "object", "additionalProperties": {"type": "string"}}),
        "constraints": nullable(_CONTEXT_CONSTRAINTS),
        "implicit": nullable(_OBJECT),
        "background": nullable(_OBJECT),
        "preferences": nullable(_OBJECT),
    }
)
PRODUCT: Schema = obj(
    {
        "product_id": NON_EMPTY,
        "merchant_id": NON_EMPTY,
        "title": {"type": "string"},
        "category": NON_EMPTY,
        "price": MONEY,
        "stock": {"type": "integer", "minimum": 0},
    },
    ("product_id", "merchant_id", "title", "category", "price"),
    closed=False,
)
OFFER: Schema = obj(
    {"merchant_id": NON_EMPTY, "items": {"type": "array"}, "total": MONEY},
    ("merchant_id", "items", "total"),
    closed=False,
)
ORDER: Schema = obj(
    {
        "out_trade_no": NON_EMPTY,
        "merchant_id": NON_EMPTY,
        "status": NON_EMPTY,
        "items": {"type": "array"},
        "total": MONEY,
        "cart": JWS,
        "cart_digest": NON_EMPTY,
        "confirmed_at": INSTANT,
        "price_locked_until": INSTANT,
    },
    ("out_trade_no", "merchant_id", "status", "items", "total"),
    closed=False,
)
_MERCHANT: Schema = obj(
    {"merchant_id": NON_EMPTY, "name": {"type": "string"}, "currency": NON_EMPTY},
    ("merchant_id", "name"),
    closed=False,
)

KEYS = Operation(
    "getMerchantKeys",
    "Every merchant's cart-signing key (JWKS)",
    replies=(Reply(200, "The merchants' keys", JWKS),),
)

MERCHANTS = Operation(
    "listMerchants",
    "The merchants of this marketplace, each with the kid that signs its carts",
    replies=(
        Reply(
            200,
            "The merchants",
            obj({"merchants": {"type": "array", "items": _MERCHANT}}, ("merchants",)),
            links={
                "capability": link(
                    "getPaymentCapability",
                    "the first merchant's payment capability",
                    merchant_id="$response.body#/merchants/0/merchant_id",
                )
            },
        ),
    ),
)

CAPABILITY = Operation(
    "getPaymentCapability",
    "The merchant's one-way payment capability (CID-PCA-NEG)",
    replies=(
        Reply(
            200,
            "act-payment-capability.json",
            obj(
                {
                    "version": NON_EMPTY,
                    "role": {"const": "payee"},
                    "agent_id": NON_EMPTY,
                    "supported_methods": {"type": "array", "items": _OBJECT},
                },
                ("version", "role", "agent_id", "supported_methods"),
                closed=False,
            ),
        ),
    ),
    problems={404: "unknown-merchant"},
)

PRODUCT_ITEM = Operation(
    "getProduct",
    "One catalog item (CID-MER-CAT)",
    replies=(Reply(200, "The product and its merchant", PRODUCT),),
    problems={404: "unknown-product"},
)

INTENT = Operation(
    "queryIntentContext",
    "Candidates with priced offers for an intent context (CID-INT-XFR)",
    body=JsonBody(
        obj(
            {
                "request_id": IDENTIFIER,
                "previous_request_id": nullable(IDENTIFIER),
                "intent_id": nullable(IDENTIFIER),
                "delegation_id": nullable(IDENTIFIER),
                "agent_id": nullable(IDENTIFIER),
                "context": INTENT_CONTEXT,
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_CANDIDATES},
            },
            ("request_id", "context"),
        ),
        description="a context, or (with previous_request_id) a delta on an earlier one",
    ),
    signed=True,
    replies=(
        Reply(
            200,
            "Ranked candidates, each with the offer this merchant would confirm",
            obj(
                {
                    "request_id": NON_EMPTY,
                    "context": _OBJECT,
                    "candidates": {
                        "type": "array",
                        "items": obj(
                            {"product": PRODUCT, "merchant": _OBJECT, "offer": OFFER},
                            ("product", "merchant", "offer"),
                            closed=False,
                        ),
                    },
                },
                ("request_id", "candidates"),
                closed=False,
            ),
            links={
                "product": link(
                    "getProduct",
                    "the first candidate's catalog item",
                    product_id="$response.body#/candidates/0/product/product_id",
                ),
                "negotiate": link(
                    "negotiatePayment",
                    "negotiate payment with the first candidate's merchant",
                    merchant_id="$response.body#/candidates/0/product/merchant_id",
                ),
            },
        ),
    ),
    problems={
        400: "invalid-request (a context the merchant cannot read: category, amounts, place)",
        403: _SIGNED_AGENT_403,
        404: "no-match, unknown-request (previous_request_id is unknown)",
        409: "request-id-reused",
    },
)

NEGOTIATE = Operation(
    "negotiatePayment",
    "Two-way payment negotiation (CID-PCA-NEG)",
    body=JsonBody(
        obj(
            {
                "agent_id": IDENTIFIER,
                "buyer_supported_methods": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 50,
                    "items": {
                        "anyOf": [
                            IDENTIFIER,
                            {**obj({"method_id": IDENTIFIER}, ("method_id",), closed=False)},
                        ]
                    },
                },
                "currency": {"type": "string"},
                "estimated_amount": {"anyOf": [{"type": "string"}, MONEY]},
            },
            ("agent_id", "buyer_supported_methods", "currency", "estimated_amount"),
        ),
    ),
    signed=True,
    replies=(
        Reply(
            200,
            "The methods both sides support, with the PSP to pay through",
            obj(
                {
                    "agent_id": NON_EMPTY,
                    "currency": NON_EMPTY,
                    "estimated_amount": MONEY,
                    "supported_methods": {"type": "array", "items": _OBJECT},
                },
                ("agent_id", "currency", "supported_methods"),
                closed=False,
            ),
        ),
    ),
    problems={
        403: _SIGNED_AGENT_403,
        404: "unknown-merchant",
        422: "method-not-supported, currency-mismatch",
    },
)

CART = Operation(
    "confirmCart",
    "Check, lock the price, hold stock and sign the cart (CID-CART-CFM)",
    body=JsonBody(
        obj(
            {
                "merchant_id": IDENTIFIER,
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_LINES,
                    "items": obj(
                        {
                            "product_id": IDENTIFIER,
                            "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                            "expected_unit_price": nullable(MONEY),
                        },
                        ("product_id", "quantity"),
                    ),
                },
                "coupon_ids": nullable({**_IDS, "maxItems": 5}),
                "intent_id": IDENTIFIER,
                "delegation_id": IDENTIFIER,
                "agent_id": IDENTIFIER,
                "payment_method": IDENTIFIER,
                "constraints": nullable(CART_CONSTRAINTS),
            },
            ("merchant_id", "items", "intent_id", "delegation_id", "payment_method"),
        ),
        description="agent_id defaults to the signing agent",
    ),
    signed=True,
    replies=(
        Reply(
            201,
            "Confirmed and signed; Location names the order",
            obj(
                {
                    "out_trade_no": NON_EMPTY,
                    "status": {"const": "CONFIRMED"},
                    "cart": {**JWS, "description": "the merchant-signed cart (act-cart+jwt)"},
                    "cart_digest": NON_EMPTY,
                    "price_locked_until": INSTANT,
                },
                ("out_trade_no", "status", "cart", "cart_digest", "price_locked_until"),
                closed=False,
            ),
            links={
                "order": link(
                    "getOrder", "the new order", out_trade_no="$response.body#/out_trade_no"
                )
            },
        ),
    ),
    problems={
        400: "invalid-request (a category, amount or coupon id the merchant cannot read)",
        403: _SIGNED_AGENT_403,
        404: "unknown-merchant, unknown-product",
        409: "out-of-stock, lock-failed",
        422: "price-changed, amount-exceeded, category-not-allowed, merchant-not-allowed, "
        "delivery-too-slow, quantity-exceeded, coupon-not-applicable, method-not-supported",
        503: "merchant-unavailable (the merchant cannot sign carts now)",
    },
)

ORDER_STATUS = Operation(
    "getOrder",
    "The order as it stands, for its agent or the PSP",
    signed=True,
    replies=(Reply(200, "The order", ORDER),),
    problems={
        400: "invalid-request (this endpoint takes no body)",
        404: "unknown-order (also for someone else's order)",
    },
)

NOTICE = Operation(
    "notifyPayment",
    "The PSP's payment notice, with its signed receipt",
    body=JsonBody(
        obj(
            {
                "type": {"type": "string", "description": "payment.succeeded"},
                "status": {"type": "string"},
                "out_trade_no": IDENTIFIER,
                "trade_no": IDENTIFIER,
                "merchant_id": IDENTIFIER,
                "amount": MONEY,
                "paid_at": INSTANT,
                "receipt": {"type": "string", "maxLength": 16_384},
            },
            ("out_trade_no", "trade_no", "merchant_id", "amount", "paid_at", "receipt"),
        ),
        description="type payment.succeeded (or status SUCCESS); the receipt is the PSP's JWS",
    ),
    signed=True,
    replies=(Reply(200, "The order, now paid", ORDER),),
    problems={
        400: "invalid-request (not a succeeded payment, or an unreadable field)",
        403: "role-not-allowed (not this merchant's PSP), receipt-invalid",
        404: "unknown-order",
        409: "cart-mismatch, amount-mismatch, cart-expired, illegal-transition",
    },
)
