"""Checkout sessions as stored: rows to ``CheckoutSession`` and back, and what a quote reads.

Every function runs inside the caller's transaction and never commits. ``lock_session`` reads
the row ``FOR UPDATE`` (SQLite already holds the write lock), so two updates of one session run
one after the other. ``load_checkout_coupons`` splits a merchant's coupons into the automatic
ones and those behind a discount code: a coupon with a code is offered only to a buyer who
submitted that code (``repository.load_coupons``, which the ACT paths use, leaves them out).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from trustcart.commerce.catalog import Coupon, Product
from trustcart.commerce.checkout import (
    Address,
    Buyer,
    CheckoutItem,
    CheckoutSession,
    CheckoutStatus,
    Contact,
    NoticeKind,
)
from trustcart.commerce.errors import CheckoutRefused, CommerceProblem
from trustcart.commerce.repository import coupon_from_row, product_from_row
from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.money import Money
from trustcart.store.checkout import CheckoutLineRow, CheckoutSessionRow, DiscountCodeRow
from trustcart.store.commerce import CouponRow, ProductRow


def _buyer_json(buyer: Buyer | None) -> dict[str, Any] | None:
    if buyer is None:
        return None
    return {
        "email": buyer.email,
        "first_name": buyer.first_name,
        "last_name": buyer.last_name,
        "phone_number": buyer.phone_number,
    }


def _contact_json(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "name": contact.name,
        "phone_number": contact.phone_number,
        "email": contact.email,
        "address": contact.address.to_json() if contact.address else None,
    }


def _contact(obj: dict[str, Any] | None) -> Contact | None:
    if obj is None:
        return None
    address = obj.get("address")
    return Contact(
        name=obj.get("name"),
        phone_number=obj.get("phone_number"),
        email=obj.get("email"),
        address=Address(**address) if address else None,
    )


def session_from_row(row: CheckoutSessionRow, lines: Iterable[CheckoutLineRow]) -> CheckoutSession:
    return CheckoutSession(
        session_id=row.session_id,
        protocol=row.protocol,
        merchant_id=row.merchant_id,
        platform_id=row.platform_id,
        currency=row.currency,
        status=CheckoutStatus(row.status),
        items=tuple(CheckoutItem(line.product_id, line.quantity) for line in lines),
        created_at=parse_instant(row.created_at),
        updated_at=parse_instant(row.updated_at),
        expires_at=parse_instant(row.expires_at),
        buyer=Buyer(**row.buyer) if row.buyer else None,
        contact=_contact(row.contact),
        selected_option_id=row.selected_option_id,
        codes=tuple(row.codes),
        iac=row.iac,
        shown_total=(
            Money(row.shown_total_minor, row.currency)
            if row.shown_total_minor is not None
            else None
        ),
        out_trade_no=row.out_trade_no,
        trade_no=row.trade_no,
        notices=tuple(NoticeKind(n) for n in row.notices),
        extras=dict(row.extras),
    )


def _lines(session: Session, session_id: str) -> list[CheckoutLineRow]:
    return list(
        session.scalars(
            select(CheckoutLineRow)
            .where(CheckoutLineRow.session_id == session_id)
            .order_by(CheckoutLineRow.line_no)
        )
    )


def lock_session(session: Session, session_id: str, *, platform_id: str | None) -> CheckoutSession:
    """The session, locked for this transaction; only its own platform may see it (``None``:
    any, for the merchant's own jobs). Another platform's session is as unknown as none."""
    row = session.scalars(
        select(CheckoutSessionRow)
        .where(CheckoutSessionRow.session_id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None or (platform_id is not None and row.platform_id != platform_id):
        raise CheckoutRefused(
            CommerceProblem.UNKNOWN_CHECKOUT, f"no checkout session {session_id}", status=404
        )
    return session_from_row(row, _lines(session, session_id))


def save_session(session: Session, value: CheckoutSession) -> None:
    """Insert or overwrite the session and its lines."""
    row = session.get(CheckoutSessionRow, value.session_id)
    fields = {
        "protocol": value.protocol,
        "merchant_id": value.merchant_id,
        "platform_id": value.platform_id,
        "currency": value.currency,
        "status": str(value.status),
        "buyer": _buyer_json(value.buyer),
        "contact": _contact_json(value.contact),
        "selected_option_id": value.selected_option_id,
        "codes": list(value.codes),
        "iac": value.iac,
        "shown_total_minor": value.shown_total.minor if value.shown_total else None,
        "out_trade_no": value.out_trade_no,
        "trade_no": value.trade_no,
        "notices": [str(n) for n in value.notices],
        "extras": dict(value.extras),
        "created_at": format_instant(value.created_at),
        "updated_at": format_instant(value.updated_at),
        "expires_at": format_instant(value.expires_at),
    }
    if row is None:
        session.add(CheckoutSessionRow(session_id=value.session_id, **fields))
        session.flush()
    else:
        for name, field_value in fields.items():
            setattr(row, name, field_value)
    current = [(line.product_id, line.quantity) for line in _lines(session, value.session_id)]
    if current != [(item.product_id, item.quantity) for item in value.items]:
        session.execute(
            delete(CheckoutLineRow).where(CheckoutLineRow.session_id == value.session_id)
        )
        session.add_all(
            CheckoutLineRow(
                session_id=value.session_id,
                line_no=n,
                product_id=item.product_id,
                quantity=item.quantity,
            )
            for n, item in enumerate(value.items)
        )
    session.flush()


def load_products(session: Session, product_ids: Iterable[str]) -> dict[str, Product]:
    ids = sorted(set(product_ids))
    rows = session.scalars(select(ProductRow).where(ProductRow.product_id.in_(ids)))
    return {row.product_id: product_from_row(row) for row in rows}


def load_checkout_coupons(
    session: Session, merchant_id: str
) -> tuple[list[Coupon], dict[str, Coupon]]:
    """(automatic coupons, code upper-cased -> coupon) of one merchant."""
    codes = {
        row.coupon_id: row.code
        for row in session.scalars(
            select(DiscountCodeRow).where(DiscountCodeRow.merchant_id == merchant_id)
        )
    }
    automatic: list[Coupon] = []
    coded: dict[str, Coupon] = {}
    for row in session.scalars(
        select(CouponRow).where(CouponRow.merchant_id == merchant_id).order_by(CouponRow.coupon_id)
    ):
        coupon = coupon_from_row(row)
        if coupon.coupon_id in codes:
            coded[codes[coupon.coupon_id]] = coupon
        else:
            automatic.append(coupon)
    return automatic, coded


def add_discount_code(session: Session, merchant_id: str, code: str, coupon_id: str) -> None:
    """Put a coupon behind a code (the merchant's setting); codes match in any case."""
    session.add(DiscountCodeRow(merchant_id=merchant_id, code=code.upper(), coupon_id=coupon_id))
    session.flush()
