"""Refining the standing request in a conversation (pure): "make it large", "cheaper", "换一家".

A follow-up's ``Refinement`` is relative ("cheaper" than what is in focus); ``resolve`` fixes it
against the option in focus into a ``Change`` with absolute values, so that replaying the
changes on the request gives the same draft in any later session:

    attributes         set on the items of the focus's kind ("large" on the milk tea)
    below_total        cheaper: a delivered total below the focus's (coupons included)
    faster_than        faster: delivery in fewer minutes than the focus's; rank by speed
    exclude_merchant   another shop: not the focus's merchant (and no longer only that one)
    exclude_brand      not that brand: not the focus's brand

``refined`` applies changes to an ``IntentDraft`` and returns a new draft; every limit the person
stated before still holds (a refinement only narrows, it never lifts a cap). The person's words
are kept in the draft's text ("a pearl milk tea under 30; make it large"), which is what the
ISR records as their request.

>>> change = Change("make it large", attributes=(("size", "large"),))
>>> Change.from_json(change.to_json()) == change
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from trustcart.assistant.followups import Refinement
from trustcart.assistant.intent import IntentDraft, ItemRequest
from trustcart.assistant.planner import Option
from trustcart.core.money import Money

ONE_MINOR_UNIT = 1


class CannotRefine(ValueError):
    """The refinement needs something the option in focus does not have (e.g. a brand)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class Change:
    """One refinement with absolute values (see the module docstring)."""

    text: str
    attributes: tuple[tuple[str, str], ...] = ()
    category: str | None = None  # the kind of item the attributes are for
    below_total: Money | None = None
    faster_than: int | None = None
    exclude_merchant: str | None = None
    exclude_brand: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "attributes": [list(pair) for pair in self.attributes],
            "category": self.category,
            "below_total": None if self.below_total is None else self.below_total.to_json(),
            "faster_than": self.faster_than,
            "exclude_merchant": self.exclude_merchant,
            "exclude_brand": self.exclude_brand,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Change:
        below = obj.get("below_total")
        faster = obj.get("faster_than")
        return cls(
            text=str(obj["text"]),
            attributes=tuple((str(k), str(v)) for k, v in obj.get("attributes", [])),
            category=None if obj.get("category") is None else str(obj["category"]),
            below_total=None if below is None else Money.from_json(below),
            faster_than=None if faster is None else int(faster),
            exclude_merchant=None
            if obj.get("exclude_merchant") is None
            else str(obj["exclude_merchant"]),
            exclude_brand=None if obj.get("exclude_brand") is None else str(obj["exclude_brand"]),
        )


def resolve(refinement: Refinement, text: str, focus: Option) -> Change:
    """Fix a relative refinement against the option in focus; ``CannotRefine`` if it cannot."""
    line = focus.lines[0]
    brand = None
    if refinement.other_brand:
        brands = {offer.brand for offer in focus.lines if offer.brand}
        if len(brands) != 1:
            raise CannotRefine("brand")
        brand = brands.pop()
    merchant = None
    if refinement.other_merchant:
        merchants = focus.merchants
        if len(merchants) != 1:
            raise CannotRefine("merchant")
        merchant = merchants[0]
    return Change(
        text=text,
        attributes=refinement.attributes,
        category=line.category if refinement.attributes else None,
        below_total=focus.total if refinement.cheaper else None,
        faster_than=max(line.delivery_minutes for line in focus.lines)
        if refinement.faster
        else None,
        exclude_merchant=merchant,
        exclude_brand=brand,
    )


def _family(category: str | None) -> str:
    return (category or "").split("/", maxsplit=1)[0]


def _with_attributes(items: tuple[ItemRequest, ...], change: Change) -> tuple[ItemRequest, ...]:
    if not change.attributes:
        return items
    targets = [
        i for i, item in enumerate(items) if _family(item.category) == _family(change.category)
    ]
    if not targets:
        targets = [0]  # a free-text item: the one the options were for
    updated = list(items)
    for index in targets:
        item = items[index]
        attributes = dict(item.attributes) | dict(change.attributes)
        updated[index] = replace(item, attributes=tuple(sorted(attributes.items())))
    return tuple(updated)


def _smaller(current: Money | None, cap: Money) -> Money:
    if current is None or current.currency != cap.currency:
        return cap
    return min(current, cap, key=lambda money: money.minor)


def apply_change(draft: IntentDraft, change: Change) -> IntentDraft:
    """The draft with one change applied (limits only narrow)."""
    max_total, max_unit = draft.max_total, draft.max_unit_price
    if change.below_total is not None:
        below = Money(change.below_total.minor - ONE_MINOR_UNIT, change.below_total.currency)
        if draft.delegated:  # a standing order's total is its budget: cap each purchase
            max_unit = _smaller(max_unit, below)
        else:
            max_total = _smaller(max_total, below)
    minutes = draft.max_delivery_minutes
    preference = draft.preference
    if change.faster_than is not None:
        faster = max(1, change.faster_than - 1)
        minutes = faster if minutes is None else min(minutes, faster)
        preference = "fastest"
    if change.below_total is not None and change.faster_than is None:
        preference = None  # cheapest first (the default ranking)
    allowed, forbidden = draft.allowed_merchants, draft.forbidden_merchants
    if change.exclude_merchant is not None:
        allowed = tuple(m for m in allowed if m != change.exclude_merchant)
        forbidden = tuple(dict.fromkeys((*forbidden, change.exclude_merchant)))
    brands = draft.forbidden_brands
    if change.exclude_brand is not None:
        brands = tuple(dict.fromkeys((*brands, change.exclude_brand)))
    items = _with_attributes(draft.items, change)
    return replace(
        draft,
        text=f"{draft.text}; {change.text}",
        items=items,
        item=items[0].description if items else draft.item,
        max_total=max_total,
        max_unit_price=max_unit,
        max_delivery_minutes=minutes,
        preference=preference,
        allowed_merchants=allowed,
        forbidden_merchants=forbidden,
        forbidden_brands=brands,
    )


def refined(draft: IntentDraft, changes: Iterable[Change]) -> IntentDraft:
    """The draft with every change applied in order."""
    for change in changes:
        draft = apply_change(draft, change)
    return draft
