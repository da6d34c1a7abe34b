"""Cart pricing, merchant-side pre-checks and the confirmed-cart payload (pure).

``price_cart`` turns lines into subtotal, coupons, shipping and total; ``precheck_cart`` applies
the buyer's stated limits (ACT CID-CART-CFM: amount, category, merchant, fulfilment time, price
tolerance) so that a cart that breaks them is never confirmed; ``cart_payload`` builds the object
the merchant signs, field for field as docs/wire-formats.md fixes it (covered fields are
append-only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from trustcart.commerce.catalog import Coupon, Merchant, Product
from trustcart.commerce.coupons import CouponChoice, best_coupon_combination, choose_coupons
from trustcart.commerce.errors import CommerceProblem, PrecheckFailed
from trustcart.core.categories import category_within, check_category
from trustcart.core.clock import format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money, sum_money

MAX_LINES = 50
MAX_QUANTITY = 99


@dataclass(frozen=True, slots=True)
class CartLine:
    product: Product
    quantity: int
    expected_unit_price: Money | None = None  # what the buyer saw; checked against tolerance

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValidationError("quantity must be an int")
        if not 1 <= self.quantity <= MAX_QUANTITY:
            raise ValidationError(f"quantity must be within 1..{MAX_QUANTITY}")

    @property
    def line_total(self) -> Money:
        return self.product.price * self.quantity

    def to_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product.product_id,
            "title": self.product.title,
            "category": self.product.category,
            "quantity": self.quantity,
            "unit_price": self.product.price.to_json(),
            "line_total": self.line_total.to_json(),
        }


@dataclass(frozen=True, slots=True)
class PricedCart:
    merchant: Merchant
    lines: tuple[CartLine, ...]
    subtotal: Money
    coupons: CouponChoice
    shipping: Money
    total: Money

    @property
    def delivery_minutes(self) -> int:
        return max(line.product.delivery_minutes for line in self.lines)

    def offer_json(self) -> dict[str, Any]:
        """The priced offer shown to an agent before confirmation (unsigned)."""
        return {
            "merchant_id": self.merchant.merchant_id,
            "items": [line.to_json() for line in self.lines],
            "subtotal": self.subtotal.to_json(),
            "discount": self.coupons.discount.to_json(),
            "coupons": [a.to_json() for a in self.coupons.applied],
            "shipping": self.shipping.to_json(),
            "total": self.total.to_json(),
            "delivery_minutes": self.delivery_minutes,
        }


def price_cart(
    merchant: Merchant,
    lines: Sequence[CartLine],
    coupons: Iterable[Coupon],
    *,
    now: datetime,
    coupon_ids: Sequence[str] | None = None,
    max_coupons: int = 3,
) -> PricedCart:
    """Price a one-merchant cart; ``coupon_ids=None`` picks the best coupon combination."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise ValidationError(f"a cart holds 1..{MAX_LINES} lines")
    if len({line.product.product_id for line in lines}) != len(lines):
        raise ValidationError("each product appears on one line only")
    for line in lines:
        if line.product.merchant_id != merchant.merchant_id:
            raise ValidationError("every line must be sold by the cart's merchant")
        if line.product.price.currency != merchant.currency:
            raise ValidationError("every line must be priced in the merchant's currency")
    subtotal = sum_money([line.line_total for line in lines], merchant.currency)
    categories = [line.product.category for line in lines]
    if coupon_ids is None:
        choice = best_coupon_combination(
            coupons,
            subtotal,
            categories=categories,
            now=now,
            merchant_id=merchant.merchant_id,
            max_coupons=max_coupons,
        )
    else:
        choice = choose_coupons(
            coupons,
            coupon_ids,
            subtotal,
            categories=categories,
            now=now,
            merchant_id=merchant.merchant_id,
            max_coupons=max_coupons,
        )
    shipping = merchant.delivery_fee
    total = subtotal - choice.discount + shipping
    return PricedCart(merchant, tuple(lines), subtotal, choice, shipping, total)


