"""Evaluate a purchase against an IAC: pure functions, stable reason codes.

Used three times for one purchase, each without trusting the others (ACT: "local checks don't
replace the PSP's"): by the agent before it asks for a cart (pre-check), by the agent again on
the merchant-confirmed cart, and by the payment provider against its own record of spending.

Every violated rule is reported, not only the first, so a person can be told everything that is
wrong at once. Reason codes are a StrEnum and never change meaning.

>>> # result = evaluate_purchase(iac, PurchaseFacts(...), SpendSoFar.zero("CNY"))
>>> # result.allowed, [str(r) for r in result.reasons]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from trustcart.core.categories import category_within, is_canonical_category
from trustcart.core.money import Money
from trustcart.delegation.iac import IAC
from trustcart.delegation.terms import DeviationAction


class ConstraintReason(StrEnum):
    OUTSIDE_VALIDITY_WINDOW = "outside-validity-window"
    CURRENCY_MISMATCH = "currency-mismatch"
    OVER_SINGLE_LIMIT = "over-single-limit"
    UNDER_SINGLE_MINIMUM = "under-single-minimum"
    OVER_TOTAL_BUDGET = "over-total-budget"
    OVER_QUANTITY = "over-quantity"
    MERCHANT_NOT_ALLOWED = "merchant-not-allowed"
    MERCHANT_FORBIDDEN = "merchant-forbidden"
    CATEGORY_NOT_ALLOWED = "category-not-allowed"
    CATEGORY_FORBIDDEN = "category-forbidden"
    PAYMENT_METHOD_NOT_ALLOWED = "payment-method-not-allowed"
    INVALID_AMOUNT = "invalid-amount"


REASON_TEXT: dict[ConstraintReason, str] = {
    ConstraintReason.OUTSIDE_VALIDITY_WINDOW: "the authorization is not valid at this time",
    ConstraintReason.CURRENCY_MISMATCH: "the price is in another currency than authorized",
    ConstraintReason.OVER_SINGLE_LIMIT: "this purchase is above the per-purchase limit",
    ConstraintReason.UNDER_SINGLE_MINIMUM: "this purchase is below the per-purchase minimum",
    ConstraintReason.OVER_TOTAL_BUDGET: "this purchase would exceed the total budget",
    ConstraintReason.OVER_QUANTITY: "this purchase would exceed the authorized quantity",
    ConstraintReason.MERCHANT_NOT_ALLOWED: "this merchant is not among the allowed merchants",
    ConstraintReason.MERCHANT_FORBIDDEN: "this merchant is forbidden",
    ConstraintReason.CATEGORY_NOT_ALLOWED: "this category is not among the allowed categories",
    ConstraintReason.CATEGORY_FORBIDDEN: "this category is forbidden",
    ConstraintReason.PAYMENT_METHOD_NOT_ALLOWED: "this payment method is not allowed",
    ConstraintReason.INVALID_AMOUNT: "the amount is not a positive amount",
}


@dataclass(frozen=True)
class PurchaseFacts:
    merchant_id: str
    categories: tuple[str, ...]
    amount: Money
    quantity: int
    payment_method: str
    at: datetime


@dataclass(frozen=True)
class SpendSoFar:
    """What the PSP has already paid under this delegation (successes only)."""

    total: Money
    count: int = 0
    quantity: int = 0

    @classmethod
    def zero(cls, currency: str) -> SpendSoFar:
        return cls(Money.zero(currency), 0, 0)


@dataclass(frozen=True)
class ConstraintResult:
    reasons: tuple[ConstraintReason, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons

    def explain(self) -> str:
        return "; ".join(REASON_TEXT[reason] for reason in self.reasons) or "allowed"


def evaluate_purchase(iac: IAC, purchase: PurchaseFacts, spent: SpendSoFar) -> ConstraintResult:
    """Return every ACT constraint the purchase violates (empty: allowed)."""
    reasons: list[ConstraintReason] = []
    terms = iac.commerce
    if not iac.in_window(purchase.at):
        reasons.append(ConstraintReason.OUTSIDE_VALIDITY_WINDOW)
    if purchase.amount.currency != iac.currency or spent.total.currency != iac.currency:
        # Amount rules below need one currency; nothing else is safe to compare.
        reasons.append(ConstraintReason.CURRENCY_MISMATCH)
    elif purchase.amount.minor <= 0 or purchase.quantity < 1:
        reasons.append(ConstraintReason.INVALID_AMOUNT)
    else:
        if terms.max_single is not None and purchase.amount > terms.max_single:
            reasons.append(ConstraintReason.OVER_SINGLE_LIMIT)
        if terms.min_single is not None and purchase.amount < terms.min_single:
            reasons.append(ConstraintReason.UNDER_SINGLE_MINIMUM)
        if spent.total + purchase.amount > iac.max_total:
            reasons.append(ConstraintReason.OVER_TOTAL_BUDGET)
    if terms.max_total_quantity is not None and (
        spent.quantity + purchase.quantity > terms.max_total_quantity
    ):
        reasons.append(ConstraintReason.OVER_QUANTITY)
    if terms.allowed_merchants and purchase.merchant_id not in terms.allowed_merchants:
        reasons.append(ConstraintReason.MERCHANT_NOT_ALLOWED)
    if purchase.merchant_id in terms.forbidden_merchants:
        reasons.append(ConstraintReason.MERCHANT_FORBIDDEN)
    allowed = terms.allowed_categories
    if not all(is_canonical_category(c) for c in purchase.categories) or (
        allowed
        and (
            not purchase.categories
            or not all(any(category_within(c, a) for a in allowed) for c in purchase.categories)
        )
    ):
        # A category in another spelling cannot be compared with the forbidden list either:
        # it is refused even when nothing is restricted, rather than guessed at.
        reasons.append(ConstraintReason.CATEGORY_NOT_ALLOWED)
    if any(category_within(c, f) for c in purchase.categories for f in terms.forbidden_categories):
        reasons.append(ConstraintReason.CATEGORY_FORBIDDEN)
    if iac.allowed_payment_methods and purchase.payment_method not in iac.allowed_payment_methods:
        reasons.append(ConstraintReason.PAYMENT_METHOD_NOT_ALLOWED)
    return ConstraintResult(tuple(reasons))


class DeviationVerdict(StrEnum):
    WITHIN_TOLERANCE = "within-tolerance"
    PAUSE_AND_NOTIFY = "pause-and-notify"
    AUTO_CANCEL = "auto-cancel"


def check_price_deviation(iac: IAC, expected: Money, confirmed: Money) -> DeviationVerdict:
    """Compare the merchant-confirmed amount with what the agent expected (CID-CART-CFM).

    A confirmed price *above* expected by more than ``price_deviation_tolerance`` percent
    triggers the IAC's ``price_deviation_action``; with no policy, ACT says pause.
    """
    if confirmed.currency != expected.currency:
        return DeviationVerdict(iac.behavior.price_deviation_action.value.lower().replace("_", "-"))
    if confirmed <= expected:
        return DeviationVerdict.WITHIN_TOLERANCE
    allowed_extra = Decimal(expected.minor) * iac.behavior.price_deviation_tolerance / 100
    if Decimal(confirmed.minor - expected.minor) <= allowed_extra:
        return DeviationVerdict.WITHIN_TOLERANCE
    if iac.behavior.price_deviation_action is DeviationAction.AUTO_CANCEL:
        return DeviationVerdict.AUTO_CANCEL
    return DeviationVerdict.PAUSE_AND_NOTIFY
