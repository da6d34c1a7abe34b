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
from datetime import datetime
from typing import Any

from trustcart.assistant.planner import PRODUCT_ATTRIBUTES, Candidate
from trustcart.core.money import Money
from trustcart.delegation.constraints import (
    PurchaseFacts,
    SpendSoFar,
    category_matches,
    evaluate_purchase,
)
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR, ItemIntent


def _serves(item: ItemIntent, line: Candidate) -> bool:
    if item.category and not category_matches(line.category, item.category):
        return False
    wanted = dict(item.attributes)
    for name in PRODUCT_ATTRIBUTES:
        if name in wanted and line.attributes.get(name) != wanted[name].lower():
            return False
    return item.max_unit_price is None or line.unit_price <= item.max_unit_price


def proposal_problems(
    isr: ISR,
    iac: IAC,
    lines: Sequence[Candidate],
    spent: SpendSoFar,
    *,
    payment_method: str,
    now: datetime,
) -> list[str]:
    """Reasons the proposal is outside the ISR or the IAC, before any cart is asked for."""
    problems: list[str] = []
    for line in lines:
        if not any(_serves(item, line) for item in isr.items):
            problems.append(
                f"{line.title} is not what the intent asked for "
                "(category, attributes or per-item cap)"
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
        problems.extend(f"{line.title}: {reason}" for reason in (str(r) for r in result.reasons))
        if line.total.currency == running.total.currency:
            running = SpendSoFar(
                running.total + line.total, running.count + 1, running.quantity + line.quantity
            )
    return problems


def cart_problems(
    cart_payload: dict[str, Any], line: Candidate, approved_total: Money | None
) -> list[str]:
    """Reasons the merchant-confirmed cart differs from the line the person chose."""
    problems: list[str] = []
    items = cart_payload.get("items", [])
    if [(i.get("product_id"), int(i.get("quantity", 0))) for i in items] != [
        (line.product_id, line.quantity)
    ]:
        problems.append("the cart holds other items than proposed")
    if cart_payload.get("merchant_id") != line.merchant_id:
        problems.append("the cart is from another merchant than proposed")
    total = Money.from_json(cart_payload["total"])
    if approved_total is not None and (
        total.currency != approved_total.currency or total > approved_total
    ):
        problems.append(f"the cart total {total} is above the approved {approved_total}")
    return problems
