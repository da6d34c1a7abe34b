"""Exception tree of ``trustcart.commerce``.

    TrustcartError
    ├── ValidationError            a catalog value object or a request field is malformed
    └── ProblemError
        └── CommerceError          a commerce rule refused the request (stable ``CommerceProblem``)
            ├── NotFound           unknown product / merchant / order / intent request
            ├── NoMatch            CID-INT-XFR found no candidate for the context
            ├── StockError         out-of-stock (nothing was reserved)
            ├── PrecheckFailed     CID-CART-CFM pre-check: price, amount, category, merchant...
            ├── LockFailed         price and stock could not be locked (database contention)
            ├── CartExpired        the price lock ran out before payment
            ├── PaymentMismatch    a payment notice disagrees with the locked cart
            ├── MethodNotSupported CID-PCA-NEG found no common payment method
            ├── IllegalTransition  an order state change the transition table forbids
            └── CheckoutRefused    a checkout session (ACP, UCP) cannot do what was asked

Every ``CommerceError`` carries a ``CommerceProblem`` code, so the HTTP shell renders it as
problem+json without a mapping table of its own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from trustcart.core.problem import ProblemError


class CommerceProblem(StrEnum):
    """Stable problem codes of the merchant API (append-only)."""

    NO_MATCH = "no-match"
    UNKNOWN_PRODUCT = "unknown-product"
    UNKNOWN_MERCHANT = "unknown-merchant"
    UNKNOWN_ORDER = "unknown-order"
    UNKNOWN_REQUEST = "unknown-request"
    REQUEST_ID_REUSED = "request-id-reused"
    OUT_OF_STOCK = "out-of-stock"
    PRICE_CHANGED = "price-changed"
    AMOUNT_EXCEEDED = "amount-exceeded"
    CATEGORY_NOT_ALLOWED = "category-not-allowed"
    MERCHANT_NOT_ALLOWED = "merchant-not-allowed"
    DELIVERY_TOO_SLOW = "delivery-too-slow"
    QUANTITY_EXCEEDED = "quantity-exceeded"
    COUPON_NOT_APPLICABLE = "coupon-not-applicable"
    LOCK_FAILED = "lock-failed"
    CART_EXPIRED = "cart-expired"
    AMOUNT_MISMATCH = "amount-mismatch"
    METHOD_NOT_SUPPORTED = "method-not-supported"
    CURRENCY_MISMATCH = "currency-mismatch"
    ILLEGAL_TRANSITION = "illegal-transition"
    AGENT_MISMATCH = "agent-mismatch"
    ROLE_NOT_ALLOWED = "role-not-allowed"
    RECEIPT_INVALID = "receipt-invalid"
    CART_MISMATCH = "cart-mismatch"
    MERCHANT_UNAVAILABLE = "merchant-unavailable"
    UNKNOWN_CHECKOUT = "unknown-checkout"
    CHECKOUT_ILLEGAL_TRANSITION = "checkout-illegal-transition"
    CHECKOUT_NOT_READY = "checkout-not-ready"
    CHECKOUT_PRICE_CHANGED = "checkout-price-changed"
    CHECKOUT_CURRENCY_UNSUPPORTED = "checkout-currency-unsupported"
    PAYMENT_DECLINED = "payment-declined"
    PAYMENT_UNAVAILABLE = "payment-unavailable"
    IAC_REFUSED = "iac-refused"


class CommerceError(ProblemError):
    """A commerce rule refused the request; ``code`` is a ``CommerceProblem``."""

    default_status = 409

    def __init__(
        self, code: CommerceProblem, detail: str = "", *, status: int | None = None, **extra: Any
    ) -> None:
        super().__init__(code, status or self.default_status, detail, **extra)


class NotFound(CommerceError):
    default_status = 404


class NoMatch(CommerceError):
    default_status = 404

    def __init__(self, detail: str = "no candidate matches the intent context") -> None:
        super().__init__(CommerceProblem.NO_MATCH, detail)


class StockError(CommerceError):
    default_status = 409


class PrecheckFailed(CommerceError):
    default_status = 422


class LockFailed(CommerceError):
    default_status = 409

    def __init__(self, detail: str = "price and stock could not be locked; retry") -> None:
        super().__init__(CommerceProblem.LOCK_FAILED, detail)


class CartExpired(CommerceError):
    default_status = 409

    def __init__(self, detail: str = "the cart's price lock has expired") -> None:
        super().__init__(CommerceProblem.CART_EXPIRED, detail)


class PaymentMismatch(CommerceError):
    default_status = 409


class MethodNotSupported(CommerceError):
    default_status = 422


class IllegalTransition(CommerceError):
    default_status = 409

    def __init__(self, current: str, event: str) -> None:
        super().__init__(
            CommerceProblem.ILLEGAL_TRANSITION,
            f"order in state {current} cannot {event}",
            state=current,
        )


class CheckoutRefused(CommerceError):
    """A checkout session refused a request (codes ``checkout-*``, ``payment-*``, ``iac-*``)."""

    default_status = 409
