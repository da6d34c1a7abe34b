"""Checks before money moves (pure): a proposal against the ISR and the IAC, and a
merchant-confirmed cart against the line the person saw.

The buyer agent's ``check_cart`` already compares the signed cart with the offer and evaluates
the IAC (merchant, category, amounts, quantity, price deviation and its action). These add what
only the assistant knows: which item of the ISR each line serves (category, attributes, per-item
cap) and, for an instant purchase, that the cart is no dearer than what the person approved.
Each returns the reasons it found; an empty list means go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from trustcart.assistant.context import PREPARATION_ATTRIBUTES
from trustcart.assistant.offers import ConfirmedCart, Offer
from trustcart.core.categories import category_within
from trustcart.core.money import Money
from trustcart.delegation.constraints import (
    REASON_TEXT,
    PurchaseFacts,
    SpendSoFar,
    evaluate_purchase,
)
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR, ItemIntent

NOT_WHAT_WAS_ASKED = "not-what-was-asked"


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason to stop: a stable ``code`` and a sentence for people."""

    code: str
    text: str


def _serves(item: ItemIntent, line: Offer) -> bool:
    if item.category and not category_within(line.category, item.category):
        return False
    for name, wanted in item.attributes:
        if name not in PREPARATION_ATTRIBUTES and line.attributes.get(name) != wanted.lower():
            return False
    return item.max_unit_price is None or line.unit_price <= item.max_unit_price


def proposal_problems(
    isr: ISR,
    iac: IAC,
    lines: Sequence[Offer],
    spent: SpendSoFar,
    *,
    payment_method: str,
    now: datetime,
) -> list[Problem]:
    """Reasons the proposal is outside the ISR or the IAC, before any cart is asked for."""
    problems: list[Problem] = []
    for line in lines:
        if not any(_serves(item, line) for item in isr.items):
            problems.append(
                Problem(
                    NOT_WHAT_WAS_ASKED,
                    f"{line.title} is not what the intent asked for "
                    "(category, attributes or per-item cap)",
                )
            )
    running = spent
    for line in lines:
        result = evaluate_purchase(
            iac,
            PurchaseFacts(
                merchant_id=line.merchant_id,
                categories=(line.category,),
                amount=line.total,
                quantity=line.quantity,
                payment_method=payment_method,
                at=now,
            ),
            running,
        )
        problems.extend(
            Problem(str(reason), f"{line.title}: {REASON_TEXT[reason]}")
            for reason in result.reasons
        )
        if line.total.currency == running.total.currency:
            running = SpendSoFar(
                running.total + line.total, running.count + 1, running.quantity + line.quantity
            )
    return problems


def cart_problems(cart: ConfirmedCart, line: Offer, approved_total: Money | None) -> list[str]:
    """Reasons the merchant-confirmed cart differs from the line the person chose."""
    problems: list[str] = []
    if [(item.product_id, item.quantity) for item in cart.lines] != [
        (line.product_id, line.quantity)
    ]:
        problems.append("the cart holds other items than proposed")
    if cart.merchant_id != line.merchant_id:
        problems.append("the cart is from another merchant than proposed")
    total = cart.total
    if approved_total is not None and (
        total.currency != approved_total.currency or total > approved_total
    ):
        problems.append(f"the cart total {total} is above the approved {approved_total}")
    return problems
