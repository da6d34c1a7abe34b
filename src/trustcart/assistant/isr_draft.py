"""From a complete intent draft to the ISR the person is asked to confirm (ADD-INT-ICS).

A delegated draft becomes a BOUNDED ISR, an instant one a SPECIFIED ISR valid for an hour; a
chosen option can only narrow what the words said (budget, merchants), never widen it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from trustcart.assistant.intent import IntentDraft
from trustcart.core.money import Money
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.isr import ISR, ItemIntent, Location
from trustcart.delegation.terms import (
    AgentBehavior,
    CommerceConstraints,
    DelegationMode,
    DeviationAction,
)


def build_isr(
    draft: IntentDraft,
    *,
    intent_id: str,
    agent_id: str,
    now: datetime,
    location: Location | None = None,
    payment_methods: tuple[str, ...] = ("trustcart-balance",),
    price_tolerance_percent: Decimal = Decimal("5"),
    max_total: Money | None = None,
    allowed_merchants: tuple[str, ...] | None = None,
    deviation_action: DeviationAction = DeviationAction.PAUSE_AND_NOTIFY,
) -> ISR:
    """Turn a complete draft into an ISR for the person to confirm.

    A delegated draft ("up to 3 ... this week") becomes a BOUNDED ISR whose quantity is a total
    over many purchases (``max_total_quantity``) and whose per-item cap is the per-purchase limit;
    an instant draft becomes a SPECIFIED ISR valid for one hour. ``max_total`` and
    ``allowed_merchants`` narrow it to a chosen option (a request without a stated budget is
    authorized for exactly the option the person picked).
    """
    budget = draft.max_total or max_total
    if max_total is not None and draft.max_total is not None:
        budget = min(draft.max_total, max_total)
    if not draft.complete or not draft.items or budget is None:
        missing = list(draft.missing) or (["budget"] if budget is None else ["item"])
        raise InvalidCredential(f"the intent is incomplete: missing {missing}")
    delegated = draft.delegated
    lifetime = draft.period or (timedelta(days=7) if delegated else timedelta(hours=1))
    categories = tuple(sorted({i.category for i in draft.items if i.category}))
    if any(item.category is None for item in draft.items):
        categories = ()  # a free-text item has no known category: do not exclude its own
    merchants = draft.allowed_merchants if allowed_merchants is None else allowed_merchants
    max_single = draft.max_unit_price if delegated else budget
    if max_single is not None and max_single > budget:
        max_single = budget
    commerce = CommerceConstraints(
        max_single=max_single,
        allowed_categories=categories,
        allowed_merchants=merchants,
        forbidden_merchants=draft.forbidden_merchants,
        max_total_quantity=draft.max_quantity if delegated else None,
    )
    return ISR(
        intent_id=intent_id,
        user_intent_raw=draft.text,
        agent_id=agent_id,
        delegation_mode=DelegationMode.BOUNDED if delegated else DelegationMode.SPECIFIED,
        validity_start=now,
        validity_end=now + lifetime,
        max_total=budget,
        items=tuple(
            ItemIntent(
                description=item.description,
                quantity=1 if delegated else item.quantity,
                category=item.category,
                attributes=item.attributes,
                max_unit_price=draft.max_unit_price,
            )
            for item in draft.items
        ),
        allowed_payment_methods=payment_methods,
        created_at=now,
        location=location,
        commerce=commerce,
        behavior=AgentBehavior(
            price_deviation_tolerance=price_tolerance_percent,
            price_deviation_action=deviation_action,
        ),
    )
