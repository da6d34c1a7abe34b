"""Orders as stored: the ``Order`` view and the row operations the service composes.

Every function here runs inside the caller's transaction; none commits. Status changes go
through ``orders.next_status`` first, so an illegal change raises before a row is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.orders import RELEASES_STOCK, OrderEvent, OrderStatus, next_status
from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.money import Money
from trustcart.store.commerce import OrderItemRow, OrderRow, ProductRow


@dataclass(frozen=True, slots=True)
class OrderItem:
    product_id: str
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True)
class Order:
    out_trade_no: str
    merchant_id: str
    agent_id: str
    intent_id: str
    delegation_id: str
    status: OrderStatus
    items: tuple[OrderItem, ...]
    subtotal: Money
    discount: Money
    shipping: Money
    total: Money
    payment_method_id: str
    cart_jws: str
    cart_digest: str
    confirmed_at: datetime
    price_locked_until: datetime
    trade_no: str | None
    paid_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "out_trade_no": self.out_trade_no,
            "merchant_id": self.merchant_id,
            "status": str(self.status),
            "items": [
                {
                    "product_id": i.product_id,
                    "quantity": i.quantity,
                    "unit_price": i.unit_price.to_json(),
                }
                for i in self.items
            ],
            "subtotal": self.subtotal.to_json(),
            "discount": self.discount.to_json(),
            "shipping": self.shipping.to_json(),
            "total": self.total.to_json(),
            "intent_id": self.intent_id,
            "delegation_id": self.delegation_id,
            "agent_id": self.agent_id,
            "payment_method_id": self.payment_method_id,
            "cart": self.cart_jws,
            "cart_digest": self.cart_digest,
            "confirmed_at": format_instant(self.confirmed_at),
            "price_locked_until": format_instant(self.price_locked_until),
            "trade_no": self.trade_no,
            "paid_at": format_instant(self.paid_at) if self.paid_at else None,
        }


def lock_order(session: Session, out_trade_no: str) -> OrderRow:
    """The order row, locked for update (PostgreSQL; SQLite holds the database write lock)."""
    row = session.scalars(
        select(OrderRow).where(OrderRow.out_trade_no == out_trade_no).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}")
    return row


def order_from_row(session: Session, row: OrderRow) -> Order:
    items = session.scalars(
        select(OrderItemRow)
        .where(OrderItemRow.out_trade_no == row.out_trade_no)
        .order_by(OrderItemRow.line_no)
    )
    currency = row.currency
    return Order(
        out_trade_no=row.out_trade_no,
        merchant_id=row.merchant_id,
        agent_id=row.agent_id,
        intent_id=row.intent_id,
        delegation_id=row.delegation_id,
        status=OrderStatus(row.status),
        items=tuple(
            OrderItem(i.product_id, i.quantity, Money(i.unit_price_minor, i.currency))
            for i in items
        ),
        subtotal=Money(row.subtotal_minor, currency),
        discount=Money(row.discount_minor, currency),
        shipping=Money(row.shipping_minor, currency),
        total=Money(row.total_minor, currency),
        payment_method_id=row.payment_method_id,
        cart_jws=row.cart_jws,
        cart_digest=row.cart_digest,
        confirmed_at=parse_instant(row.confirmed_at),
        price_locked_until=parse_instant(row.price_locked_until),
        trade_no=row.trade_no,
        paid_at=parse_instant(row.paid_at) if row.paid_at else None,
    )


def reserve_stock(session: Session, product_id: str, quantity: int) -> bool:
    """Take ``quantity`` off the shelf if it is there; ``False`` (and no change) otherwise.

    The check and the decrement are one conditional UPDATE, so two carts can never both take
    the last unit, whatever the isolation level.
    """
    result = session.execute(
        update(ProductRow)
        .where(ProductRow.product_id == product_id, ProductRow.stock >= quantity)
        .values(stock=ProductRow.stock - quantity)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_stock(session: Session, out_trade_no: str) -> None:
    for item in session.scalars(
        select(OrderItemRow).where(OrderItemRow.out_trade_no == out_trade_no)
    ):
        session.execute(
            update(ProductRow)
            .where(ProductRow.product_id == item.product_id)
            .values(stock=ProductRow.stock + item.quantity)
        )


def retake_stock(session: Session, out_trade_no: str) -> None:
    """Take a lapsed order's items off the shelf again (a late payment of an expired order).

    The payment already stands, so this cannot refuse: what is on the shelf is taken, down to
    zero (never below: a product's stock is never negative); a shortfall is the merchant's to
    settle (restock or refund).
    """
    for item in session.scalars(
        select(OrderItemRow).where(OrderItemRow.out_trade_no == out_trade_no)
    ):
        session.execute(
            update(ProductRow)
            .where(ProductRow.product_id == item.product_id)
            .values(
                stock=case(
                    (ProductRow.stock >= item.quantity, ProductRow.stock - item.quantity),
                    else_=0,
                )
            )
        )


def apply_event(session: Session, row: OrderRow, event: OrderEvent, now: datetime) -> None:
    """Move ``row`` through the transition table, releasing stock when the order lapses and
    taking it again if a lapsed order is paid after all."""
    current = OrderStatus(row.status)
    new_status = next_status(current, event)  # raises before any write
    if new_status in RELEASES_STOCK:
        release_stock(session, row.out_trade_no)
    elif current in RELEASES_STOCK:
        retake_stock(session, row.out_trade_no)
    row.status = str(new_status)
    row.updated_at = format_instant(now)
