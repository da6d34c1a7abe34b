"""UCP products as the agent's offers, and a checkout session's figures checked (pure).

Strategy: a search result becomes an ``Offer`` like any merchant's (the planner compares them
in one list), marked with the business it came from (``Offer.business``) and an id of its own
(``ucp:<item id>``) so it never collides with a marketplace product. Until a session prices it,
its total is the item price times the quantity: UCP search says nothing of delivery; the
session quoted before the person approves (``shops``) gives the delivered total, which is what
the person approves.

Rules kept on every session the business answers (``read_session``): each line's subtotal is
its price times its quantity, the subtotal is the sum of the lines, and the total is exactly
the subtotal plus the discounts (negative), fulfillment, tax and fees; a total of a kind we
cannot sign, or any other difference, is ``ucp-totals-mismatch`` (a business that lies about
its totals is refused). ``check_same_terms`` refuses a price or total that moved since the
person approved (``ucp-price-changed``).

>>> read_session({"id": "chk_1", "status": "ready_for_complete", "currency": "CNY",
...     "line_items": [{"id": "li_1", "item": {"id": "p1",
...     "price": 1200}, "quantity": 2, "totals": [{"type": "subtotal", "amount": 2400}]}],
...     "totals": [{"type": "subtotal", "amount": 2400}, {"type": "fulfillment",
...     "amount": 300}, {"type": "total", "amount": 2700}]}).total
Money(minor=2700, currency='CNY')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trustcart.assistant.offers import Offer
from trustcart.assistant.ucp.errors import AnswerRejected, UcpCode
from trustcart.assistant.ucp.profile import BusinessProfile
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

ID_PREFIX = "ucp:"
SIGNED_TOTALS = frozenset({"subtotal", "items_discount", "discount", "fulfillment", "tax", "fee"})


def item_id(offer: Offer) -> str:
    """The business's own item id of a UCP offer.

    >>> item_id(dataclasses.replace(_example(), product_id="ucp:p_7"))
    'p_7'
    """
    return offer.product_id.removeprefix(ID_PREFIX)


def _example() -> Offer:
    price = Money(1000, "CNY")
    return Offer("p", "Tea", "m", "M", "drinks", 1, price, price, Money(0, "CNY"), price)


def offer_from_product(
    product: Mapping[str, Any], business: BusinessProfile, quantity: int
) -> Offer | None:
    """The offer of a search result's first available variant (None when none is)."""
    variants = [
        v
        for v in product.get("variants", [])
        if (v.get("availability") or {}).get("available", True) is not False
    ]
    if not variants:
        return None
    variant = variants[0]
    meta = {**(product.get("metadata") or {}), **(variant.get("metadata") or {})}
    seller = (variant.get("seller") or {}).get("name") or business.name
    categories = product.get("categories") or [{}]
    try:
        price = Money(int(variant["price"]["amount"]), str(variant["price"]["currency"]))
        subtotal = price * quantity
        return Offer(
            product_id=ID_PREFIX + str(variant["id"]),
            title=str(variant.get("title") or product["title"]),
            title_zh=str(meta.get("title_zh") or ""),
            merchant_id=str(meta.get("merchant_id") or business.name),
            merchant_name=f"{seller} (UCP {business.name})",
            category=str(categories[0].get("value") or ""),
            quantity=quantity,
            unit_price=price,
            subtotal=subtotal,
            discount=Money.zero(price.currency),
            total=subtotal,
            business=business.url,
        )
    except (KeyError, TypeError, ValueError, ValidationError) as e:
        raise AnswerRejected(UcpCode.BAD_ANSWER, f"a product is malformed: {e}") from e


@dataclass(frozen=True, slots=True)
class SessionLine:
    line_id: str
    item_id: str
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True)
class SessionFigures:
    """A session whose figures add up (``read_session`` checked them)."""

    session_id: str
    status: str
    lines: tuple[SessionLine, ...]
    subtotal: Money
    discount: Money  # zero or negative: every discount the session lists
    total: Money
    messages: tuple[str, ...]


def _amounts(entries: Sequence[Mapping[str, Any]], currency: str) -> dict[str, Money]:
    found: dict[str, Money] = {}
    for entry in entries:
        kind = str(entry["type"])
        found[kind] = found.get(kind, Money.zero(currency)) + Money(int(entry["amount"]), currency)
    return found


def _mismatch(reason: str) -> AnswerRejected:
    return AnswerRejected(
        UcpCode.TOTALS_MISMATCH, f"the business's figures do not add up: {reason}"
    )


def read_session(session: Mapping[str, Any]) -> SessionFigures:
    """Check a (schema-valid) checkout session's arithmetic; ``ucp-totals-mismatch`` if not."""
    currency = str(session["currency"])
    lines = []
    line_sum = Money.zero(currency)
    for line in session["line_items"]:
        price = Money(int(line["item"]["price"]), currency)
        quantity = int(line["quantity"])
        line_totals = _amounts(line.get("totals", []), currency)
        if line_totals.get("subtotal", price * quantity) != price * quantity:
            raise _mismatch(f"line {line['id']} is not its price times its quantity")
        lines.append(SessionLine(str(line["id"]), str(line["item"]["id"]), quantity, price))
        line_sum = line_sum + price * quantity
    totals = _amounts(session["totals"], currency)
    unknown = set(totals) - SIGNED_TOTALS - {"total"}
    if unknown:
        raise _mismatch(f"a total of unknown kind {sorted(unknown)}")
    if "total" not in totals or totals.get("subtotal") != line_sum:
        raise _mismatch(f"the subtotal is not the sum of the lines ({line_sum})")
    expected = Money.zero(currency)
    for kind in SIGNED_TOTALS & set(totals):
        expected = expected + totals[kind]
    if totals["total"] != expected:
        raise _mismatch(
            f"the total {totals['total']} is not lines, discounts and fulfillment ({expected})"
        )
    discount = totals.get("discount", Money.zero(currency)) + totals.get(
        "items_discount", Money.zero(currency)
    )
    return SessionFigures(
        session_id=str(session["id"]),
        status=str(session["status"]),
        lines=tuple(lines),
        subtotal=line_sum,
        discount=discount,
        total=totals["total"],
        messages=tuple(str(m.get("code", "")) for m in session.get("messages", [])),
    )


def quoted(offer: Offer, figures: SessionFigures) -> Offer:
    """``offer`` as the session priced it (delivered total); ``ucp-price-changed`` when the
    session is for other items or another price than the offer shown."""
    check_items(offer, figures)
    return dataclasses.replace(
        offer, subtotal=figures.subtotal, discount=-figures.discount, total=figures.total
    )


def check_items(offer: Offer, figures: SessionFigures) -> None:
    """The session holds exactly the offer's item and quantity, at the offer's unit price."""
    wanted = [(item_id(offer), offer.quantity)]
    if [(line.item_id, line.quantity) for line in figures.lines] != wanted:
        raise AnswerRejected(UcpCode.PRICE_CHANGED, "the session holds other items than chosen")
    price = figures.lines[0].unit_price
    if price != offer.unit_price:
        raise AnswerRejected(
            UcpCode.PRICE_CHANGED, f"the price is now {price}, not the {offer.unit_price} shown"
        )


def check_same_terms(approved: Offer, figures: SessionFigures) -> None:
    """The session still has the price and total the person approved."""
    check_items(approved, figures)
    if figures.total != approved.total:
        raise AnswerRejected(
            UcpCode.PRICE_CHANGED,
            f"the total is now {figures.total}, not the {approved.total} you approved",
        )
