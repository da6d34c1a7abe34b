"""The agent's side of a basket: one cart per merchant, one approval, one all-or-nothing payment.

A basket plan (which product from which merchant), asked of the marketplace (``POST
/baskets/plan``; ``commerce.basket`` on its side), becomes one confirmed cart per merchant: the
agent negotiates the payment method and asks each merchant to confirm *all* of its lines in one
cart (``POST /carts`` with several items), so the merchant's coupons apply to the combined
subtotal. Each cart is checked like a single purchase's (the merchant's own signature, this
delegation, intent and agent, exactly the planned lines) and the set against the IAC as if paid
one after another (cumulative budget, quantity, per-purchase limits). Then the person's wallet
approves the set once (``Wallet.approve_basket``) and the agent sends every cart in one ``POST
/baskets``: the payment provider pays all of them or none. Each receipt must verify with the
PSP's key and name its own cart's digest and order.

Every refusal is a ``PurchaseRefused`` with a stable code; nothing is paid before the last
check.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.agent_answers import AgentCode, PurchaseRefused, _answer, _problem
from trustcart.assistant.offers import ConfirmedCart, Receipt
from trustcart.core.clock import Clock
from trustcart.core.errors import ValidationError
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.core.typs import CART_TYP, RECEIPT_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import keys_from_jwks
from trustcart.delegation.constraints import PurchaseFacts, SpendSoFar, evaluate_purchase
from trustcart.delegation.iac import IAC


@dataclass(frozen=True, slots=True)
class BasketLine:
    """One planned line: a product, how many, at the unit price the plan was priced with."""

    product_id: str
    quantity: int
    unit_price: Money

    def __post_init__(self) -> None:
        if not self.product_id or not 1 <= self.quantity <= 99:
            raise ValidationError("a basket line needs a product and a quantity of 1..99")


@dataclass(frozen=True, slots=True)
class PlannedCart:
    """One merchant's cart of the marketplace's plan, as the agent read it."""

    merchant_id: str
    merchant_name: str
    lines: tuple[BasketLine, ...]
    titles: tuple[str, ...]
    subtotal: Money
    discount: Money
    coupons: tuple[str, ...]
    shipping: Money
    total: Money

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any]) -> PlannedCart:
        items = raw["items"]
        return cls(
            merchant_id=str(raw["merchant_id"]),
            merchant_name=str(raw.get("merchant_name") or raw["merchant_id"]),
            lines=tuple(
                BasketLine(
                    str(i["product_id"]), int(i["quantity"]), Money.from_json(i["unit_price"])
                )
                for i in items
            ),
            titles=tuple(str(i["title"]) for i in items),
            subtotal=Money.from_json(raw["subtotal"]),
            discount=Money.from_json(raw["discount"]),
            coupons=tuple(str(c.get("description", "")) for c in raw.get("coupons", [])),
            shipping=Money.from_json(raw["shipping"]),
            total=Money.from_json(raw["total"]),
        )


@dataclass(frozen=True, slots=True)
class PlannedBasket:
    """The marketplace's split: one cart per merchant, the total, whether proven best."""

    carts: tuple[PlannedCart, ...]
    total: Money
    exact: bool


