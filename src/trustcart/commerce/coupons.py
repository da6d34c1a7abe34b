"""The best coupon combination for one merchant's cart (pure).

Rules, as a marketplace states them to shoppers:

* a coupon applies when it is valid now, belongs to the merchant, is in the cart's currency and,
  if it has a category scope, the cart holds an item within that category;
* coupons are applied one after another; each one's threshold is checked against the *running*
  subtotal (what is left after the coupons before it);
* fixed-amount coupons (满减) come first, a percentage coupon (折扣) always comes last, and at
  most one percentage coupon is used;
* an exclusive coupon is used alone;
* at most ``max_coupons`` coupons per order;
* a fixed coupon takes ``min(value, running)`` off; a percentage coupon takes
  ``floor(running * percent / 100)`` minor units off (rounding favours the merchant by under one
  minor unit, and the discount never exceeds the subtotal).

Which fixed coupons come first is free, and it matters only for thresholds: every order that
passes them gives the same discount. So a combination is feasible if *some* order of its fixed
coupons passes; we try earliest-due-date order (largest ``threshold - value`` first) and, only if
that fails, every permutation (at most ``max_coupons!`` of them).

The search is exact: every subset of at most ``max_coupons`` applicable coupons is tried. Ties
break deterministically: largest discount, then fewer coupons, then the smallest sorted tuple of
coupon ids.

>>> from datetime import UTC, datetime
>>> from trustcart.core.money import Money
>>> now = datetime(2026, 11, 29, tzinfo=UTC)
>>> best_coupon_combination([], Money(1800, "CNY"), categories=["drinks"], now=now).discount
Money(minor=0, currency='CNY')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations, permutations

from trustcart.commerce.catalog import Coupon, CouponKind
from trustcart.commerce.errors import CommerceProblem, PrecheckFailed
from trustcart.core.categories import category_within
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

MAX_COUPONS_LIMIT = 5  # keeps the exact search (subsets x permutations) small


@dataclass(frozen=True, slots=True)
class AppliedCoupon:
    coupon: Coupon
    amount: Money

    def to_json(self) -> dict[str, object]:
        return {
            "coupon_id": self.coupon.coupon_id,
            "description": self.coupon.description,
            "amount": self.amount.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CouponChoice:
    """Coupons in the order they are applied, and the total discount."""

    applied: tuple[AppliedCoupon, ...]
    discount: Money

    @property
    def coupon_ids(self) -> tuple[str, ...]:
        return tuple(a.coupon.coupon_id for a in self.applied)


def coupon_applies(
    coupon: Coupon,
    *,
    merchant_id: str | None,
    currency: str,
    categories: Iterable[str],
    now: datetime,
) -> bool:
    """Whether ``coupon`` may be used on this cart at all (before thresholds)."""
    if merchant_id is not None and coupon.merchant_id != merchant_id:
        return False
    if coupon.currency != currency or not coupon.valid_at(now):
        return False
    if coupon.category_scope:
        return any(category_within(c, coupon.category_scope) for c in categories)
    return True


def apply_in_order(ordered: Sequence[Coupon], subtotal: Money) -> CouponChoice | None:
    """Apply coupons in exactly this order; ``None`` if a rule or threshold fails."""
    percent = [c for c in ordered if c.kind is CouponKind.PERCENT]
    if len(percent) > 1 or (percent and ordered[-1] is not percent[0]):
        return None
    if len(ordered) > 1 and any(c.exclusive for c in ordered):
        return None
    if len({c.coupon_id for c in ordered}) != len(ordered):
        return None
    running = subtotal
    applied: list[AppliedCoupon] = []
    for coupon in ordered:
        if coupon.currency != subtotal.currency or running < coupon.threshold:
            return None
        if coupon.kind is CouponKind.FIXED:
            off = min(coupon.value, running.minor)
        else:
            off = running.minor * coupon.value // 100
        amount = Money(off, subtotal.currency)
        applied.append(AppliedCoupon(coupon, amount))
        running = running - amount
    return CouponChoice(tuple(applied), subtotal - running)


def _earliest_due_first(fixed: Sequence[Coupon]) -> list[Coupon]:
    return sorted(fixed, key=lambda c: (-(c.threshold.minor - c.value), c.coupon_id))


def apply_combination(coupons: Sequence[Coupon], subtotal: Money) -> CouponChoice | None:
    """Apply a set of coupons in the best order the rules allow; ``None`` if none passes."""
    fixed = [c for c in coupons if c.kind is CouponKind.FIXED]
    percent = [c for c in coupons if c.kind is CouponKind.PERCENT]
    if len(percent) > 1:
        return None
    choice = apply_in_order([*_earliest_due_first(fixed), *percent], subtotal)
    if choice is not None:
        return choice
    for order in permutations(sorted(fixed, key=lambda c: c.coupon_id)):
        choice = apply_in_order([*order, *percent], subtotal)
        if choice is not None:
            return choice
    return None


def _rank(choice: CouponChoice) -> tuple[int, int, tuple[str, ...]]:
    # Smaller is better: largest discount, then fewer coupons, then smallest sorted ids.
    return (-choice.discount.minor, len(choice.applied), tuple(sorted(choice.coupon_ids)))


def best_coupon_combination(
    coupons: Iterable[Coupon],
    subtotal: Money,
    *,
    categories: Iterable[str],
    now: datetime,
    merchant_id: str | None = None,
    max_coupons: int = 3,
) -> CouponChoice:
    """The exact best combination of ``coupons`` for ``subtotal`` (possibly no coupon)."""
    if not 0 <= max_coupons <= MAX_COUPONS_LIMIT:
        raise ValidationError(f"max_coupons must be within 0..{MAX_COUPONS_LIMIT}")
    category_list = list(categories)
    usable = sorted(
        (
            c
            for c in coupons
            if coupon_applies(
                c,
                merchant_id=merchant_id,
                currency=subtotal.currency,
                categories=category_list,
                now=now,
            )
        ),
        key=lambda c: c.coupon_id,
    )
    best = CouponChoice((), Money.zero(subtotal.currency))
    for size in range(1, min(max_coupons, len(usable)) + 1):
        for subset in combinations(usable, size):
            choice = apply_combination(subset, subtotal)
            if choice is not None and _rank(choice) < _rank(best):
                best = choice
    return best


def choose_coupons(
    coupons: Iterable[Coupon],
    coupon_ids: Sequence[str],
    subtotal: Money,
    *,
    categories: Iterable[str],
    now: datetime,
    merchant_id: str | None = None,
    max_coupons: int = 3,
) -> CouponChoice:
    """Apply exactly the coupons the buyer named, or raise ``coupon-not-applicable``."""
    by_id = {c.coupon_id: c for c in coupons}
    category_list = list(categories)
    if len(coupon_ids) > max_coupons or len(set(coupon_ids)) != len(coupon_ids):
        raise PrecheckFailed(
            CommerceProblem.COUPON_NOT_APPLICABLE,
            f"at most {max_coupons} distinct coupons per order",
        )
    chosen: list[Coupon] = []
    for coupon_id in coupon_ids:
        coupon = by_id.get(coupon_id)
        if coupon is None or not coupon_applies(
            coupon,
            merchant_id=merchant_id,
            currency=subtotal.currency,
            categories=category_list,
            now=now,
        ):
            raise PrecheckFailed(
                CommerceProblem.COUPON_NOT_APPLICABLE,
                f"coupon {coupon_id} does not apply to this cart",
            )
        chosen.append(coupon)
    choice = apply_combination(chosen, subtotal)
    if choice is None:
        raise PrecheckFailed(
            CommerceProblem.COUPON_NOT_APPLICABLE,
            "these coupons cannot be combined on this subtotal",
        )
    return choice
