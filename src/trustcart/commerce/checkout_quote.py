"""What a checkout session costs right now, and what still stands in its way (pure).

``quote_checkout`` prices a session with the one cart pricing (``cart.price_cart``) and the one
coupon optimiser (``coupons.best_coupon_combination``): the merchant's automatic coupons plus
the coupons behind the discount codes the buyer submitted, the best combination of them all.
Codes are judged first (``resolve_codes``), each refusal with a stable ``DiscountRejection``:

* a code twice (any case): ``already-applied``; an unknown code: ``invalid``;
* a code whose coupon ran out: ``expired``; not yet valid or in another currency: ``invalid``;
* a coupon for a category the cart does not hold: ``user-ineligible``;
* a threshold above the cart's subtotal: ``minimum-not-met``;
* a code the best combination leaves out (exclusive, a second percentage, too many coupons,
  a threshold on what is left after the coupons before it): ``combination-disallowed``.

Each applied coupon's amount is allocated to the lines in proportion to what is left of each
line when it applies (largest remainder, ties to the earlier line), so the allocations of a
coupon add up to its amount and no line is discounted below zero. A session is ready when no
``Issue`` remains: every line is sold here and in stock, an address is known and the selected
fulfilment option exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from trustcart.commerce.cart import CartLine, PricedCart, price_cart
from trustcart.commerce.catalog import Coupon, Merchant, Product
from trustcart.commerce.checkout import CheckoutSession
from trustcart.commerce.coupons import coupon_applies
from trustcart.core.categories import category_within
from trustcart.core.money import Money

STANDARD_OPTION = "standard_delivery"


class DiscountRejection(StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"
    ALREADY_APPLIED = "already-applied"
    COMBINATION_DISALLOWED = "combination-disallowed"
    MINIMUM_NOT_MET = "minimum-not-met"
    USER_INELIGIBLE = "user-ineligible"


REJECTION_TEXT = {
    DiscountRejection.EXPIRED: "Code '{code}' has expired and could not be applied.",
    DiscountRejection.INVALID: "Code '{code}' is not a valid code at this shop.",
    DiscountRejection.ALREADY_APPLIED: "Code '{code}' was already submitted.",
    DiscountRejection.COMBINATION_DISALLOWED: "Code '{code}' cannot be combined with the "
    "other discounts on this order.",
    DiscountRejection.MINIMUM_NOT_MET: "Code '{code}' needs a larger order.",
    DiscountRejection.USER_INELIGIBLE: "Code '{code}' does not apply to these items.",
}


class IssueKind(StrEnum):
    UNAVAILABLE = "unavailable"
    OUT_OF_STOCK = "out-of-stock"
    ADDRESS_MISSING = "address-missing"
    OPTION_UNKNOWN = "option-unknown"


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int  # position in the submitted codes
    code: str
    reason: DiscountRejection

    @property
    def message(self) -> str:
        return REJECTION_TEXT[self.reason].format(code=self.code)


@dataclass(frozen=True, slots=True)
class Issue:
    kind: IssueKind
    line: int | None = None  # index into the session's items


@dataclass(frozen=True, slots=True)
class QuotedLine:
    index: int
    product: Product
    quantity: int
    base: Money
    discount: Money

    @property
    def total(self) -> Money:
        return self.base - self.discount


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    coupon: Coupon
    amount: Money
    priority: int  # 1 = applied first
    code: str | None  # as submitted; None for an automatic coupon
    allocations: tuple[Money, ...]  # one per quoted line, same order

    @property
    def automatic(self) -> bool:
        return self.code is None


@dataclass(frozen=True, slots=True)
class FulfillmentOption:
    option_id: str
    kind: str  # shipping | pickup | local_delivery | digital
    title: str
    description: str
    amount: Money
    earliest: datetime
    latest: datetime


@dataclass(frozen=True, slots=True)
class CheckoutQuote:
    currency: str
    lines: tuple[QuotedLine, ...]
    items_base: Money
    discount: Money
    shipping: Money
    total: Money
    applied: tuple[AppliedDiscount, ...]
    rejected: tuple[Rejected, ...]
    options: tuple[FulfillmentOption, ...]
    selected: FulfillmentOption | None
    issues: tuple[Issue, ...]
    priced: PricedCart | None

    @property
    def ready(self) -> bool:
        return not self.issues and self.priced is not None

    @property
    def coupon_ids(self) -> tuple[str, ...]:
        return tuple(a.coupon.coupon_id for a in self.applied)


def allocate(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split ``amount`` over ``weights`` in proportion (largest remainder, earlier wins ties).

    >>> allocate(10, [1, 1, 1])
    (4, 3, 3)
    >>> allocate(0, [5, 0])
    (0, 0)
    """
    total = sum(weights)
    if amount < 0 or any(w < 0 for w in weights) or (total == 0 and amount):
        raise ValueError("cannot allocate a negative amount or onto nothing")
    if total == 0:
        return tuple(0 for _ in weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return tuple(shares)


def resolve_codes(
    codes: Sequence[str],
    coded: Mapping[str, Coupon],
    *,
    subtotal: Money,
    categories: Sequence[str],
    merchant_id: str,
    now: datetime,
) -> tuple[list[tuple[str, Coupon]], list[Rejected]]:
    """Codes that may take part in the combination, and the ones refused before it."""
    candidates: list[tuple[str, Coupon]] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for index, code in enumerate(codes):
        key = code.upper()
        coupon = coded.get(key)
        reason: DiscountRejection | None = None
        if key in seen:
            reason = DiscountRejection.ALREADY_APPLIED
        elif coupon is None or coupon.merchant_id != merchant_id:
            reason = DiscountRejection.INVALID
        elif now >= coupon.valid_until:
            reason = DiscountRejection.EXPIRED
        elif now < coupon.valid_from or coupon.currency != subtotal.currency:
            reason = DiscountRejection.INVALID
        elif coupon.category_scope and not any(
            category_within(c, coupon.category_scope) for c in categories
        ):
            reason = DiscountRejection.USER_INELIGIBLE
        elif coupon.threshold > subtotal:
            reason = DiscountRejection.MINIMUM_NOT_MET
        seen.add(key)
        if reason is None and coupon is not None:
            if coupon_applies(
                coupon,
                merchant_id=merchant_id,
                currency=subtotal.currency,
                categories=categories,
                now=now,
            ):
                candidates.append((code, coupon))
                continue
            reason = DiscountRejection.INVALID
        rejected.append(Rejected(index, code, reason or DiscountRejection.INVALID))
    return candidates, rejected


def fulfillment_options(
    merchant: Merchant, products: Sequence[Product], now: datetime
) -> tuple[FulfillmentOption, ...]:
    """The merchant's delivery at its delivery fee, due within the slowest line's time."""
    minutes = max((p.delivery_minutes for p in products), default=60)
    return (
        FulfillmentOption(
            option_id=STANDARD_OPTION,
            kind="shipping",
            title="Standard delivery",
            description=f"Delivered by {merchant.name} within {minutes} minutes",
            amount=merchant.delivery_fee,
            earliest=now.replace(microsecond=0) + timedelta(minutes=max(minutes // 2, 1)),
            latest=now.replace(microsecond=0) + timedelta(minutes=max(minutes, 1)),
        ),
    )


def quote_checkout(
    merchant: Merchant,
    session: CheckoutSession,
    products: Mapping[str, Product],
    *,
    automatic: Sequence[Coupon],
    coded: Mapping[str, Coupon],
    now: datetime,
    max_coupons: int = 3,
) -> CheckoutQuote:
    """Price ``session`` (see module doc); ``products`` holds what the store has of its lines."""
    currency = merchant.currency
    issues: list[Issue] = []
    lines: list[tuple[int, CartLine]] = []
    for index, item in enumerate(session.items):
        product = products.get(item.product_id)
        if product is None or product.merchant_id != merchant.merchant_id:
            issues.append(Issue(IssueKind.UNAVAILABLE, index))
            continue
        if not product.in_stock(item.quantity):
            issues.append(Issue(IssueKind.OUT_OF_STOCK, index))
        lines.append((index, CartLine(product, item.quantity)))
    options = fulfillment_options(merchant, [line.product for _, line in lines], now)
    selected = next(
        (o for o in options if o.option_id == (session.selected_option_id or STANDARD_OPTION)),
        None,
    )
    if selected is None:
        issues.append(Issue(IssueKind.OPTION_UNKNOWN))
    if session.contact is None or session.contact.address is None:
        issues.append(Issue(IssueKind.ADDRESS_MISSING))
    zero = Money.zero(currency)
    if not lines:
        rejected = [Rejected(i, c, DiscountRejection.INVALID) for i, c in enumerate(session.codes)]
        return CheckoutQuote(
            currency,
            (),
            zero,
            zero,
            zero,
            zero,
            (),
            tuple(rejected),
            options,
            selected,
            tuple(issues),
            None,
        )
    subtotal = Money(sum(line.line_total.minor for _, line in lines), currency)
    categories = [line.product.category for _, line in lines]
    candidates, rejected = resolve_codes(
        session.codes,
        coded,
        subtotal=subtotal,
        categories=categories,
        merchant_id=merchant.merchant_id,
        now=now,
    )
    code_of = {coupon.coupon_id: code for code, coupon in candidates}
    priced = price_cart(
        merchant,
        [line for _, line in lines],
        [*automatic, *(coupon for _, coupon in candidates)],
        now=now,
        max_coupons=max_coupons,
    )
    chosen = set(priced.coupons.coupon_ids)
    rejected += [
        Rejected(session.codes.index(code), code, DiscountRejection.COMBINATION_DISALLOWED)
        for code, coupon in candidates
        if coupon.coupon_id not in chosen
    ]
    rejected.sort(key=lambda r: r.index)
    running = [line.line_total.minor for _, line in lines]
    applied = []
    for priority, use in enumerate(priced.coupons.applied, start=1):
        shares = allocate(use.amount.minor, running)
        running = [left - share for left, share in zip(running, shares, strict=True)]
        applied.append(
            AppliedDiscount(
                coupon=use.coupon,
                amount=use.amount,
                priority=priority,
                code=code_of.get(use.coupon.coupon_id),
                allocations=tuple(Money(s, currency) for s in shares),
            )
        )
    quoted = tuple(
        QuotedLine(
            index=index,
            product=line.product,
            quantity=line.quantity,
            base=line.line_total,
            discount=Money(line.line_total.minor - left, currency),
        )
        for (index, line), left in zip(lines, running, strict=True)
    )
    shipping = selected.amount if selected is not None else priced.shipping
    return CheckoutQuote(
        currency=currency,
        lines=quoted,
        items_base=priced.subtotal,
        discount=priced.coupons.discount,
        shipping=shipping,
        total=priced.subtotal - priced.coupons.discount + shipping,
        applied=tuple(applied),
        rejected=tuple(rejected),
        options=options,
        selected=selected,
        issues=tuple(issues),
        priced=priced,
    )