class BasketBuyer:
    """Confirms and pays a basket for ``agent`` through its merchant and PSP clients."""

    def __init__(
        self,
        agent: BuyerAgent,
        *,
        merchants: httpx.Client,
        psp: httpx.Client,
        clock: Clock,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self.agent = agent
        self._merchants = merchants
        self._psp = psp
        self._clock = clock
        self._random = random_bytes

    def plan(self, wanted: Sequence[tuple[str, str, int]]) -> PlannedBasket:
        """Ask the marketplace to split ``(item name, product_id, quantity)`` items across its
        merchants at the lowest delivered total (``POST /baskets/plan``)."""
        body = {
            "items": [
                {"item_id": name, "product_id": product_id, "quantity": quantity}
                for name, product_id, quantity in wanted
            ]
        }
        response = self._merchants.post("/baskets/plan", json=body)
        if response.status_code != 200:
            raise _problem(response)
        answer = _answer(response)
        try:
            carts = tuple(PlannedCart.from_wire(c) for c in answer["carts"])
            plan = PlannedBasket(carts, Money.from_json(answer["total"]), bool(answer["exact"]))
        except (KeyError, TypeError, ValueError, ValidationError) as e:
            raise PurchaseRefused(AgentCode.BAD_ANSWER, "the basket plan is malformed") from e
        if not carts or sum(c.total.minor for c in carts) != plan.total.minor:
            raise PurchaseRefused(AgentCode.BAD_ANSWER, "the plan's total is not its carts'")
        return plan

    def _method(self, merchant_id: str, iac: IAC, estimate: Money) -> str:
        body = {
            "agent_id": self.agent.agent_id,
            "buyer_supported_methods": list(iac.allowed_payment_methods),
            "currency": estimate.currency,
            "estimated_amount": estimate.to_json(),
        }
        response = self._merchants.post(f"/merchants/{merchant_id}/payment-negotiation", json=body)
        if response.status_code != 200:
            raise _problem(response)
        for method in _answer(response).get("supported_methods", []):
            if method.get("method_id") in iac.allowed_payment_methods:
                return str(method["method_id"])
        raise PurchaseRefused(AgentCode.METHOD_NOT_ALLOWED, "no payment method both sides accept")

    def confirm(self, merchant_id: str, lines: Sequence[BasketLine], iac: IAC) -> ConfirmedCart:
        """One merchant-signed cart holding every planned line at ``merchant_id``."""
        estimate = Money.zero(iac.currency)
        for line in lines:
            estimate = estimate + line.unit_price * line.quantity
        body = {
            "merchant_id": merchant_id,
            "items": [
                {
                    "product_id": line.product_id,
                    "quantity": line.quantity,
                    "expected_unit_price": line.unit_price.to_json(),
                }
                for line in lines
            ],
            "intent_id": iac.intent_id,
            "delegation_id": iac.delegation_id,
            "agent_id": self.agent.agent_id,
            "payment_method": self._method(merchant_id, iac, estimate),
        }
        response = self._merchants.post("/carts", json=body)
        if response.status_code != 201:
            raise _problem(response)
        token = _answer(response)["cart"]
        try:
            keys = self.agent.merchant_keys(merchant_id)
            cart = ConfirmedCart.from_verified(
                token, verify_compact(token, keys, typ=CART_TYP).payload
            )
        except InvalidSignature as e:
            raise PurchaseRefused(
                AgentCode.CART_SIGNATURE_INVALID, "the cart is not signed by that merchant"
            ) from e
        except ValidationError as e:
            raise PurchaseRefused(AgentCode.CART_MISMATCH, str(e)) from e
        check_basket_cart(cart, merchant_id, lines, iac, self.agent.agent_id)
        return cart

    def pay(
        self, *, payment_token: str, iac: IAC, carts: Sequence[ConfirmedCart], approval: str
    ) -> tuple[Receipt, ...]:
        """Send the basket; every receipt verified and matched to its cart, or a refusal."""
        body: dict[str, Any] = {
            "payment_token": payment_token,
            "iac": iac.token,
            "carts": [cart.token for cart in carts],
            "approval": approval,
            "request_id": new_id("pay", self._random),
        }
        key = "basket-" + "-".join(sorted(cart.out_trade_no for cart in carts))
        response = self._psp.post("/baskets", json=body, headers={"Idempotency-Key": key[:200]})
        if response.status_code != 200:
            raise _problem(response)
        psp_keys = keys_from_jwks(_answer(self._psp.get("/.well-known/jwks.json")))
        receipts = []
        try:
            for cart, payment in zip(carts, _answer(response)["payments"], strict=True):
                token = payment["receipt"]
                payload = verify_compact(token, psp_keys, typ=RECEIPT_TYP).payload
                receipt = Receipt.from_verified(
                    token,
                    payload,
                    trade_no=str(payment["trade_no"]),
                    credential_status=str(payment["credential_status"]),
                )
                if receipt.cart_digest != cart.digest or receipt.out_trade_no != cart.out_trade_no:
                    raise PurchaseRefused(
                        AgentCode.RECEIPT_MISMATCH, "a receipt is for another cart"
                    )
                receipts.append(receipt)
        except (InvalidSignature, KeyError, TypeError, ValueError, ValidationError) as e:
            raise PurchaseRefused(AgentCode.RECEIPT_INVALID, "a receipt does not verify") from e
        return tuple(receipts)


def check_basket_cart(
    cart: ConfirmedCart, merchant_id: str, lines: Sequence[BasketLine], iac: IAC, agent_id: str
) -> None:
    """The cart is this merchant's, for this delegation, intent and agent, as planned."""
    expected = {
        "merchant_id": (cart.merchant_id, merchant_id),
        "intent_id": (cart.intent_id, iac.intent_id),
        "delegation_id": (cart.delegation_id, iac.delegation_id),
        "agent_id": (cart.agent_id, agent_id),
    }
    for name, (got, wanted) in expected.items():
        if got != wanted:
            raise PurchaseRefused(AgentCode.CART_MISMATCH, f"the cart's {name} is not {wanted}")
    planned = sorted((line.product_id, line.quantity) for line in lines)
    if sorted((line.product_id, line.quantity) for line in cart.lines) != planned:
        raise PurchaseRefused(AgentCode.CART_MISMATCH, "the cart holds other items than planned")


def check_basket_within(
    carts: Sequence[ConfirmedCart], iac: IAC, spent: SpendSoFar, *, method_id: str, clock: Clock
) -> SpendSoFar:
    """Every cart within the IAC as if paid one after another; the spend after them all."""
    for cart in carts:
        facts = PurchaseFacts(
            merchant_id=cart.merchant_id,
            categories=cart.categories,
            amount=cart.total,
            quantity=cart.quantity,
            payment_method=method_id,
            at=clock.now(),
        )
        result = evaluate_purchase(iac, facts, spent)
        if not result.allowed:
            raise PurchaseRefused(str(result.reasons[0]), result.explain())
        spent = SpendSoFar(
            spent.total + cart.total, spent.count + 1, spent.quantity + cart.quantity
        )
    return spent
