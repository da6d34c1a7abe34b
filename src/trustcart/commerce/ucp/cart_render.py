"""Carts as UCP 2026-04-08 JSON (``cart.json`` with the discount extension) (pure).

A cart is rendered from the same priced view as a checkout session (``render``): the same line
items, totals and discounts, so a cart and the checkout made from it show the same prices. What
a cart leaves out: status, payment handlers, fulfilment (there is no destination yet; the totals'
``fulfillment`` line is the merchant's estimate for the default option) and the fulfilment
messages (``fulfillment_*``) that would keep a checkout ``incomplete``.
"""

from __future__ import annotations

from typing import Any

from trustcart.commerce.checkout_service import CheckoutView
from trustcart.commerce.ucp.profile import CART_CAPABILITIES, response_meta
from trustcart.commerce.ucp.render import (
    _discounts,
    _messages,
    _totals,
    render_checkout,
)
from trustcart.core.clock import format_instant


def render_buyer(view: CheckoutView) -> dict[str, str] | None:
    """The session's buyer as UCP ``buyer`` (None when there is none)."""
    buyer = view.session.buyer
    if buyer is None:
        return None
    fields = {
        "email": buyer.email,
        "first_name": buyer.first_name,
        "last_name": buyer.last_name,
        "phone_number": buyer.phone_number,
    }
    return {k: v for k, v in fields.items() if v is not None}


def render_cart(view: CheckoutView, base_url: str) -> dict[str, Any]:
    """The UCP cart object of ``view`` (a session of protocol ``ucp_cart``)."""
    checkout = render_checkout(view, base_url)  # the same line items, one implementation
    body: dict[str, Any] = {
        "ucp": response_meta(CART_CAPABILITIES),
        "id": view.session.session_id,
        "line_items": checkout["line_items"],
        "currency": view.quote.currency,
        "totals": _totals(view.quote),
        "messages": [
            m for m in _messages(view) if not str(m.get("code", "")).startswith("fulfillment_")
        ],
        "links": checkout["links"],
        "expires_at": format_instant(view.session.expires_at),
        "discounts": _discounts(view),
    }
    buyer = render_buyer(view)
    if buyer:
        body["buyer"] = buyer
    return body