@dataclass(frozen=True, slots=True)
class CartConstraints:
    """Limits the buyer states at confirmation (often copied from its IAC); empty = no limit."""

    max_total_amount: Money | None = None
    allowed_categories: tuple[str, ...] = ()
    forbidden_categories: tuple[str, ...] = ()
    allowed_merchants: tuple[str, ...] = ()
    forbidden_merchants: tuple[str, ...] = ()
    max_delivery_minutes: int | None = None
    max_total_quantity: int | None = None
    price_tolerance_percent: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.price_tolerance_percent <= Decimal(100):
            raise ValidationError("price_tolerance_percent must be within 0..100")
        # Another spelling of a category could slip past a forbidden one: refuse it here, as
        # the credential does (core.categories).
        for category in (*self.allowed_categories, *self.forbidden_categories):
            check_category(category)


def _fail(code: CommerceProblem, detail: str, **extra: Any) -> PrecheckFailed:
    return PrecheckFailed(code, detail, **extra)


def precheck_cart(cart: PricedCart, limits: CartConstraints) -> None:
    """Raise ``PrecheckFailed`` with a stable code for the first limit the cart breaks."""
    merchant_id = cart.merchant.merchant_id
    if merchant_id in limits.forbidden_merchants or (
        limits.allowed_merchants and merchant_id not in limits.allowed_merchants
    ):
        raise _fail(CommerceProblem.MERCHANT_NOT_ALLOWED, f"merchant {merchant_id} is not allowed")
    for line in cart.lines:
        category = line.product.category
        if any(category_within(category, c) for c in limits.forbidden_categories) or (
            limits.allowed_categories
            and not any(category_within(category, c) for c in limits.allowed_categories)
        ):
            raise _fail(
                CommerceProblem.CATEGORY_NOT_ALLOWED,
                f"category {category} is not allowed",
                product_id=line.product.product_id,
            )
        expected = line.expected_unit_price
        if expected is not None:
            if expected.currency != line.product.price.currency:
                raise _fail(
                    CommerceProblem.PRICE_CHANGED,
                    "price currency differs",
                    product_id=line.product.product_id,
                )
            # Only increases beyond the tolerance stop the cart; a lower price only helps.
            allowed = Decimal(expected.minor) * (1 + limits.price_tolerance_percent / 100)
            if Decimal(line.product.price.minor) > allowed:
                raise _fail(
                    CommerceProblem.PRICE_CHANGED,
                    f"{line.product.product_id} now costs {line.product.price}",
                    product_id=line.product.product_id,
                    unit_price=line.product.price.to_json(),
                )
    if limits.max_total_amount is not None and (
        limits.max_total_amount.currency != cart.total.currency
        or cart.total > limits.max_total_amount
    ):
        raise _fail(
            CommerceProblem.AMOUNT_EXCEEDED,
            f"total {cart.total} exceeds {limits.max_total_amount}",
            total=cart.total.to_json(),
        )
    if limits.max_total_quantity is not None and (
        sum(line.quantity for line in cart.lines) > limits.max_total_quantity
    ):
        raise _fail(CommerceProblem.QUANTITY_EXCEEDED, "too many items")
    if limits.max_delivery_minutes is not None and (
        cart.delivery_minutes > limits.max_delivery_minutes
    ):
        raise _fail(
            CommerceProblem.DELIVERY_TOO_SLOW, f"delivery takes {cart.delivery_minutes} minutes"
        )


def cart_payload(
    cart: PricedCart,
    *,
    out_trade_no: str,
    intent_id: str,
    delegation_id: str,
    agent_id: str,
    payment: dict[str, str],
    confirmed_at: datetime,
    price_locked_until: datetime,
) -> dict[str, Any]:
    """The CID-CART-CFM object the merchant signs (``typ`` ``act-cart+jwt``)."""
    if set(payment) != {"method_id", "psp_id", "endpoint"}:
        raise ValidationError("payment needs exactly method_id, psp_id and endpoint")
    return {
        "out_trade_no": out_trade_no,
        "merchant_id": cart.merchant.merchant_id,
        "merchant_name": cart.merchant.name,
        "items": [line.to_json() for line in cart.lines],
        "subtotal": cart.subtotal.to_json(),
        "discount": cart.coupons.discount.to_json(),
        "shipping": cart.shipping.to_json(),
        "total": cart.total.to_json(),
        "coupons": [a.to_json() for a in cart.coupons.applied],
        "intent_id": intent_id,
        "delegation_id": delegation_id,
        "agent_id": agent_id,
        "payment": dict(payment),
        "confirmed_at": format_instant(confirmed_at),
        "price_locked_until": format_instant(price_locked_until),
    }
