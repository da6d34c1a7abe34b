"""A checkout view -> ACP 2026-04-17 ``CheckoutSession`` / ``CheckoutSessionWithOrder`` (pure).

Every amount is an integer of minor units, every currency lower case. Totals, as ACP lists
them: ``items_base_amount`` (the lines before discounts), ``items_discount`` (the coupons),
``subtotal`` (after them), ``fulfillment`` and ``total``; the same on each line, with the
line's share of each coupon. The discount extension is always active: ``discounts`` echoes the
submitted codes, lists each applied coupon (automatic or by code, ``method`` ``each`` for a
percentage and ``across`` for a fixed amount, ``priority`` in the order they apply, the
allocation to each line) and each rejected code, which also appears as a warning in
``messages``. ACT artifacts of a session bound to an IAC travel in ``metadata.act``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trustcart.commerce.catalog import CouponKind
from trustcart.commerce.checkout import CheckoutStatus, NoticeKind
from trustcart.commerce.checkout_quote import DiscountRejection, IssueKind
from trustcart.commerce.checkout_service import CheckoutView
from trustcart.commerce.orders import OrderStatus
from trustcart.core.clock import format_instant

VERSION = "2026-04-17"

STATUS = {
    CheckoutStatus.INCOMPLETE: "not_ready_for_payment",
    CheckoutStatus.READY: "ready_for_payment",
    CheckoutStatus.COMPLETING: "complete_in_progress",
    CheckoutStatus.COMPLETED: "completed",
    CheckoutStatus.CANCELED: "canceled",
    CheckoutStatus.EXPIRED: "expired",
}
ORDER_STATUS = {
    OrderStatus.CONFIRMED: "created",
    OrderStatus.PAID: "confirmed",
    OrderStatus.FULFILLED: "completed",
    OrderStatus.CANCELLED: "canceled",
    OrderStatus.EXPIRED: "canceled",
}
REJECTION_CODE = {
    DiscountRejection.EXPIRED: "discount_code_expired",
    DiscountRejection.INVALID: "discount_code_invalid",
    DiscountRejection.ALREADY_APPLIED: "discount_code_already_applied",
    DiscountRejection.COMBINATION_DISALLOWED: "discount_code_combination_disallowed",
    DiscountRejection.MINIMUM_NOT_MET: "discount_code_minimum_not_met",
    DiscountRejection.USER_INELIGIBLE: "discount_code_user_ineligible",
}
DISCOUNT_EXTENSION = {
    "name": "discount",
    "extends": [
        "$.CheckoutSessionCreateRequest.discounts",
        "$.CheckoutSessionUpdateRequest.discounts",
        "$.CheckoutSession.discounts",
    ],
    "spec": "https://agenticcommerce.dev/specs/discount",
    "schema": "https://agenticcommerce.dev/schemas/discount.json",
}


@dataclass(frozen=True)
class Seller:
    """What the renderer needs to know about where it is served."""

    base_url: str  # this merchant's ACP base, e.g. http://127.0.0.1:8703/acp/mer_x
    delegate_payment_url: str  # where a platform obtains a vault token
    psp_id: str
    handler_id: str = "trustcart_delegated_card"


def _total(kind: str, text: str, amount: int) -> dict[str, Any]:
    return {"type": kind, "display_text": text, "amount": amount}


def _message(kind: str, content: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **fields, "content_type": "plain", "content": content}


def payment_handler(seller: Seller, merchant_id: str) -> dict[str, Any]:
    return {
        "id": seller.handler_id,
        "name": "dev.acp.tokenized.card",
        "display_name": "Card (delegated payment token)",
        "version": "2026-01-22",
        "spec": "https://acp.dev/handlers/tokenized.card",
        "requires_delegate_payment": True,
        "requires_pci_compliance": False,
        "psp": seller.psp_id,
        "config_schema": "https://acp.dev/schemas/handlers/tokenized.card/config.json",
        "instrument_schemas": ["https://acp.dev/schemas/handlers/tokenized.card/instrument.json"],
        "config": {
            "merchant_id": merchant_id,
            "psp": seller.psp_id,
            "delegate_payment_url": seller.delegate_payment_url,
            "accepted_brands": ["visa", "mastercard", "amex", "discover", "unionpay"],
            "accepted_funding_types": ["credit", "debit", "prepaid"],
            "supports_3ds": False,
        },
    }


def _line_items(view: CheckoutView) -> list[dict[str, Any]]:
    items = []
    for line in view.quote.lines:
        product = line.product
        body: dict[str, Any] = {
            "id": f"line_{product.product_id}",
            "item": {"id": product.product_id, "unit_amount": product.price.minor},
            "quantity": line.quantity,
            "name": product.title,
            "unit_amount": product.price.minor,
            "product_id": product.product_id,
            "category": product.category,
            "availability_status": "in_stock"
            if product.in_stock(line.quantity)
            else "out_of_stock",
            "available_quantity": product.stock,
            "totals": [
                _total("items_base_amount", "Base Amount", line.base.minor),
                _total("items_discount", "Discount", line.discount.minor),
                _total("subtotal", "Subtotal", line.total.minor),
                _total("total", "Total", line.total.minor),
            ],
        }
        if product.image_url:
            body["images"] = [product.image_url]
        items.append(body)
    return items


def _discounts(view: CheckoutView) -> dict[str, Any]:
    applied = []
    for use in view.quote.applied:
        coupon = use.coupon
        terms: dict[str, Any] = {"id": coupon.coupon_id, "name": coupon.description}
        if coupon.kind is CouponKind.PERCENT:
            terms["percent_off"] = coupon.value
        else:
            terms.update(amount_off=coupon.value, currency=coupon.currency.lower())
        entry: dict[str, Any] = {
            "id": f"di_{coupon.coupon_id}",
            "coupon": terms,
            "amount": use.amount.minor,
            "automatic": use.automatic,
            "method": "each" if coupon.kind is CouponKind.PERCENT else "across",
            "priority": use.priority,
            "start": format_instant(coupon.valid_from),
            "end": format_instant(coupon.valid_until),
            "allocations": [
                {"path": f"$.line_items[{n}]", "amount": share.minor}
                for n, share in enumerate(use.allocations)
            ],
        }
        if use.code is not None:
            entry["code"] = use.code
        applied.append(entry)
    return {
        "codes": list(view.session.codes),
        "applied": applied,
        "rejected": [
            {"code": r.code, "reason": REJECTION_CODE[r.reason], "message": r.message}
            for r in view.quote.rejected
        ],
    }


def _messages(view: CheckoutView) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    positions = {line.index: n for n, line in enumerate(view.quote.lines)}
    for issue in view.quote.issues:
        line = 0 if issue.line is None else positions.get(issue.line, issue.line)
        where = f"$.line_items[{line}]"
        if issue.kind is IssueKind.OUT_OF_STOCK:
            messages.append(
                _message("error", "This item is out of stock.", code="out_of_stock", param=where)
            )
        elif issue.kind is IssueKind.UNAVAILABLE:
            messages.append(
                _message("error", "This item is no longer sold.", code="not_found", param=where)
            )
        elif issue.kind is IssueKind.ADDRESS_MISSING:
            messages.append(
                _message(
                    "error",
                    "A delivery address is needed.",
                    code="missing",
                    resolution="requires_buyer_input",
                    param="$.fulfillment_details.address",
                )
            )
        elif issue.kind is IssueKind.OPTION_UNKNOWN:
            messages.append(
                _message(
                    "error",
                    "The selected fulfillment option is not offered.",
                    code="invalid",
                    resolution="recoverable",
                    param="$.selected_fulfillment_options[0].option_id",
                )
            )
    for rejected in view.quote.rejected:
        messages.append(
            _message(
                "warning",
                rejected.message,
                code=REJECTION_CODE[rejected.reason],
                resolution="recoverable",
                param=f"$.discounts.codes[{rejected.index}]",
            )
        )
    for notice in view.session.notices:
        if notice is NoticeKind.PAYMENT_DECLINED:
            messages.append(
                _message(
                    "error",
                    "The payment was declined. Try another payment token.",
                    code="payment_declined",
                )
            )
        elif notice is NoticeKind.PRICE_CHANGED:
            messages.append(
                _message("warning", "The price changed; review the totals.", code="price_change")
            )
        else:
            messages.append(_message("error", "An item ran out of stock.", code="out_of_stock"))
    if view.session.status is CheckoutStatus.CANCELED:
        messages.append(_message("info", "Checkout session has been canceled."))
    elif view.session.status is CheckoutStatus.EXPIRED:
        messages.append(_message("error", "Checkout session has expired.", code="expired"))
    return messages


def _contact(view: CheckoutView) -> dict[str, Any] | None:
    contact = view.session.contact
    if contact is None:
        return None
    body: dict[str, Any] = {
        k: v
        for k, v in (
            ("name", contact.name),
            ("phone_number", contact.phone_number),
            ("email", contact.email),
        )
        if v is not None
    }
    if contact.address is not None:
        address = contact.address.to_json()
        if not address["line_two"]:
            del address["line_two"]
        body["address"] = address
    return body


def render_order(view: CheckoutView, seller: Seller) -> dict[str, Any]:
    order = view.order
    assert order is not None
    titles = {line.product.product_id: line.product.title for line in view.quote.lines}
    fulfilled = order.status is OrderStatus.FULFILLED
    return {
        "type": "order",
        "id": order.out_trade_no,
        "checkout_session_id": view.session.session_id,
        "order_number": order.out_trade_no,
        "permalink_url": f"{seller.base_url}/orders/{order.out_trade_no}",
        "status": ORDER_STATUS[order.status],
        "line_items": [
            {
                "id": f"line_{item.product_id}",
                "title": titles.get(item.product_id, item.product_id),
                "product_id": item.product_id,
                "quantity": {
                    "ordered": item.quantity,
                    "current": item.quantity,
                    "fulfilled": item.quantity if fulfilled else 0,
                },
                "unit_price": item.unit_price.minor,
                "subtotal": item.unit_price.minor * item.quantity,
                "status": "fulfilled" if fulfilled else "processing",
            }
            for item in order.items
        ],
        "totals": [
            _total("items_base_amount", "Item(s) total", order.subtotal.minor),
            _total("items_discount", "Discount", order.discount.minor),
            _total("subtotal", "Subtotal", (order.subtotal - order.discount).minor),
            _total("fulfillment", "Fulfillment", order.shipping.minor),
            _total("total", "Total", order.total.minor),
        ],
    }


def render_session(view: CheckoutView, seller: Seller) -> dict[str, Any]:
    """The ``CheckoutSession`` (with ``order`` once completed) for ``view``."""
    session, quote = view.session, view.quote
    body: dict[str, Any] = {
        "id": session.session_id,
        "protocol": {"version": VERSION},
        "capabilities": {
            "payment": {"handlers": [payment_handler(seller, session.merchant_id)]},
            "extensions": [DISCOUNT_EXTENSION],
        },
        "status": STATUS[session.status],
        "currency": quote.currency.lower(),
        "line_items": _line_items(view),
        "fulfillment_options": [
            {
                "type": option.kind,
                "id": option.option_id,
                "title": option.title,
                "description": option.description,
                "earliest_delivery_time": format_instant(option.earliest),
                "latest_delivery_time": format_instant(option.latest),
                "totals": [_total("fulfillment", option.title, option.amount.minor)],
            }
            for option in quote.options
        ],
        "totals": [
            _total("items_base_amount", "Item(s) total", quote.items_base.minor),
            _total("items_discount", "Discounts", quote.discount.minor),
            _total("subtotal", "Subtotal", (quote.items_base - quote.discount).minor),
            _total("fulfillment", "Fulfillment", quote.shipping.minor),
            _total("total", "Total", quote.total.minor),
        ],
        "messages": _messages(view),
        "links": [],
        "discounts": _discounts(view),
        "created_at": format_instant(session.created_at),
        "updated_at": format_instant(session.updated_at),
        "expires_at": format_instant(session.expires_at),
    }
    if quote.selected is not None:
        body["selected_fulfillment_options"] = [
            {
                "type": quote.selected.kind,
                "option_id": quote.selected.option_id,
                "item_ids": [line.product.product_id for line in quote.lines],
            }
        ]
    contact = _contact(view)
    if contact is not None:
        body["fulfillment_details"] = contact
    if session.buyer is not None:
        buyer = session.buyer
        body["buyer"] = {
            k: v
            for k, v in (
                ("email", buyer.email),
                ("first_name", buyer.first_name),
                ("last_name", buyer.last_name),
                ("phone_number", buyer.phone_number),
            )
            if v is not None
        }
    if "act" in session.extras:
        body["metadata"] = {"act": dict(session.extras["act"])}
    if view.order is not None:
        body["order"] = render_order(view, seller)
    return body
