"""Read-only views of one merchant's own data for the console: products, orders, coupons.

The merchant reads its own catalog and orders from the marketplace's store (the same rows the
merchant service writes); what the payment provider knows (paid, refunded) it asks the
provider's API, signed with its own key, like any merchant would (``console_shop``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from trustcart.commerce.catalog import Coupon, Merchant, Product
from trustcart.commerce.repository import load_coupons, load_merchant, product_from_row
from trustcart.core.money import Money
from trustcart.store.commerce import OrderItemRow, OrderRow, ProductRow
from trustcart.store.db import Database

PAGE_SIZE = 50


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class OrderView:
    out_trade_no: str
    status: str
    total: Money
    discount: Money
    shipping: Money
    items: list[tuple[str, int]]  # (product_id, quantity)
    confirmed_at: str
    paid_at: str | None
    trade_no: str | None


def merchant(db: Database, merchant_id: str) -> Merchant | None:
    with db.transaction() as session:
        return load_merchant(session, merchant_id)


def products(db: Database, merchant_id: str, *, query: str = "", page: int = 1) -> ProductPage:
    """One page of the merchant's products, filtered by id or title when ``query`` is given."""
    statement = select(ProductRow).where(ProductRow.merchant_id == merchant_id)
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            or_(ProductRow.search_text.like(like), ProductRow.product_id.like(like))
        )
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        rows = session.scalars(
            statement.order_by(ProductRow.product_id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        return ProductPage([product_from_row(r) for r in rows], int(total), page, pages)


def _views(session: Session, rows: Sequence[OrderRow]) -> list[OrderView]:
    numbers = [r.out_trade_no for r in rows]
    items: dict[str, list[tuple[str, int]]] = {n: [] for n in numbers}
    for item in session.scalars(
        select(OrderItemRow)
        .where(OrderItemRow.out_trade_no.in_(numbers))
        .order_by(OrderItemRow.out_trade_no, OrderItemRow.line_no)
    ):
        items[item.out_trade_no].append((item.product_id, item.quantity))
    return [
        OrderView(
            r.out_trade_no,
            r.status,
            Money(r.total_minor, r.currency),
            Money(r.discount_minor, r.currency),
            Money(r.shipping_minor, r.currency),
            items[r.out_trade_no],
            r.confirmed_at,
            r.paid_at,
            r.trade_no,
        )
        for r in rows
    ]


def orders(db: Database, merchant_id: str, *, limit: int = PAGE_SIZE) -> list[OrderView]:
    """The merchant's latest orders, newest first, with their items."""
    with db.transaction() as session:
        rows = session.scalars(
            select(OrderRow)
            .where(OrderRow.merchant_id == merchant_id)
            .order_by(OrderRow.confirmed_at.desc(), OrderRow.out_trade_no)
            .limit(limit)
        ).all()
        return _views(session, rows)


def order(db: Database, merchant_id: str, out_trade_no: str) -> OrderView | None:
    """One of the merchant's orders; None for an unknown order or another merchant's."""
    with db.transaction() as session:
        row = session.get(OrderRow, out_trade_no)
        if row is None or row.merchant_id != merchant_id:
            return None
        return _views(session, [row])[0]


def coupons(db: Database, merchant_id: str) -> list[Coupon]:
    with db.transaction() as session:
        return load_coupons(session, merchant_id)


def coupon_view(coupon: Coupon, now: Any) -> dict[str, Any]:
    return {**coupon.to_json(), "active": coupon.valid_at(now)}
