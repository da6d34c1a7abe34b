"""Parsing of the merchant API's request bodies into typed requests (pure).

Bodies are already JSON objects (``api.common.parse_json_object`` refused floats and non-objects).
Here each field is checked for type and range; unknown fields are refused, so a typo never
silently drops a limit. Every failure is a ``ValidationError`` (``invalid-request``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.commerce.cart import MAX_LINES, MAX_QUANTITY, CartConstraints
from trustcart.commerce.payment_capability import NegotiationRequest
from trustcart.core.categories import check_category
from trustcart.core.clock import parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.geo import parse_decimal
from trustcart.core.money import Money
from trustcart.core.payment import PaymentStatus

_TOKEN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}\Z")


def only_keys(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(obj) - allowed
    if unknown:
        raise ValidationError(f"{where}: unknown field(s) {sorted(unknown)}")


def identifier(obj: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _TOKEN_RE.match(value):
        raise ValidationError(f"{key} must be an identifier string")
    return value


def required_id(obj: Mapping[str, Any], key: str) -> str:
    value = identifier(obj, key)
    assert value is not None
    return value


def bounded_int(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{key} must be an integer within {low}..{high}")
    return value


def string_list(value: Any, key: str, *, max_items: int = 50) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > max_items:
        raise ValidationError(f"{key} must be a list of at most {max_items} strings")
    if not all(isinstance(v, str) and _TOKEN_RE.match(v) for v in value):
        raise ValidationError(f"{key} must hold identifier strings")
    return tuple(value)


def category_list(value: Any, key: str) -> tuple[str, ...]:
    return tuple(check_category(c) for c in string_list(value, key))


def optional_money(obj: Mapping[str, Any], key: str) -> Money | None:
    value = obj.get(key)
    return None if value is None else money_field(value, key)


def money_field(value: Any, key: str) -> Money:
    """``{"amount": "18.00", "currency": "CNY"}``; type-checked before ``Money`` sees it."""
    if not isinstance(value, dict) or not isinstance(value.get("currency"), str):
        raise ValidationError(f'{key} must be {{"amount": "<decimal>", "currency": "<ISO 4217>"}}')
    return Money.from_json(value)


def parse_constraints(obj: Any) -> CartConstraints:
    """Buyer limits for CID-CART-CFM, names as in the IAC's ``ext.commerce``."""
    if obj is None:
        return CartConstraints()
    if not isinstance(obj, dict):
        raise ValidationError("constraints must be an object")
    only_keys(
        obj,
        {
            "max_total_amount",
            "allowed_categories",
            "forbidden_categories",
            "allowed_merchants",
            "forbidden_merchants",
            "max_delivery_minutes",
            "max_total_quantity",
            "price_deviation_tolerance",
        },
        "constraints",
    )
    minutes = obj.get("max_delivery_minutes")
    quantity = obj.get("max_total_quantity")
    tolerance = obj.get("price_deviation_tolerance")
    return CartConstraints(
        max_total_amount=optional_money(obj, "max_total_amount"),
        allowed_categories=category_list(obj.get("allowed_categories"), "allowed_categories"),
        forbidden_categories=category_list(obj.get("forbidden_categories"), "forbidden_categories"),
        allowed_merchants=string_list(obj.get("allowed_merchants"), "allowed_merchants"),
        forbidden_merchants=string_list(obj.get("forbidden_merchants"), "forbidden_merchants"),
        max_delivery_minutes=(
            None if minutes is None else bounded_int(minutes, "max_delivery_minutes", 1, 10**6)
        ),
        max_total_quantity=(
            None if quantity is None else bounded_int(quantity, "max_total_quantity", 1, 10**4)
        ),
        price_tolerance_percent=(
            parse_decimal(tolerance, "price_deviation_tolerance")
            if tolerance is not None
            else parse_decimal("0", "tolerance")
        ),
    )


@dataclass(frozen=True, slots=True)
class CartItemRequest:
    product_id: str
    quantity: int
    expected_unit_price: Money | None


@dataclass(frozen=True, slots=True)
class ConfirmCartRequest:
    merchant_id: str
    items: tuple[CartItemRequest, ...]
    coupon_ids: tuple[str, ...] | None
    intent_id: str
    delegation_id: str
    agent_id: str
    payment_method: str
    constraints: CartConstraints


