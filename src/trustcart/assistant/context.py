"""The CID-INT-XFR intent context the agent sends for one asked item (pure).

One function builds it, for every caller (chat, MCP, the LLM back end and the demo): the words
that select a product (description, colour, material, any attribute the catalog has but size
and pack), the quantity per purchase, the attributes that select a product (all but sugar and
ice, which are how a shop prepares it), and the intent's limits as constraints (per-item and total
caps, the buyer's location for local goods, merchants allowed and forbidden, delivery time), so
a merchant filters with exactly what the person stated. ACT: the context must not contradict
the ISR/IAC; it only ever narrows.
"""

from __future__ import annotations

from typing import Any

from trustcart.assistant.intent import IntentDraft, ItemRequest
from trustcart.delegation.isr import Location

MAX_QUERY_LENGTH = 200
# Attributes that select a product; the others (sugar, ice) are how a shop prepares it.
PRODUCT_ATTRIBUTES = ("size", "colour", "material", "pack")
PREPARATION_ATTRIBUTES = ("sugar", "ice")
QUERY_ATTRIBUTES = ("colour", "material")
# Every other attribute a catalog has ("scent": "rose") selects a product and is searched for,
# except the sizes and packs, which only select.
NOT_IN_QUERY = ("size", "pack", *PREPARATION_ATTRIBUTES)
LOCAL_CATEGORIES = ("drinks",)  # delivered from nearby shops: the buyer's location applies


def per_purchase_quantity(draft: IntentDraft, item: ItemRequest) -> int:
    """A standing order ("up to 3 milk teas this week") buys one at a time."""
    return 1 if draft.delegated and (draft.recurring or draft.max_quantity) else item.quantity


def intent_context(
    draft: IntentDraft, item: ItemRequest, location: Location | None
) -> dict[str, Any]:
    """The context (wire JSON) for ``item`` of ``draft``, with the intent's limits."""
    words = [item.description] + [v for k, v in item.attributes if k not in NOT_IN_QUERY]
    context: dict[str, Any] = {
        "query": " ".join(words)[:MAX_QUERY_LENGTH],
        "quantity": per_purchase_quantity(draft, item),
    }
    if item.category:
        context["category"] = item.category
    selecting = {k: v for k, v in item.attributes if k not in PREPARATION_ATTRIBUTES}
    if selecting:
        context["attributes"] = selecting
    constraints: dict[str, Any] = {}
    if draft.max_unit_price is not None:
        constraints["max_unit_price"] = draft.max_unit_price.to_json()
    if draft.max_total is not None:
        constraints["max_total_amount"] = draft.max_total.to_json()
    local = any((item.category or "").startswith(c) for c in LOCAL_CATEGORIES) or draft.near
    if location is not None and local:
        constraints["location"] = location.to_json()
    if draft.allowed_merchants:
        constraints["allowed_merchants"] = list(draft.allowed_merchants)
    if draft.forbidden_merchants:
        constraints["forbidden_merchants"] = list(draft.forbidden_merchants)
    if draft.max_delivery_minutes is not None:
        constraints["max_delivery_minutes"] = draft.max_delivery_minutes
    if constraints:
        context["constraints"] = constraints
    return context
