"""UCP carts (``dev.ucp.shopping.cart``) on the one checkout state machine, and their conversion.

A cart is a ``CheckoutService`` session of protocol ``ucp_cart``: the same tables, the same
pricing, coupons (UCP discount codes) and stock checks as a checkout session, so a cart's
estimate and the checkout made from it cannot disagree. A cart never completes (no route does
it) and holds no stock (stock is held when a checkout completes). Rules (``cart.md``):

* create needs ``line_items``; when no item is available in the quantity asked, the answer is
  ``out_of_stock`` and no cart is made; items of one merchant per cart (``multiple_merchants``);
* get answers ``not_found`` for a cart that does not exist, is another platform's, was
  canceled or has expired (6 hours);
* update replaces the cart (line items, buyer, codes);
* cancel answers the cart as it was, then the cart is gone (``not_found``);
* a create checkout with ``cart_id`` uses the cart's line items, buyer and codes and ignores
  those fields of its own body; while a checkout made from the cart is still open, the same
  request returns that checkout instead of making a second one. Cart and checkout are linked
  (``extras``: ``checkout_id`` on the cart, ``cart_id`` on the checkout).

Every mutation goes through ``UcpBusiness.idempotent`` in the HTTP shell, like checkouts.
"""

from __future__ import annotations

from typing import Any

from trustcart.commerce.checkout import OPEN, CheckoutStatus
from trustcart.commerce.checkout_service import (
    CheckoutChanges,
    CheckoutDraft,
    CheckoutService,
    CheckoutView,
)
from trustcart.commerce.errors import CheckoutRefused
from trustcart.commerce.ucp.business import Answer, UcpBusiness
from trustcart.commerce.ucp.cart_render import render_buyer, render_cart
from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.commerce.ucp.requests import cart_input

CART_PROTOCOL = "ucp_cart"


class UcpCarts:
    def __init__(self, business: UcpBusiness, checkout: CheckoutService) -> None:
        self._business = business
        self._checkout = checkout

    def _view(self, platform: str, cart_id: str) -> CheckoutView:
        try:
            view = self._checkout.get(cart_id, platform_id=platform)
        except CheckoutRefused as e:
            raise UcpError(UcpCode.NOT_FOUND, f"no cart {cart_id}", status=404) from e
        if view.session.protocol != CART_PROTOCOL or view.session.status not in OPEN:
            raise UcpError(UcpCode.NOT_FOUND, f"no cart {cart_id}", status=404)
        return view

    def _render(self, view: CheckoutView, status: int = 200) -> Answer:
        return Answer(status, render_cart(view, self._business.base_url))

    def create(self, platform: str, body: dict[str, Any]) -> Answer:
        wanted = cart_input(body)
        merchant_id, currency = self._business.merchant_of(wanted)
        view = self._checkout.create(
            CheckoutDraft(
                merchant_id=merchant_id,
                platform_id=platform,
                protocol=CART_PROTOCOL,
                currency=currency,
                items=wanted.items,
                buyer=wanted.buyer,
                codes=wanted.codes,
            )
        )
        return self._render(view, 201)

    def get(self, platform: str, cart_id: str) -> Answer:
        return self._render(self._view(platform, cart_id))

    def update(self, platform: str, cart_id: str, body: dict[str, Any]) -> Answer:
        wanted = cart_input(body, cart_id=cart_id)
        current = self._view(platform, cart_id)
        if self._business.merchant_of(wanted)[0] != current.session.merchant_id:
            raise UcpError(
                UcpCode.MULTIPLE_MERCHANTS,
                "the items belong to another merchant than this cart's",
                path="$.line_items",
            )
        view = self._checkout.update(
            cart_id,
            CheckoutChanges(items=wanted.items, buyer=wanted.buyer, codes=wanted.codes),
            platform_id=platform,
        )
        return self._render(view)

    def cancel(self, platform: str, cart_id: str) -> Answer:
        before = self._view(platform, cart_id)
        self._checkout.cancel(cart_id, platform_id=platform)
        return self._render(before)  # UCP: the cart state before deletion

    def convert(self, platform: str, body: dict[str, Any]) -> Answer:
        """Create checkout from ``cart_id`` (module doc); 201 new, 200 the open one again."""
        cart_id = body.get("cart_id")
        if not isinstance(cart_id, str) or not 0 < len(cart_id) <= 96:
            raise UcpError(UcpCode.INVALID_REQUEST, "cart_id must be a cart id", path="$.cart_id")
        cart = self._view(platform, cart_id)
        linked = cart.session.extras.get("checkout_id")
        if isinstance(linked, str):
            try:
                existing = self._business.get(platform, linked)
            except (CheckoutRefused, UcpError):
                existing = None
            if existing is not None and existing.session.status in (
                CheckoutStatus.INCOMPLETE,
                CheckoutStatus.READY,
            ):
                return self._business.render(existing)
        fields = {
            k: v for k, v in body.items() if k not in ("cart_id", "line_items", "buyer", "context")
        }
        fields["line_items"] = [
            {"item": {"id": item.product_id}, "quantity": item.quantity}
            for item in cart.session.items
        ]
        buyer = render_buyer(cart)
        if buyer:
            fields["buyer"] = buyer
        if "discounts" not in fields and cart.session.codes:
            fields["discounts"] = {"codes": list(cart.session.codes)}
        answer = self._business.create(platform, fields)
        checkout_id = str(answer.body["id"])
        self._checkout.update(
            checkout_id, CheckoutChanges(extras={"cart_id": cart_id}), platform_id=platform
        )
        self._checkout.update(
            cart_id, CheckoutChanges(extras={"checkout_id": checkout_id}), platform_id=platform
        )
        return answer
