"""Between catalog value objects and their rows: build one from the other, insert in bulk.

Rows hold what the database can index (minor units, RFC 3339 strings, decimal strings); value
objects are rebuilt, and so re-validated, whenever they are read back.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from trustcart.commerce.catalog import Coupon, CouponKind, Merchant, Product
from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.store.checkout import DiscountCodeRow
from trustcart.store.commerce import CouponRow, MerchantRow, ProductRow


def search_text(product: Product) -> str:
    """What the first search matches against: lowercased, space-joined."""
    parts = [
        product.title,
        product.title_zh,
        product.brand,
        product.category,
        product.category.replace("/", " ").replace("-", " "),
        *product.attributes.values(),
    ]
    return " ".join(p for p in parts if p).lower()


def merchant_mapping(merchant: Merchant) -> dict[str, Any]:
    return {
        "merchant_id": merchant.merchant_id,
        "name": merchant.name,
        "name_zh": merchant.name_zh,
        "lat": str(merchant.location.lat),
        "lon": str(merchant.location.lon),
        "delivery_radius_km": str(merchant.delivery_radius_km),
        "categories": list(merchant.categories),
        "currency": merchant.currency,
        "delivery_fee_minor": merchant.delivery_fee.minor,
    }


def product_mapping(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.product_id,
        "merchant_id": product.merchant_id,
        "title": product.title,
        "title_zh": product.title_zh,
        "brand": product.brand,
        "category": product.category,
        "price_minor": product.price.minor,
        "currency": product.price.currency,
        "stock": product.stock,
        "delivery_minutes": product.delivery_minutes,
        "attributes": dict(product.attributes),
        "gtin": product.gtin,
        "group_id": product.group_id,
        "image_url": product.image_url,
        "price_valid_until": (
            format_instant(product.price_valid_until) if product.price_valid_until else None
        ),
        "search_text": search_text(product),
    }


def coupon_mapping(coupon: Coupon) -> dict[str, Any]:
    return {
        "coupon_id": coupon.coupon_id,
        "merchant_id": coupon.merchant_id,
        "kind": str(coupon.kind),
        "value": coupon.value,
        "threshold_minor": coupon.threshold.minor,
        "currency": coupon.currency,
        "description": coupon.description,
        "valid_from": format_instant(coupon.valid_from),
        "valid_until": format_instant(coupon.valid_until),
        "exclusive": coupon.exclusive,
        "category_scope": coupon.category_scope,
    }


def merchant_from_row(row: MerchantRow) -> Merchant:
    return Merchant(
        merchant_id=row.merchant_id,
        name=row.name,
        location=GeoPoint.parse(row.lat, row.lon),
        delivery_radius_km=Decimal(row.delivery_radius_km),
        categories=tuple(row.categories),
        currency=row.currency,
        delivery_fee=Money(row.delivery_fee_minor, row.currency),
        name_zh=row.name_zh or "",
    )


def product_from_row(row: ProductRow) -> Product:
    return Product(
        product_id=row.product_id,
        merchant_id=row.merchant_id,
        title=row.title,
        title_zh=row.title_zh,
        brand=row.brand,
        category=row.category,
        price=Money(row.price_minor, row.currency),
        stock=row.stock,
        delivery_minutes=row.delivery_minutes,
        attributes=dict(row.attributes),
        gtin=row.gtin,
        image_url=row.image_url,
        price_valid_until=parse_instant(row.price_valid_until) if row.price_valid_until else None,
        group_id=row.group_id,
    )


def coupon_from_row(row: CouponRow) -> Coupon:
    return Coupon(
        coupon_id=row.coupon_id,
        merchant_id=row.merchant_id,
        kind=CouponKind(row.kind),
        value=row.value,
        threshold=Money(row.threshold_minor, row.currency),
        description=row.description,
        valid_from=parse_instant(row.valid_from),
        valid_until=parse_instant(row.valid_until),
        exclusive=row.exclusive,
        category_scope=row.category_scope,
    )


def insert_catalog(
    session: Session,
    merchants: Iterable[Merchant],
    products: Iterable[Product],
    coupons: Iterable[Coupon] = (),
) -> None:
    """Bulk insert (one executemany per table) inside the caller's transaction."""
    merchant_rows = [merchant_mapping(m) for m in merchants]
    product_rows = [product_mapping(p) for p in products]
    coupon_rows = [coupon_mapping(c) for c in coupons]
    if merchant_rows:
        session.execute(insert(MerchantRow), merchant_rows)
    if product_rows:
        session.execute(insert(ProductRow), product_rows)
    if coupon_rows:
        session.execute(insert(CouponRow), coupon_rows)


def load_merchants(session: Session) -> list[Merchant]:
    rows = session.scalars(select(MerchantRow).order_by(MerchantRow.merchant_id))
    return [merchant_from_row(r) for r in rows]


def load_merchant(session: Session, merchant_id: str) -> Merchant | None:
    row = session.get(MerchantRow, merchant_id)
    return merchant_from_row(row) if row is not None else None


def load_product(session: Session, product_id: str) -> Product | None:
    row = session.get(ProductRow, product_id)
    return product_from_row(row) if row is not None else None


def load_coupons(
    session: Session, merchant_id: str, *, include_coded: bool = False
) -> list[Coupon]:
    """A merchant's coupons. A coupon behind a discount code (``store.checkout``) is left out
    unless ``include_coded``: it is offered only to a buyer who submitted the code (ACP)."""
    query = select(CouponRow).where(CouponRow.merchant_id == merchant_id)
    if not include_coded:
        coded = select(DiscountCodeRow.coupon_id).where(DiscountCodeRow.merchant_id == merchant_id)
        query = query.where(CouponRow.coupon_id.not_in(coded))
    rows = session.scalars(query.order_by(CouponRow.coupon_id))
    return [coupon_from_row(r) for r in rows]
