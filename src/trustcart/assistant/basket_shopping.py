"""A basket the person asked for in words: found, planned over every merchant, paid once.

``BasketShopper.offer`` finds one product for each wished item (the marketplace's search, the
same intent context as every other caller; a product counts only if its title holds the wished
words, so that a search that answers *something* for "tofu" does not put yoghurt in the
basket: what no shop sells is named instead), asks the marketplace for the split with the
lowest delivered total (``POST /baskets/plan``, ``basket_buyer.BasketBuyer.plan``) and, to say
what the split saves, the same planner for each item alone (its cheapest delivered one-line
cart). The offer is plain data the conversation keeps and shows.

``BasketShopper.pay`` runs after the person's one "yes": their wallet signs one BOUNDED IAC for
exactly this basket (its total, its merchants, its quantity, an hour), each merchant confirms
and signs its cart, the agent checks each against the plan and the set against the IAC, the
wallet approves the set once, and the payment provider pays every cart or none
(``basket_buyer``). A basket over the person's cap is never offered for approval
(``BasketOffer.within_cap``); the IAC would refuse it anyway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.basket_buyer import (
    BasketBuyer,
    PlannedBasket,
    PlannedCart,
    check_basket_within,
)
from trustcart.assistant.basket_words import BasketRequest, BasketWish
from trustcart.assistant.context import intent_context
from trustcart.assistant.errors import ToolRefused, WalletError
from trustcart.assistant.intent import IntentDraft, ItemRequest
from trustcart.assistant.isr_draft import build_isr
from trustcart.assistant.memory import RecordKind
from trustcart.assistant.offers import Offer
from trustcart.assistant.paying import tool_refusal
from trustcart.assistant.proposals import Purchase
from trustcart.assistant.records import purchase_record
from trustcart.core.errors import ValidationError
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.delegation.isr import ISR
from trustcart.delegation.terms import DelegationMode

if TYPE_CHECKING:
    from trustcart.assistant.tools import ShoppingTools


@dataclass(frozen=True, slots=True)
class FoundItem:
    """A wished item and the product found for it (the planner compares it everywhere)."""

    wish: str  # what the person called it
    product_id: str
    title: str
    title_zh: str
    category: str
    quantity: int


@dataclass(frozen=True, slots=True)
class BasketOffer:
    """The split to approve, what it saves, what nobody sells, and the person's cap."""

    text: str
    found: tuple[FoundItem, ...]
    unsold: tuple[str, ...]
    plan: PlannedBasket | None  # None when nothing could be found
    separate_total: Money | None  # each item alone at its cheapest delivered
    max_total: Money | None

    @property
    def within_cap(self) -> bool:
        return self.plan is not None and (
            self.max_total is None or self.plan.total <= self.max_total
        )

    @property
    def saving(self) -> Money | None:
        if self.plan is None or self.separate_total is None:
            return None
        return self.separate_total - self.plan.total

    def to_json(self) -> dict[str, Any]:
        """The offer as ``chat --json`` shows it and the conversation's snapshot keeps it."""
        return {
            "text": self.text,
            "items": [dataclasses.asdict(item) for item in self.found],
            "unsold": list(self.unsold),
            "carts": [] if self.plan is None else [_cart_json(c) for c in self.plan.carts],
            "total": None if self.plan is None else self.plan.total.to_json(),
            "exact": None if self.plan is None else self.plan.exact,
            "separate_total": None
            if self.separate_total is None
            else self.separate_total.to_json(),
            "saving": None if self.saving is None else self.saving.to_json(),
            "max_total": None if self.max_total is None else self.max_total.to_json(),
            "within_cap": self.within_cap,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> BasketOffer:
        """Read a kept offer back; ``ValidationError`` if it is not one ``to_json`` wrote."""
        try:
            carts = tuple(PlannedCart.from_wire(c) for c in obj["carts"])
            plan = (
                PlannedBasket(carts, Money.from_json(obj["total"]), bool(obj["exact"]))
                if carts
                else None
            )
            return cls(
                text=str(obj["text"]),
                found=tuple(FoundItem(**item) for item in obj["items"]),
                unsold=tuple(str(u) for u in obj["unsold"]),
                plan=plan,
                separate_total=_money(obj.get("separate_total")),
                max_total=_money(obj.get("max_total")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValidationError(f"the kept basket cannot be read: {e}") from e


def _money(raw: Any) -> Money | None:
    return None if raw is None else Money.from_json(raw)


def _cart_json(cart: PlannedCart) -> dict[str, Any]:
    """A planned cart in the marketplace's own shape (``PlannedCart.from_wire`` reads it)."""
    return {
        "merchant_id": cart.merchant_id,
        "merchant_name": cart.merchant_name,
        "items": [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price.to_json(),
                "title": title,
            }
            for line, title in zip(cart.lines, cart.titles, strict=True)
        ],
        "subtotal": cart.subtotal.to_json(),
        "discount": cart.discount.to_json(),
        "coupons": [{"description": c} for c in cart.coupons],
        "shipping": cart.shipping.to_json(),
        "total": cart.total.to_json(),
    }


def holds_the_words(offer: Offer, wish: BasketWish) -> bool:
    """The product is the wished item: its category (when known) and every wished word."""
    if wish.category and not offer.category.startswith(wish.category):
        return False
    title = offer.title.lower()
    words = [w.rstrip("s") for w in wish.description.lower().split()]
    if words and all(w in title for w in words):
        return True
    chinese = wish.name_zh or (wish.description if not wish.description.isascii() else "")
    return bool(chinese) and chinese in offer.title_zh


def _best(offers: Sequence[Offer], wish: BasketWish) -> Offer | None:
    """The wished item at its lowest unit price (the planner then compares the same product
    at every merchant); UCP businesses' lines are not the marketplace's to plan."""
    fitting = [o for o in offers if not o.business and holds_the_words(o, wish)]
    if not fitting:
        return None
    return min(fitting, key=lambda o: (o.unit_price.minor, len(o.title)))


class BasketShopper:
    """Finds, plans and pays baskets with ``tools`` (the agent, the wallet, the person)."""

    def __init__(self, tools: ShoppingTools) -> None:
        self.tools = tools
        merchants, psp = tools.agent.basket_clients()
        self.buyer = BasketBuyer(tools.agent, merchants=merchants, psp=psp, clock=tools.clock)

    def _search(self, request: BasketRequest, wish: BasketWish) -> Offer | None:
        item = ItemRequest(wish.description, wish.category, wish.quantity, wish.attributes)
        draft = _draft(request.text, (item,), wish.max_unit_price)
        try:
            offers = self.tools.agent.discover(intent_context(draft, item, self.tools.location))
        except PurchaseRefused as refusal:
            raise tool_refusal(refusal) from refusal
        return _best(offers, wish)

    def _plan(self, wanted: Sequence[tuple[str, str, int]]) -> PlannedBasket | None:
        try:
            return self.buyer.plan(wanted)
        except PurchaseRefused as refusal:
            if refusal.code == "out-of-stock":
                return None
            raise tool_refusal(refusal) from refusal

    def offer(self, request: BasketRequest) -> BasketOffer:
        """Find, plan and price ``request`` (nothing is signed or paid)."""
        found: dict[str, FoundItem] = {}
        unsold: list[str] = []
        for wish in request.wishes:
            offer = self._search(request, wish)
            name = wish.name_zh if request.language == "zh" and wish.name_zh else wish.description
            if offer is None:
                unsold.append(name)
            elif offer.product_id in found:  # "milk" twice: one line of both
                kept = found[offer.product_id]
                found[offer.product_id] = dataclasses.replace(
                    kept, quantity=kept.quantity + wish.quantity
                )
            else:
                found[offer.product_id] = FoundItem(
                    name,
                    offer.product_id,
                    offer.title,
                    offer.title_zh,
                    offer.category,
                    wish.quantity,
                )
        items = tuple(found.values())
        wanted = [(item.wish, item.product_id, item.quantity) for item in items]
        plan = self._plan(wanted) if wanted else None
        separate: Money | None = None
        if plan is not None:
            alone = [self._plan([w]) for w in wanted]
            if all(a is not None for a in alone):
                separate = Money.zero(plan.total.currency)
                for single in alone:
                    assert single is not None
                    separate = separate + single.total
        return BasketOffer(request.text, items, tuple(unsold), plan, separate, request.max_total)

    def pay(self, basket: BasketOffer) -> list[Purchase]:
        """After the person's yes: one IAC, one cart per merchant, one approval, one payment.

        ``ToolRefused`` (with the refusing party's code) if any step refuses; nothing is paid
        unless every cart is.
        """
        plan = basket.plan
        if plan is None or not basket.within_cap:
            raise ToolRefused("basket-over-cap", "the basket is over the cap: nothing to pay")
        tools = self.tools
        isr = self._isr(basket, plan)
        delegation = tools._authorize(isr)
        iac = delegation.iac
        try:
            carts = [self.buyer.confirm(c.merchant_id, c.lines, iac) for c in plan.carts]
            method = iac.allowed_payment_methods[0]
            check_basket_within(carts, iac, delegation.spent, method_id=method, clock=tools.clock)
            keys = {c.merchant_id: tools.agent.merchant_keys(c.merchant_id) for c in carts}
            approval = tools.wallet.approve_basket([c.token for c in carts], keys)
            receipts = self.buyer.pay(
                payment_token=delegation.payment_token, iac=iac, carts=carts, approval=approval
            )
        except (PurchaseRefused, WalletError) as refusal:
            raise tool_refusal(refusal) from refusal
        basket_id = new_id("bsk")
        purchases = []
        for cart, receipt in zip(carts, receipts, strict=True):
            delegation.record(receipt)
            purchase = Purchase(basket_id, isr, iac, PaymentMode.L2, cart, None, receipt)
            tools.purchases[cart.out_trade_no] = purchase
            tools.memory.record(RecordKind.PURCHASE, cart.out_trade_no, purchase_record(purchase))
            purchases.append(purchase)
        return purchases

    def _isr(self, basket: BasketOffer, plan: PlannedBasket) -> ISR:
        """The BOUNDED ISR for exactly this basket: its total, merchants and quantity."""
        items = tuple(
            ItemRequest(item.title, item.category, item.quantity) for item in basket.found
        )
        draft = _draft(basket.text, items, None, plan.total)
        intent_id = self.tools.register_intent(draft)
        isr = build_isr(
            draft,
            intent_id=intent_id,
            agent_id=self.tools.agent.agent_id,
            now=self.tools.clock.now(),
            location=self.tools.location,
            payment_methods=(self.tools.payment_method,),
            max_total=plan.total,
            allowed_merchants=tuple(sorted({c.merchant_id for c in plan.carts})),
        )
        quantity = sum(item.quantity for item in basket.found)
        commerce = dataclasses.replace(isr.commerce, max_total_quantity=quantity)
        return dataclasses.replace(isr, delegation_mode=DelegationMode.BOUNDED, commerce=commerce)


def _draft(
    text: str,
    items: tuple[ItemRequest, ...],
    max_unit_price: Money | None,
    max_total: Money | None = None,
) -> IntentDraft:
    """An instant draft for ``items`` (the search context and the ISR read drafts)."""
    first = items[0]
    return IntentDraft(
        text=text,
        item=first.description,
        category=first.category,
        quantity=sum(i.quantity for i in items),
        max_unit_price=max_unit_price,
        max_total=max_total,
        period=None,
        delegated=False,
        items=items,
        currency=max_total.currency if max_total is not None else "CNY",
    )
