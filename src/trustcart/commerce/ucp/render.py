"""Checkout sessions, orders and products as UCP 2026-04-08 JSON (pure).

Amounts are integer minor units (UCP ``amount``); discounts appear as negative ``totals``
entries and, per applied coupon, in ``discounts.applied`` with allocations to line paths. A line
is ``li_<n>`` (its position in the session). What still stands in the way of completion is an
error message (``recoverable`` / ``requires_buyer_input``); a rejected discount code is a
warning ``discount_code_<reason>`` at ``$.discounts.codes[i]``. A completed session bound to an
ACT IAC carries ``act``: the merchant-signed cart, the provider's receipt and the signed
credential status, from which the platform packages the purchase's evidence bundle.
"""

from __future__ import annotations

from typing import Any

from trustcart.commerce.catalog import Merchant, Product
from trustcart.commerce.checkout import CheckoutStatus, NoticeKind
from trustcart.commerce.checkout_quote import CheckoutQuote, IssueKind
from trustcart.commerce.checkout_service import CheckoutView
from trustcart.commerce.order_book import Order
from trustcart.commerce.orders import OrderStatus
from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.profile import CHECKOUT_CAPABILITIES, response_meta
from trustcart.core.clock import format_instant

STATUS = {
    CheckoutStatus.INCOMPLETE: "incomplete",
    CheckoutStatus.READY: "ready_for_complete",
    CheckoutStatus.COMPLETING: "complete_in_progress",
    CheckoutStatus.COMPLETED: "completed",
    CheckoutStatus.CANCELED: "canceled",
    CheckoutStatus.EXPIRED: "canceled",
}

_ISSUES = {
    IssueKind.UNAVAILABLE: ("item_unavailable", "requires_buyer_review", "is not sold here"),
    IssueKind.OUT_OF_STOCK: ("out_of_stock", "requires_buyer_review", "is out of stock"),
    IssueKind.ADDRESS_MISSING: ("fulfillment_address_required", "requires_buyer_input", ""),
    IssueKind.OPTION_UNKNOWN: ("fulfillment_option_unknown", "recoverable", ""),
}
_NOTICES = {
    NoticeKind.PAYMENT_DECLINED: ("payment_declined", "The last payment was declined."),
    NoticeKind.PRICE_CHANGED: ("price_changed", "Prices changed; review the new totals."),
    NoticeKind.OUT_OF_STOCK: ("out_of_stock", "An item ran out of stock."),
}


def line_id(index: int) -> str:
    """The UCP id of the session's line at ``index``.

    >>> line_id(0)
    'li_1'
    """
    return f"li_{index + 1}"


def _item(product: Product) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": product.product_id,
        "title": product.title,
        "price": product.price.minor,
    }
    if product.image_url and product.image_url.startswith(("http://", "https://")):
        item["image_url"] = product.image_url
    return item


def _totals(quote: CheckoutQuote) -> list[dict[str, Any]]:
    totals: list[dict[str, Any]] = [
        {"type": "subtotal", "display_text": "Subtotal", "amount": quote.items_base.minor}
    ]
    if quote.discount.minor:
        totals.append(
            {"type": "discount", "display_text": "Discounts", "amount": -quote.discount.minor}
        )
    totals.append(
        {"type": "fulfillment", "display_text": "Delivery", "amount": quote.shipping.minor}
    )
    totals.append({"type": "total", "display_text": "Total", "amount": quote.total.minor})
    return totals


def _messages(view: CheckoutView) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if view.session.status in (CheckoutStatus.INCOMPLETE, CheckoutStatus.READY):
        for issue in view.quote.issues:
            code, severity, text = _ISSUES[issue.kind]
            message: dict[str, Any] = {"type": "error", "code": code, "severity": severity}
            if issue.line is not None:
                item = view.session.items[issue.line].product_id
                message.update(path=f"$.line_items[{issue.line}]", content=f"{item} {text}")
            else:
                message["path"] = "$.fulfillment"
                message["content"] = (
                    "A shipping destination is needed."
                    if issue.kind is IssueKind.ADDRESS_MISSING
                    else "The selected fulfillment option is not offered."
                )
            messages.append(message)
    for rejected in view.quote.rejected:
        messages.append(
            {
                "type": "warning",
                "code": "discount_code_" + str(rejected.reason).replace("-", "_"),
                "path": f"$.discounts.codes[{rejected.index}]",
                "content": rejected.message,
            }
        )
    for notice in view.session.notices:
        code, text = _NOTICES[notice]
        messages.append({"type": "info", "code": code, "content": text})
    return messages


def _fulfillment(view: CheckoutView) -> dict[str, Any]:
    session, quote = view.session, view.quote
    ids = [line_id(line.index) for line in quote.lines]
    method: dict[str, Any] = {"id": "fm_1", "type": "shipping", "line_item_ids": ids}
    address = session.contact.address if session.contact else None
    if address is not None:
        method["destinations"] = [
            {
                "id": "dest_1",
                "street_address": address.line_one,
                "extended_address": address.line_two,
                "address_locality": address.city,
                "address_region": address.state,
                "address_country": address.country,
                "postal_code": address.postal_code,
            }
        ]
        method["selected_destination_id"] = "dest_1"
    method["groups"] = [
        {
            "id": "fg_1",
            "line_item_ids": ids,
            "selected_option_id": quote.selected.option_id if quote.selected else None,
            "options": [
                {
                    "id": option.option_id,
                    "title": option.title,
                    "description": option.description,
                    "earliest_fulfillment_time": format_instant(option.earliest),
                    "latest_fulfillment_time": format_instant(option.latest),
                    "totals": [{"type": "total", "amount": option.amount.minor}],
                }
                for option in quote.options
            ],
        }
    ]
    return {"methods": [method]}


