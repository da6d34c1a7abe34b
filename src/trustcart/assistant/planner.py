"""The planner: candidates in, one to three options out, each with its reason (pure).

For each asked item the merchants' candidates (already priced with their best coupons) are
filtered against the intent again, never trusting the marketplace to have done it: category,
attributes, per-item cap, merchants allowed and forbidden, delivery time, relevance. The
survivors are ranked by the person's preference (cheapest by default, else closest or fastest)
and combined into options:

1. the best line for every item (by default the lowest total after coupons);
2. for several items, everything from one merchant, when one sells them all;
3. an alternative from another merchant (or the runner-up) so there is a real choice.

Every option is checked against the intent's caps before it is shown (``violations``): an
option that breaks a stated cap is dropped, never shown. With nothing left, ``Plan.explain``
says why, item by item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trustcart.assistant.context import (
    PREPARATION_ATTRIBUTES,
    per_purchase_quantity,
)
from trustcart.assistant.intent import IntentDraft, ItemRequest
from trustcart.assistant.lexicon import GENERIC_ITEMS
from trustcart.assistant.offers import Offer
from trustcart.core.categories import category_within
from trustcart.core.money import Money

MAX_OPTIONS = 3


@dataclass(frozen=True)
class Option:
    lines: tuple[Offer, ...]
    reason: str

    @property
    def total(self) -> Money:
        total = Money.zero(self.lines[0].total.currency)
        for line in self.lines:
            total = total + line.total
        return total

    @property
    def merchants(self) -> tuple[str, ...]:
        return tuple(sorted({line.merchant_id for line in self.lines}))

    def to_json(self, language: str = "en") -> dict[str, Any]:
        return {
            "items": [line.to_json(language) for line in self.lines],
            "total": self.total.to_json(),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Plan:
    options: tuple[Option, ...]
    explain: str = ""


def why_not(draft: IntentDraft, item: ItemRequest, candidate: Offer) -> str | None:
    """The first reason this candidate does not fit the item, or None if it fits."""
    if item.category and not category_within(candidate.category, item.category):
        return "another category"
    for name, value in item.attributes:
        if name not in PREPARATION_ATTRIBUTES and candidate.attributes.get(name) != value.lower():
            return f"not {name} {value}"
    for name in PREPARATION_ATTRIBUTES:
        wanted = item.attribute(name)
        if wanted is not None and candidate.attributes.get(name) not in (
            "adjustable",
            wanted.lower(),
        ):
            return f"not made with {name} {wanted}"
    if candidate.quantity != per_purchase_quantity(draft, item):
        return "another quantity"
    if draft.max_unit_price is not None and (
        candidate.unit_price.currency != draft.max_unit_price.currency
        or candidate.unit_price > draft.max_unit_price
    ):
        return f"above {draft.max_unit_price} each"
    if draft.max_total is not None and (
        candidate.total.currency != draft.max_total.currency or candidate.total > draft.max_total
    ):
        return f"above {draft.max_total} in total"
    if draft.allowed_merchants and candidate.merchant_id not in draft.allowed_merchants:
        return "another merchant than asked"
    if candidate.merchant_id in draft.forbidden_merchants:
        return "a merchant you excluded"
    if candidate.brand and candidate.brand in draft.forbidden_brands:
        return "a brand you excluded"
    if draft.max_delivery_minutes is not None and (
        candidate.delivery_minutes > draft.max_delivery_minutes
    ):
        return f"delivered in more than {draft.max_delivery_minutes} min"
    return None


def violations(draft: IntentDraft, option: Option) -> list[str]:
    """Every stated constraint the option breaks (an empty list: it may be shown)."""
    found: list[str] = []
    if len(option.lines) != len(draft.items):
        found.append("not one line per asked item")
    for item, line in zip(draft.items, option.lines, strict=False):
        reason = why_not(draft, item, line)
        if reason is not None:
            found.append(f"{line.title}: {reason}")
    if draft.max_total is not None and option.total > draft.max_total:
        found.append(f"total {option.total} above {draft.max_total}")
    return found


def _rank_key(preference: str | None, candidate: Offer) -> tuple[float, ...]:
    distance = candidate.distance_km if candidate.distance_km is not None else 1e9
    if preference == "closest":
        return (distance, candidate.total.minor)
    if preference == "fastest":
        return (candidate.delivery_minutes, candidate.total.minor)
    return (candidate.total.minor, distance, candidate.delivery_minutes)


def _ranked(
    draft: IntentDraft, item: ItemRequest, candidates: Sequence[Offer]
) -> tuple[list[Offer], str]:
    generic = _is_generic(item)
    fitting = [c for c in candidates if why_not(draft, item, c) is None and is_relevant(item, c)]
    if not fitting:
        if not candidates:
            return [], f"no shop offers {item.description}"
        if all(c.good_match is False for c in candidates) and not generic:
            return [], (
                f"no shop offers {item.description}: the nearest match, {candidates[0].title}, "
                "is something else"
            )
        cheapest = min(candidates, key=lambda c: c.unit_price.minor)
        reason = why_not(draft, item, cheapest)
        if reason is None:  # it fits the limits but is something else
            return [], (
                f"no shop offers {item.description}: the nearest match, {cheapest.title} at "
                f"{cheapest.merchant_name} ({cheapest.unit_price}), is something else"
            )
        return [], (
            f"no {item.description} fits what you asked: the cheapest, "
            f"{cheapest.title} at {cheapest.merchant_name} ({cheapest.unit_price}), "
            f"is {reason}"
        )
    if not fitting:
        return [], f"no shop offers {item.description} within what you asked"
    relevant = fitting
    relevant.sort(key=lambda c: (*_rank_key(draft.preference, c), c.product_id))
    return relevant, ""


def is_relevant(item: ItemRequest, candidate: Offer) -> bool:
    """Whether the offer is the item asked for, judged here, not taken from the marketplace's
    scores (whose scale depends on its search engine): a named item must be named in the title,
    in either language ("wireless earbuds" is not a phone case of the same category); an item no
    word list knows must have most of its words there ("a king size bed frame" is not an optical
    frame); and what the search engine itself calls a poor match is no match."""
    generic = _is_generic(item)
    if not generic and candidate.good_match is False:
        return False
    title = f"{candidate.title} {candidate.title_zh}"
    if item.category is None:
        return _word_overlap(item.description, title) > 0.5
    if not category_within(candidate.category, item.category):
        return False
    return generic or _word_overlap(item.description, title) == 1.0


def _is_generic(item: ItemRequest) -> bool:
    return item.generic or item.description in GENERIC_ITEMS


def _word_overlap(description: str, title: str) -> float:
    words = re.findall(r"[a-z0-9]{3,}|[\u3400-\u9fff]{2,}", description.lower())
    if not words:
        return 0.0
    lowered = title.lower()
    return sum(w.rstrip("s") in lowered for w in words) / len(words)


def _reason(first: Offer, ranked: list[Offer], preference: str | None) -> str:
    parts = []
    if preference == "closest" and first.distance_km is not None:
        parts.append(f"closest shop ({first.distance_km:.1f} km)")
    elif preference == "fastest":
        parts.append(f"fastest delivery ({first.delivery_minutes} min)")
    elif first is ranked[0]:
        parts.append("lowest total after coupons")
    if first.coupons:
        parts.append("coupon: " + first.coupons[0])
    return "; ".join(parts)


def plan_options(draft: IntentDraft, candidates: Sequence[Sequence[Offer]]) -> Plan:
    """Options for ``draft`` from the candidates found for each of its items (same order)."""
    if not draft.items or len(candidates) != len(draft.items):
        return Plan((), "nothing to plan: no item was understood")
    ranked_lists: list[list[Offer]] = []
    for item, found in zip(draft.items, candidates, strict=True):
        ranked, reason = _ranked(draft, item, found)
        if not ranked:
            return Plan((), reason)
        ranked_lists.append(ranked)
    proposals: list[Option] = []
    if len(ranked_lists) == 1:
        ranked = ranked_lists[0]
        best = ranked[0]
        proposals.append(
            Option((best,), _reason(best, ranked, draft.preference) + f" at {best.merchant_name}")
        )
        others = [c for c in ranked if c.merchant_id != best.merchant_id]
        if others:
            alt = others[0]
            extra = _alternative_reason(best, alt)
            proposals.append(Option((alt,), f"{extra} at {alt.merchant_name}"))
        rest = [c for c in ranked if c not in (best, *(p.lines[0] for p in proposals))]
        if rest:
            proposals.append(
                Option(
                    (rest[0],),
                    f"runner-up: {_alternative_reason(best, rest[0])} at {rest[0].merchant_name}",
                )
            )
    else:
        best_lines = tuple(r[0] for r in ranked_lists)
        proposals.append(Option(best_lines, "the lowest total for each item"))
        shared = set.intersection(*({c.merchant_id for c in r} for r in ranked_lists))
        for merchant_id in sorted(shared):
            lines = tuple(next(c for c in r if c.merchant_id == merchant_id) for r in ranked_lists)
            proposals.append(Option(lines, f"everything from {lines[0].merchant_name}"))
        runner_up = tuple(r[1] if len(r) > 1 else r[0] for r in ranked_lists)
        proposals.append(Option(runner_up, "alternatives for each item"))
    options: list[Option] = []
    for option in proposals:
        same = any(o.lines == option.lines for o in options)
        if not same and not violations(draft, option):
            options.append(option)
    options.sort(key=lambda o: o.total.minor if draft.preference in (None, "cheapest") else 0)
    if not options:
        return Plan((), f"every combination is above {draft.max_total} in total")
    return Plan(tuple(options[:MAX_OPTIONS]))


def _alternative_reason(best: Offer, other: Offer) -> str:
    if (
        other.distance_km is not None
        and best.distance_km is not None
        and (other.distance_km < best.distance_km)
    ):
        return f"closer ({other.distance_km:.1f} km)"
    if other.delivery_minutes < best.delivery_minutes:
        return f"faster delivery ({other.delivery_minutes} min)"
    difference = other.total - best.total
    return f"{difference} more" if difference.minor > 0 else "same price"