def parse_confirm_cart(body: Mapping[str, Any]) -> ConfirmCartRequest:
    """``POST /carts`` body::

    {"merchant_id": "m_...", "items": [{"product_id": "p_...", "quantity": 1,
                                        "expected_unit_price": {"amount": "19.00", ...}}],
     "coupon_ids": ["c_..."] (optional: else the best combination),
     "intent_id": "int_...", "delegation_id": "dlg_...", "agent_id": "agent:...",
     "payment_method": "trustcart-balance", "constraints": {...} (optional)}
    """
    only_keys(
        body,
        {
            "merchant_id",
            "items",
            "coupon_ids",
            "intent_id",
            "delegation_id",
            "agent_id",
            "payment_method",
            "constraints",
        },
        "cart",
    )
    raw_items = body.get("items")
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_LINES:
        raise ValidationError(f"items must be a list of 1..{MAX_LINES} objects")
    items = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            raise ValidationError("each item must be an object")
        only_keys(raw, {"product_id", "quantity", "expected_unit_price"}, "item")
        items.append(
            CartItemRequest(
                product_id=required_id(raw, "product_id"),
                quantity=bounded_int(raw.get("quantity"), "quantity", 1, MAX_QUANTITY),
                expected_unit_price=optional_money(raw, "expected_unit_price"),
            )
        )
    coupons = body.get("coupon_ids")
    return ConfirmCartRequest(
        merchant_id=required_id(body, "merchant_id"),
        items=tuple(items),
        coupon_ids=None if coupons is None else string_list(coupons, "coupon_ids", max_items=5),
        intent_id=required_id(body, "intent_id"),
        delegation_id=required_id(body, "delegation_id"),
        agent_id=required_id(body, "agent_id"),
        payment_method=required_id(body, "payment_method"),
        constraints=parse_constraints(body.get("constraints")),
    )


def parse_negotiation(body: Mapping[str, Any]) -> NegotiationRequest:
    """Two-way CID-PCA-NEG body; methods may be strings or ``{"method_id": ...}`` objects."""
    only_keys(
        body, {"agent_id", "buyer_supported_methods", "currency", "estimated_amount"}, "negotiation"
    )
    raw = body.get("buyer_supported_methods")
    if not isinstance(raw, list) or not 1 <= len(raw) <= 50:
        raise ValidationError("buyer_supported_methods must be a list of 1..50 methods")
    methods = [m.get("method_id") if isinstance(m, dict) else m for m in raw]
    currency = body.get("currency")
    if not isinstance(currency, str):
        raise ValidationError("currency must be an ISO 4217 code")
    amount = body.get("estimated_amount")
    estimated = (
        Money.parse(amount, currency)
        if isinstance(amount, str)
        else money_field(amount, "estimated_amount")
    )
    if estimated.currency != currency or estimated.is_negative():
        raise ValidationError("estimated_amount must be >= 0 in the stated currency")
    return NegotiationRequest(
        agent_id=required_id(body, "agent_id"),
        buyer_supported_methods=string_list(methods, "buyer_supported_methods"),
        currency=currency,
        estimated_amount=estimated,
    )


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    out_trade_no: str
    trade_no: str
    merchant_id: str
    amount: Money
    paid_at: datetime
    receipt: str  # the PSP-signed payment receipt (JWS, typ act-payment-receipt+jwt)


def parse_payment_notice(body: Mapping[str, Any]) -> PaymentNotice:
    """The PSP's notice::

    {"type": "payment.succeeded", "trade_no", "out_trade_no", "merchant_id", "amount",
     "paid_at", "receipt": "<jws>"}
    """
    only_keys(
        body,
        {
            "type",
            "status",
            "out_trade_no",
            "trade_no",
            "merchant_id",
            "amount",
            "paid_at",
            "receipt",
        },
        "payment notice",
    )
    if body.get("type") != "payment.succeeded" and body.get("status") != PaymentStatus.SUCCESS:
        raise ValidationError("only notices of a succeeded payment are accepted")
    paid_at = body.get("paid_at")
    receipt = body.get("receipt")
    if not isinstance(paid_at, str):
        raise ValidationError("paid_at must be an RFC 3339 instant")
    if not isinstance(receipt, str) or len(receipt) > 16_384:
        raise ValidationError("receipt must be the PSP's signed receipt (compact JWS)")
    return PaymentNotice(
        out_trade_no=required_id(body, "out_trade_no"),
        trade_no=required_id(body, "trade_no"),
        merchant_id=required_id(body, "merchant_id"),
        amount=money_field(body.get("amount"), "amount"),
        paid_at=parse_instant(paid_at),
        receipt=receipt,
    )


def receipt_agrees(notice: PaymentNotice, receipt: Mapping[str, Any]) -> bool:
    """Whether a verified receipt payload says what the notice says (and that it succeeded)."""
    try:
        return (
            receipt.get("status") == PaymentStatus.SUCCESS
            and receipt.get("trade_no") == notice.trade_no
            and receipt.get("out_trade_no") == notice.out_trade_no
            and receipt.get("merchant_id") == notice.merchant_id
            and money_field(receipt.get("amount"), "amount") == notice.amount
            and isinstance(receipt.get("paid_at"), str)
            and parse_instant(receipt["paid_at"]) == notice.paid_at
            and isinstance(receipt.get("cart_digest"), str)
        )
    except ValidationError:
        return False
