"""Tables of the commerce domain: catalog (merchants, products, coupons), orders, XFR requests.

Amounts are BIGINT minor units plus a currency column. Instants are RFC 3339 UTC strings with
second precision (``format_instant``), which sort correctly as text on both SQLite and
PostgreSQL. Coordinates and radii are decimal strings, never floats.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base

_ID = 96
_INSTANT = 20  # 2026-11-29T08:00:00Z


class MerchantRow(Base):
    __tablename__ = "commerce_merchants"

    merchant_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The Chinese name beside ``name`` (empty when the merchant gave one name only).
    name_zh: Mapped[str] = mapped_column(String(200), default="", server_default="")
    lat: Mapped[str] = mapped_column(String(24))
    lon: Mapped[str] = mapped_column(String(24))
    delivery_radius_km: Mapped[str] = mapped_column(String(24))
    categories: Mapped[list[str]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    delivery_fee_minor: Mapped[int] = mapped_column(BigInteger)


class ProductRow(Base):
    __tablename__ = "commerce_products"

    product_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_merchants.merchant_id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100), index=True)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer)
    delivery_minutes: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    # The product group (model) whose variants (sizes, colours) share it; migration 0004.
    group_id: Mapped[str | None] = mapped_column(String(_ID), index=True)
    image_url: Mapped[str | None] = mapped_column(String(500))
    price_valid_until: Mapped[str | None] = mapped_column(String(_INSTANT))
    # Lowercased title, Chinese title, brand, category and attribute values, for the first search.
    search_text: Mapped[str] = mapped_column(Text)


class CouponRow(Base):
    __tablename__ = "commerce_coupons"

    coupon_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_merchants.merchant_id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(BigInteger)
    threshold_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[str] = mapped_column(String(_INSTANT))
    valid_until: Mapped[str] = mapped_column(String(_INSTANT))
    exclusive: Mapped[bool] = mapped_column(Boolean)
    category_scope: Mapped[str] = mapped_column(String(100))


class OrderRow(Base):
    __tablename__ = "commerce_orders"

    out_trade_no: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_merchants.merchant_id"), index=True
    )
    agent_id: Mapped[str] = mapped_column(String(200))
    intent_id: Mapped[str] = mapped_column(String(_ID))
    delegation_id: Mapped[str] = mapped_column(String(_ID))
    status: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger)
    shipping_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    payment_method_id: Mapped[str] = mapped_column(String(100))
    cart_jws: Mapped[str] = mapped_column(Text)
    cart_digest: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[str] = mapped_column(String(_INSTANT))
    price_locked_until: Mapped[str] = mapped_column(String(_INSTANT), index=True)
    trade_no: Mapped[str | None] = mapped_column(String(_ID), unique=True)
    paid_at: Mapped[str | None] = mapped_column(String(_INSTANT))
    updated_at: Mapped[str] = mapped_column(String(_INSTANT))


class OrderItemRow(Base):
    __tablename__ = "commerce_order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    out_trade_no: Mapped[str] = mapped_column(
        ForeignKey("commerce_orders.out_trade_no"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(ForeignKey("commerce_products.product_id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class IntentRequestRow(Base):
    """CID-INT-XFR requests, kept so an update can name its predecessor and send a delta."""

    __tablename__ = "commerce_intent_requests"

    request_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200))
    previous_request_id: Mapped[str | None] = mapped_column(String(_ID))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(_INSTANT))


class PriceHistoryRow(Base):
    """One observed price of a product offer: written when it first appears and whenever an
    import changes its price, so "is today's price good?" can be answered from its own past."""

    __tablename__ = "commerce_price_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("commerce_products.product_id"), index=True)
    observed_at: Mapped[str] = mapped_column(String(_INSTANT))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
