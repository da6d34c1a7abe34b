"""``trustcart feed export``: one merchant's catalog as an ACP product feed (a thin service).

Reads the merchant's products in id order (so the same catalog always gives the same bytes)
and hands them to the pure codec ``commerce.acp_feed.feed_from_products``; the shell writes
the file. An unknown merchant is ``NotFound``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from trustcart.commerce.acp_feed import feed_from_products
from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.repository import load_merchant, product_from_row
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

__all__ = ["FeedExport", "export_feed", "feed_json"]

# JSON escapes only controls below U+0020; DEL and the C1 controls are escaped as well, so a
# title holding them is not taken for a binary file by the importer's encoding sniffer.
_RAW_CONTROLS = re.compile("[\u007f-\u009f]")


def feed_json(value: Any) -> str:
    r"""Compact UTF-8-ready JSON with every control character escaped.

    >>> feed_json({"title": "tea\x7f 茶"})
    '{"title": "tea\\u007f 茶"}'
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True, slots=True)
class FeedExport:
    merchant_id: str
    feed: dict[str, Any]
    variants: int
    available: int

    @property
    def products(self) -> int:
        return len(self.feed["products"])

    def text(self) -> str:
        """The feed as UTF-8 JSON text, one line per product group, ending in a newline."""
        products = ",\n".join(feed_json(p) for p in self.feed["products"])
        return '{"products": [\n' + products + "\n]}\n" if products else '{"products": []}\n'

    def summary(self) -> dict[str, Any]:
        return {
            "merchant_id": self.merchant_id,
            "products": self.products,
            "variants": self.variants,
            "available": self.available,
            "unavailable": self.variants - self.available,
        }


def export_feed(db: Database, merchant_id: str) -> FeedExport:
    """The ACP feed of ``merchant_id``'s products; ``NotFound`` for an unknown merchant."""
    with db.transaction() as session:
        if load_merchant(session, merchant_id) is None:
            raise NotFound(CommerceProblem.UNKNOWN_MERCHANT, f"unknown merchant {merchant_id!r}")
        rows = session.scalars(
            select(ProductRow)
            .where(ProductRow.merchant_id == merchant_id)
            .order_by(ProductRow.product_id)
        )
        products = [product_from_row(r) for r in rows]
    return FeedExport(
        merchant_id=merchant_id,
        feed=feed_from_products(products),
        variants=len(products),
        available=sum(1 for p in products if p.stock > 0),
    )
