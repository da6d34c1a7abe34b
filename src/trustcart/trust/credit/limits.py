"""Associated credit never widens an IAC (ACT 2.1 §8, checklist 43).

A relying party may turn an Agent's associated credit into its own limits (a risk cap, a
shorter horizon, fewer merchants). ``limit_by_associated_credit`` combines those with the IAC
and returns ``EffectiveLimits``: the IAC *and* the credit limits, never more than the IAC.

Strategy: the result does not re-implement the IAC's rules; it keeps the IAC and checks it in
full (``delegation.constraints.evaluate_purchase``) on every purchase, then adds the credit
limits' own refusals. So a purchase the IAC refuses is refused whatever the credit says, and
the numbers it reports (``max_total``, ``max_single``, ``valid_until``) are the minimum of the
two. The credit limits cannot outlive the assertion they came from. An assertion that is not
usable for this IAC (another Agent, not ACTIVE, out of validity) raises: credit that cannot be
checked justifies nothing, and the caller decides without it.

Usage (``tests/trust/test_credit_limits.py`` runs it against real IACs)::

    limits = limit_by_associated_credit(iac, assertion, CreditLimits(max_total=cap), now=now)
    limits.evaluate(purchase, spent).allowed  # never True where the IAC alone says False
    limits.max_total <= iac.max_total         # always

>>> CreditLimits(max_total=Money.parse("20.00", "CNY")).max_total.amount_str()
'20.00'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trustcart.core.categories import category_within
from trustcart.core.money import Money
from trustcart.delegation.constraints import (
    ConstraintReason,
    ConstraintResult,
    PurchaseFacts,
    SpendSoFar,
    evaluate_purchase,
)
from trustcart.delegation.iac import IAC
from trustcart.trust.credit.assertions import AgentAssociatedCreditAssertion
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.values import ASSOCIATED_CREDIT, instant


@dataclass(frozen=True)
class CreditLimits:
    """Limits a relying party derives from associated credit; each one can only narrow.

    ``None`` or an empty tuple means "no limit of that kind from credit".
    """

    max_total: Money | None = None
    max_single: Money | None = None
    allowed_merchants: tuple[str, ...] = ()
    forbidden_merchants: tuple[str, ...] = ()
    allowed_categories: tuple[str, ...] = ()
    forbidden_categories: tuple[str, ...] = ()
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        for amount in (self.max_total, self.max_single):
            if amount is not None and amount.is_negative():
                raise InvalidCreditObject("credit limits must not be negative")
        if self.valid_until is not None and self.valid_until.tzinfo is None:
            raise InvalidCreditObject("valid_until must be timezone-aware")


def _smaller(iac_amount: Money, credit_amount: Money | None) -> Money:
    if credit_amount is None:
        return iac_amount
    if credit_amount.currency != iac_amount.currency:
        raise InvalidCreditObject("credit limits must be in the IAC's currency")
    return min(iac_amount, credit_amount, key=lambda money: money.minor)


@dataclass(frozen=True)
class EffectiveLimits:
    """The IAC narrowed by associated credit. An instance is never wider than its IAC."""

    iac: IAC
    credit: CreditLimits
    credit_valid_until: datetime | None  # the assertion's expiry, when it has one

    def __post_init__(self) -> None:
        for amount in (self.credit.max_total, self.credit.max_single):
            if amount is not None and amount.currency != self.iac.currency:
                raise InvalidCreditObject("credit limits must be in the IAC's currency")

    @property
    def max_total(self) -> Money:
        return _smaller(self.iac.max_total, self.credit.max_total)

    @property
    def max_single(self) -> Money:
        iac_single = self.iac.commerce.max_single
        ceiling = self.iac.max_total if iac_single is None else iac_single
        return _smaller(_smaller(ceiling, self.credit.max_single), self.credit.max_total)

    @property
    def valid_until(self) -> datetime:
        ends = [self.iac.validity_end, self.credit.valid_until, self.credit_valid_until]
        return min(end for end in ends if end is not None)

    def evaluate(self, purchase: PurchaseFacts, spent: SpendSoFar) -> ConstraintResult:
        """Every reason the IAC gives, plus every reason the credit limits add."""
        reasons = list(evaluate_purchase(self.iac, purchase, spent).reasons)
        added: list[ConstraintReason] = []
        credit = self.credit
        if purchase.at >= self.valid_until:
            added.append(ConstraintReason.OUTSIDE_VALIDITY_WINDOW)
        same_currency = purchase.amount.currency == spent.total.currency == self.iac.currency
        if same_currency:
            if purchase.amount > self.max_single:
                added.append(ConstraintReason.OVER_SINGLE_LIMIT)
            if spent.total + purchase.amount > self.max_total:
                added.append(ConstraintReason.OVER_TOTAL_BUDGET)
        if credit.allowed_merchants and purchase.merchant_id not in credit.allowed_merchants:
            added.append(ConstraintReason.MERCHANT_NOT_ALLOWED)
        if purchase.merchant_id in credit.forbidden_merchants:
            added.append(ConstraintReason.MERCHANT_FORBIDDEN)
        if credit.allowed_categories and not (
            purchase.categories
            and all(
                any(category_within(c, a) for a in credit.allowed_categories)
                for c in purchase.categories
            )
        ):
            added.append(ConstraintReason.CATEGORY_NOT_ALLOWED)
        if any(
            category_within(c, f) for c in purchase.categories for f in credit.forbidden_categories
        ):
            added.append(ConstraintReason.CATEGORY_FORBIDDEN)
        reasons += [reason for reason in added if reason not in reasons]
        return ConstraintResult(tuple(reasons))


def limit_by_associated_credit(
    iac: IAC,
    assertion: AgentAssociatedCreditAssertion,
    credit: CreditLimits,
    *,
    now: datetime,
) -> EffectiveLimits:
    """The IAC narrowed by ``credit``; raise InvalidCreditObject if ``assertion`` cannot be
    used for this IAC's Agent at ``now`` (the IAC alone then applies, decided by the caller)."""
    if assertion.credit_source != ASSOCIATED_CREDIT:
        raise InvalidCreditObject("only ASSOCIATED_CREDIT can inform limits")
    if assertion.agent_id != iac.agent_id:
        raise InvalidCreditObject("the assertion is about another Agent than the IAC's")
    if not assertion.usable_at(now):
        raise InvalidCreditObject("the associated-credit assertion is not ACTIVE and current")
    expires = None if assertion.expires_at is None else instant(assertion.expires_at)
    return EffectiveLimits(iac=iac, credit=credit, credit_valid_until=expires)
