"""CID-CART-CFM: confirming a cart, the merchant's binding offer to the agent.

Confirmation is one transaction: check the payment method is offered, lock the product rows,
check each line is the merchant's and in stock, price it with the requested coupons, pre-check
it against the agent's constraints, reserve the stock, write the order and its items, and sign
the cart payload with the merchant's key (JWS, ``typ`` of a cart; digest over its JCS bytes).
Any refusal raises before commit, so it leaves no order and no reservation behind; a lock
timeout or deadlock is ``LockFailed``. The price is locked for ``price_lock`` from the
confirmation instant (whole seconds). ``act:commerce:cart-confirmed``, signed by the merchant,
is staged in the outbox in the same transaction (so the order and its event commit together)
and tried right after the commit; the relay delivers it later if the log is away.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from trustcart.commerce.cart import CartLine, PricedCart, cart_payload, precheck_cart, price_cart
from trustcart.commerce.errors import (
    CommerceError,
    CommerceProblem,
    LockFailed,
    MethodNotSupported,
    NotFound,
    StockError,
)
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import reserve_stock
from trustcart.commerce.orders import OrderStatus
from trustcart.commerce.payment_capability import PaymentOption
from trustcart.commerce.repository import load_coupons, product_from_row
from trustcart.commerce.requests import parse_confirm_cart
from trustcart.core.clock import format_instant
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.typs import CART_TYP
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import sign_compact
from trustcart.store.commerce import OrderItemRow, OrderRow, ProductRow
from trustcart.trust.events import Chain, EventType

PRICE_LOCK = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class ConfirmedCart:
    """The signed cart as the merchant answers it: order number, JWS, digest, lock deadline."""

    out_trade_no: str
    cart_jws: str
    cart_digest: str
    payload: dict[str, Any]
    price_locked_until: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "out_trade_no": self.out_trade_no,
            "status": str(OrderStatus.CONFIRMED),
            "cart": self.cart_jws,
            "cart_digest": self.cart_digest,
            "price_locked_until": format_instant(self.price_locked_until),
        }


class CartConfirmation:
    """The cart-confirmation unit of work: payment options, coupon cap and price lock fixed."""

    def __init__(
        self,
        market: Marketplace,
        options: Sequence[PaymentOption],
        *,
        random: RandomBytes = secrets.token_bytes,
        max_coupons: int = 3,
        price_lock: timedelta = PRICE_LOCK,
    ) -> None:
        self._market = market
        self._options = tuple(options)
        self._random = random
        self._max_coupons = max_coupons
        self._price_lock = price_lock

    def confirm_cart(
        self, request: Mapping[str, Any], *, record_event: bool = True
    ) -> ConfirmedCart:
        """Pre-check, lock the price, reserve stock, record the order and sign the cart.

        ``record_event=False`` leaves ``act:commerce:cart-confirmed`` out: an ACP checkout
        without an ACT credential has no intent or delegation in the log to chain it to.
        """
        parsed = parse_confirm_cart(request)
        option = next((o for o in self._options if o.method_id == parsed.payment_method), None)
        if option is None:
            raise MethodNotSupported(
                CommerceProblem.METHOD_NOT_SUPPORTED,
                f"payment method {parsed.payment_method} is not accepted",
            )
        key = self._market.keys.get(parsed.merchant_id)
        now = self._market.clock.now().replace(microsecond=0)
        locked_until = now + self._price_lock
        try:
            with self._market.db.transaction() as session:
                merchant = self._market.merchant(session, parsed.merchant_id)
                if key is None:
                    raise CommerceError(
                        CommerceProblem.MERCHANT_UNAVAILABLE,
                        "merchant cannot sign carts",
                        status=503,
                    )
                ids = [item.product_id for item in parsed.items]
                rows = {
                    row.product_id: row
                    for row in session.scalars(
                        select(ProductRow).where(ProductRow.product_id.in_(ids)).with_for_update()
                    )
                }
                lines = []
                for item in parsed.items:
                    row = rows.get(item.product_id)
                    if row is None or row.merchant_id != merchant.merchant_id:
                        raise NotFound(
                            CommerceProblem.UNKNOWN_PRODUCT,
                            f"{merchant.merchant_id} sells no {item.product_id}",
                        )
                    product = product_from_row(row)
                    if not product.in_stock(item.quantity):
                        raise StockError(
                            CommerceProblem.OUT_OF_STOCK,
                            f"{item.product_id}: {product.stock} left",
                            product_id=item.product_id,
                        )
                    lines.append(CartLine(product, item.quantity, item.expected_unit_price))
                priced = price_cart(
                    merchant,
                    lines,
                    # Coupons named by id may include one behind a discount code: the ACP
                    # checkout names the coupons its buyer's codes unlocked.
                    load_coupons(
                        session, merchant.merchant_id, include_coded=parsed.coupon_ids is not None
                    ),
                    now=now,
                    coupon_ids=parsed.coupon_ids,
                    max_coupons=self._max_coupons,
                )
                precheck_cart(priced, parsed.constraints)
                for line in lines:
                    if not reserve_stock(session, line.product.product_id, line.quantity):
                        raise StockError(
                            CommerceProblem.OUT_OF_STOCK,
                            f"{line.product.product_id} sold out",
                            product_id=line.product.product_id,
                        )
                out_trade_no = new_id("ord", self._random)
                payload = cart_payload(
                    priced,
                    out_trade_no=out_trade_no,
                    intent_id=parsed.intent_id,
                    delegation_id=parsed.delegation_id,
                    agent_id=parsed.agent_id,
                    payment=option.cart_payment(),
                    confirmed_at=now,
                    price_locked_until=locked_until,
                )
                token = sign_compact(payload, key, typ=CART_TYP)
                digest = jcs_digest(payload)
                self._record_order(
                    session, priced, payload, token=token, digest=digest, option=option, now=now
                )
                owed = (
                    self._market.stage_event(
                        session,
                        EventType.CART_CONFIRMED,
                        merchant_id=parsed.merchant_id,
                        chain=Chain(
                            intent_id=parsed.intent_id,
                            delegation_id=parsed.delegation_id,
                            out_trade_no=out_trade_no,
                        ),
                        body={
                            "cart_digest": digest,
                            "total": payload["total"],
                            "items": len(payload["items"]),
                        },
                        now=now,
                    )
                    if record_event
                    else []
                )
        except OperationalError as e:  # lock timeout, deadlock, serialization failure
            raise LockFailed() from e
        self._market.deliver(owed)
        return ConfirmedCart(out_trade_no, token, digest, payload, locked_until)

    @staticmethod
    def _record_order(
        session: Session,
        priced: PricedCart,
        payload: dict[str, Any],
        *,
        token: str,
        digest: str,
        option: PaymentOption,
        now: datetime,
    ) -> None:
        out_trade_no = payload["out_trade_no"]
        session.add(
            OrderRow(
                out_trade_no=out_trade_no,
                merchant_id=priced.merchant.merchant_id,
                agent_id=payload["agent_id"],
                intent_id=payload["intent_id"],
                delegation_id=payload["delegation_id"],
                status=str(OrderStatus.CONFIRMED),
                currency=priced.total.currency,
                subtotal_minor=priced.subtotal.minor,
                discount_minor=priced.coupons.discount.minor,
                shipping_minor=priced.shipping.minor,
                total_minor=priced.total.minor,
                payment_method_id=option.method_id,
                cart_jws=token,
                cart_digest=digest,
                confirmed_at=payload["confirmed_at"],
                price_locked_until=payload["price_locked_until"],
                trade_no=None,
                paid_at=None,
                updated_at=format_instant(now),
            )
        )
        session.flush()  # the order row must exist before its items reference it
        session.add_all(
            [
                OrderItemRow(
                    out_trade_no=out_trade_no,
                    line_no=n,
                    product_id=line.product.product_id,
                    quantity=line.quantity,
                    unit_price_minor=line.product.price.minor,
                    currency=line.product.price.currency,
                )
                for n, line in enumerate(priced.lines)
            ]
        )
