"""Pictures for tests: images of each kind, hostile files, and a small catalog to show them.

``encoded`` writes a real image with Pillow; the hostile ones are what a careless upload check
lets through (a script in SVG, HTML behind a PNG, a header that claims 30000 x 30000 pixels, a
truncated file). ``picture_catalog`` inserts one merchant with a T-shirt, glasses, a cap (try-on
capable), a milk tea (drawn, not try-on) and a book (no drawing: the placeholder).
"""

from __future__ import annotations

import io
import struct
import zlib
from decimal import Decimal

from trustcart.commerce.catalog import Merchant, Product
from trustcart.commerce.repository import insert_catalog
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.store.db import Database

MERCHANT = "m_picture_shop"
OTHER_MERCHANT = "m_other_shop"
TEE, GLASSES, CAP, TEA, BOOK = "p_pic_tee", "p_pic_glasses", "p_pic_cap", "p_pic_tea", "p_pic_book"
OTHERS_TEE = "p_other_tee"


def encoded(
    fmt: str = "PNG",
    size: tuple[int, int] = (300, 200),
    colour: tuple[int, ...] = (200, 40, 40),
    mode: str = "RGB",
    **options: object,
) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt, **options)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def png_with_text(text: bytes) -> bytes:
    """A valid PNG carrying ``text`` in a tEXt chunk."""
    plain = encoded()
    end = plain.rindex(b"IEND") - 4
    return plain[:end] + _chunk(b"tEXt", b"Comment\x00" + text) + plain[end:]


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
)
HTML_PAGE = b"<!doctype html><html><script>alert(1)</script></html>"


def _merchant(merchant_id: str) -> Merchant:
    return Merchant(
        merchant_id=merchant_id,
        name=merchant_id.replace("_", " "),
        location=GeoPoint(Decimal("30.2600"), Decimal("120.1400")),
        delivery_radius_km=Decimal("5"),
        categories=("apparel", "accessories", "drinks", "books"),
        currency="CNY",
        delivery_fee=Money(500, "CNY"),
    )


def _product(product_id: str, merchant_id: str, title: str, category: str, colour: str) -> Product:
    return Product(
        product_id=product_id,
        merchant_id=merchant_id,
        title=title,
        title_zh=title + "（中文）",
        brand="Test",
        category=category,
        price=Money(5900, "CNY"),
        stock=10,
        delivery_minutes=60,
        attributes={"colour": colour} if colour else {},
    )


def picture_catalog(db: Database) -> None:
    """The merchants and products of this module's constants, inserted into ``db``."""
    products = [
        _product(TEE, MERCHANT, "Navy Picture Tee", "apparel/t-shirt", "navy"),
        _product(GLASSES, MERCHANT, "Picture Glasses", "accessories/eyewear", "black"),
        _product(CAP, MERCHANT, "Picture Cap", "accessories/hat", "red"),
        _product(TEA, MERCHANT, "Picture Milk Tea", "drinks/milk-tea", ""),
        _product(BOOK, MERCHANT, "Picture Book", "books/novel", ""),
        _product(OTHERS_TEE, OTHER_MERCHANT, "Other Tee", "apparel/t-shirt", "white"),
    ]
    with db.transaction() as session:
        insert_catalog(session, [_merchant(MERCHANT), _merchant(OTHER_MERCHANT)], products)
