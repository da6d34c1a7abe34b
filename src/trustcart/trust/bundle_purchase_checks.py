"""The purchase checks of an evidence bundle: the cart against the IAC, the receipt against the
cart, the amounts within the limits, the approval of the exact cart (L1)."""

from __future__ import annotations

from trustcart.core.categories import category_within, is_canonical_category
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode, PaymentStatus
from trustcart.core.typs import APPROVAL_TYP
from trustcart.crypto.jcs import jcs_digest
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.recurrence import Recurrence
from trustcart.trust.bundle_format import (
    CheckFailed,
    equal,
    field,
    instant,
    money,
    need,
    strings,
)
from trustcart.trust.bundle_state import BundleState


class PurchaseChecks(BundleState):
    """Checks of what was bought and paid, against what was authorized."""

    def check_cart_binding(self) -> str:
        cart, iac = need(self.cart, "cart-signature"), need(self.iac, "iac-signature")
        for name in ("delegation_id", "agent_id", "intent_id"):
            equal(f"cart {name}", field(cart, name, str), iac[name])
        method = field(field(cart, "payment", dict), "method_id", str)
        if method not in iac["allowed_payment_methods"]:
            raise CheckFailed(f"payment method {method!r} is not allowed by the IAC")
        return "cart bound to the IAC"

    def check_cart_merchant(self) -> str:
        cart, commerce = need(self.cart, "cart-signature"), self._iac_commerce()
        merchant = cart["merchant_id"]
        allowed = strings(commerce, "allowed_merchants")
        if merchant in strings(commerce, "forbidden_merchants"):
            raise CheckFailed(f"merchant {merchant} is forbidden")
        if allowed and merchant not in allowed:
            raise CheckFailed(f"merchant {merchant} is not among the allowed merchants")
        return f"merchant {merchant} allowed"

    def check_cart_items(self) -> str:
        cart, commerce = need(self.cart, "cart-signature"), self._iac_commerce()
        currency = field(need(self.iac, "iac-signature"), "currency", str)
        allowed = strings(commerce, "allowed_categories")
        forbidden = strings(commerce, "forbidden_categories")
        if not all(is_canonical_category(c) for c in (*allowed, *forbidden)):
            raise CheckFailed("the IAC's category lists are not canonical category paths")
        items = field(cart, "items", list)
        if not items:
            raise CheckFailed("cart has no items")
        subtotal, quantity = Money.zero(currency), 0
        for item in items:
            category, count = field(item, "category", str), field(item, "quantity", int)
            if count < 1:
                raise CheckFailed("item quantity must be positive")
            if not is_canonical_category(category):
                raise CheckFailed(f"category {category!r} is not a canonical category path")
            if any(category_within(category, c) for c in forbidden) or (
                allowed and not any(category_within(category, c) for c in allowed)
            ):
                raise CheckFailed(f"category {category} is not allowed by the IAC")
            line = money(item, "line_total")
            equal("line_total", line, money(item, "unit_price") * count)
            subtotal, quantity = subtotal + line, quantity + count
        equal("subtotal", money(cart, "subtotal"), subtotal)
        total = money(cart, "subtotal") - money(cart, "discount") + money(cart, "shipping")
        equal("total", money(cart, "total"), total)
        limit = commerce.get("max_total_quantity")
        if limit is not None and (not isinstance(limit, int) or quantity > limit):
            raise CheckFailed(f"{quantity} items exceed max_total_quantity {limit}")
        return f"{len(items)} lines, {quantity} items, total {total}"

    def check_receipt_matches_cart(self) -> str:
        receipt, cart = need(self.receipt, "receipt-signature"), need(self.cart, "cart-signature")
        iac = need(self.iac, "iac-signature")
        equal("receipt cart_digest", field(receipt, "cart_digest", str), jcs_digest(cart))
        for name in ("out_trade_no", "merchant_id"):
            equal(f"receipt {name}", field(receipt, name, str), cart[name])
        equal("receipt amount", money(receipt, "amount"), money(cart, "total"))
        psp = self.roles[self.role_kid["psp"]][1]
        equal("payment provider", psp, field(field(cart, "payment", dict), "psp_id", str))
        for name in ("delegation_id", "agent_id"):
            equal(f"receipt {name}", field(receipt, name, str), iac[name])
        equal("receipt status", field(receipt, "status", str), PaymentStatus.SUCCESS.value)
        return f"receipt pays {money(receipt, 'amount')} for {cart['out_trade_no']}"

    def check_amount_within_limits(self) -> str:
        receipt = need(self.receipt, "receipt-signature")
        amount = money(receipt, "amount")
        max_total = need(self._iac_amount("max_total_amount"), "max_total_amount")
        equal("currency", amount.currency, max_total.currency)
        max_single, min_single = (
            self._iac_amount("max_single_amount"),
            self._iac_amount("min_single_amount"),
        )
        if max_single is not None and amount > max_single:
            raise CheckFailed(f"{amount} exceeds max_single_amount {max_single}")
        if min_single is not None and amount < min_single:
            raise CheckFailed(f"{amount} is below min_single_amount {min_single}")
        recurrence = self._iac_commerce().get("recurrence")
        if recurrence is not None:  # the period's other payments are the PSP's record, not here
            try:
                period_cap = Recurrence.from_json(recurrence, amount.currency).period_cap
            except InvalidCredential as e:
                raise CheckFailed(f"ext.commerce.recurrence: {e}") from e
            if amount > period_cap:
                raise CheckFailed(f"{amount} exceeds the period cap {period_cap}")
        budget = field(receipt, "budget", dict)
        spent = money(budget, "spent")
        if not amount <= spent <= max_total:
            raise CheckFailed(f"cumulative spend {spent} is outside [{amount}, {max_total}]")
        equal("budget remaining", money(budget, "remaining"), max_total - spent)
        if field(budget, "count", int) < 1:
            raise CheckFailed("budget count must include this payment")
        limit = self._iac_commerce().get("max_total_quantity")
        if limit is not None and field(budget, "quantity", int) > limit:
            raise CheckFailed("cumulative quantity exceeds max_total_quantity")
        return f"{amount}; spent {spent} of {max_total}"

    def check_approval(self) -> str:
        receipt = need(self.receipt, "receipt-signature")
        mode = field(receipt, "mode", str)
        if mode not in tuple(PaymentMode):
            raise CheckFailed(f"unknown payment mode {mode!r}")
        if mode == PaymentMode.L3 and (
            need(self.iac, "iac-signature").get("delegation_mode", "SPECIFIED") != "BOUNDED"
        ):
            raise CheckFailed("an L3 (autonomous) payment needs a BOUNDED IAC")
        if self._get("approval") is None:
            if mode == PaymentMode.L1:
                raise CheckFailed("an L1 payment needs the delegator's approval")
            return f"{mode}: no approval needed"
        approval, _ = self._signed("approval", "delegator", APPROVAL_TYP)
        self._valid_at("delegator", instant(approval, "approved_at"))
        for name in ("out_trade_no", "merchant_id", "cart_digest", "delegation_id", "agent_id"):
            equal(f"approval {name}", field(approval, name, str), receipt[name])
        equal("approval amount", money(approval, "amount"), money(receipt, "amount"))
        if instant(approval, "approved_at") > need(self.paid_at, "receipt-signature"):
            raise CheckFailed("approval is later than the payment")
        return f"{mode}: approved at {approval['approved_at']}"