def _discounts(view: CheckoutView) -> dict[str, Any]:
    applied = []
    for discount in view.quote.applied:
        entry: dict[str, Any] = {
            "title": discount.coupon.description or discount.coupon.coupon_id,
            "amount": discount.amount.minor,
            "automatic": discount.automatic,
            "method": "across",
            "priority": discount.priority,
            "allocations": [
                {"path": f"$.line_items[{n}]", "amount": share.minor}
                for n, share in enumerate(discount.allocations)
                if share.minor
            ],
        }
        if discount.code is not None:
            entry["code"] = discount.code
        applied.append(entry)
    return {"codes": list(view.session.codes), "applied": applied}


def render_checkout(view: CheckoutView, base_url: str) -> dict[str, Any]:
    """The UCP checkout object of ``view``."""
    session, quote = view.session, view.quote
    body: dict[str, Any] = {
        "ucp": response_meta(CHECKOUT_CAPABILITIES, checkout=True),
        "id": session.session_id,
        "status": STATUS[session.status],
        "currency": quote.currency,
        "line_items": [
            {
                "id": line_id(line.index),
                "item": _item(line.product),
                "quantity": line.quantity,
                "totals": [
                    {"type": "subtotal", "amount": line.base.minor},
                    *(
                        [{"type": "items_discount", "amount": -line.discount.minor}]
                        if line.discount.minor
                        else []
                    ),
                    {"type": "total", "amount": line.total.minor},
                ],
            }
            for line in quote.lines
        ],
        "totals": _totals(quote),
        "messages": _messages(view),
        "links": [
            {"type": "terms_of_service", "url": f"{base_url}/legal/terms"},
            {"type": "privacy_policy", "url": f"{base_url}/legal/privacy"},
        ],
        "expires_at": format_instant(session.expires_at),
        "discounts": _discounts(view),
        "fulfillment": _fulfillment(view),
    }
    if session.buyer is not None:
        buyer = {
            "email": session.buyer.email,
            "first_name": session.buyer.first_name,
            "last_name": session.buyer.last_name,
            "phone_number": session.buyer.phone_number,
        }
        body["buyer"] = {k: v for k, v in buyer.items() if v is not None}
    act = session.extras.get("act") or {}
    if session.status is CheckoutStatus.COMPLETED and session.iac is not None and act:
        # what the platform needs for the purchase's ACT evidence bundle (docs/ucp.md)
        body["act"] = {k: act[k] for k in ("cart", "receipt", "credential_status") if k in act}
    if view.order is not None:
        body["order"] = {
            "id": view.order.out_trade_no,
            "permalink_url": f"{base_url}/orders/{view.order.out_trade_no}",
        }
    return body


def render_order(view: CheckoutView, order: Order, base_url: str) -> dict[str, Any]:
    """The UCP order object of a completed session (its amounts as the order locked them)."""
    fulfilled = order.status is OrderStatus.FULFILLED
    titles = {line.product.product_id: line.product.title for line in view.quote.lines}
    lines = []
    for index, item in enumerate(order.items):
        amount = item.unit_price.minor * item.quantity
        lines.append(
            {
                "id": line_id(index),
                "item": {
                    "id": item.product_id,
                    "title": titles.get(item.product_id, item.product_id),
                    "price": item.unit_price.minor,
                },
                "quantity": {
                    "original": item.quantity,
                    "total": item.quantity,
                    "fulfilled": item.quantity if fulfilled else 0,
                },
                "totals": [
                    {"type": "subtotal", "amount": amount},
                    {"type": "total", "amount": amount},
                ],
                "status": "fulfilled" if fulfilled else "processing",
            }
        )
    totals: list[dict[str, Any]] = [{"type": "subtotal", "amount": order.subtotal.minor}]
    if order.discount.minor:
        totals.append({"type": "discount", "amount": -order.discount.minor})
    totals += [
        {"type": "fulfillment", "amount": order.shipping.minor},
        {"type": "total", "amount": order.total.minor},
    ]
    return {
        "ucp": {
            "version": VERSION,
            "status": "success",
            "capabilities": response_meta(["dev.ucp.shopping.order"])["capabilities"],
        },
        "id": order.out_trade_no,
        "label": f"Order {order.out_trade_no}",
        "checkout_id": view.session.session_id,
        "permalink_url": f"{base_url}/orders/{order.out_trade_no}",
        "line_items": lines,
        "fulfillment": {"expectations": [], "events": []},
        "currency": order.total.currency,
        "totals": totals,
    }


def render_product(product: Product, merchant: Merchant) -> dict[str, Any]:
    """A UCP catalog product: one variant, the offer itself, sold by ``merchant``."""
    price = {"amount": product.price.minor, "currency": product.price.currency}
    description = {"plain": " ".join(x for x in (product.brand, product.title) if x)}
    return {
        "id": product.product_id,
        "title": product.title,
        "description": description,
        "categories": [{"value": product.category, "taxonomy": "trustcart"}],
        "price_range": {"min": price, "max": price},
        "variants": [
            {
                "id": product.product_id,
                "title": product.title,
                "description": description,
                "price": price,
                "availability": {
                    "available": product.stock > 0,
                    "status": "in_stock" if product.stock > 0 else "out_of_stock",
                },
                "seller": {"name": merchant.name},
                "metadata": {"merchant_id": merchant.merchant_id},
            }
        ],
        "metadata": {"merchant_id": merchant.merchant_id, "title_zh": product.title_zh},
    }
