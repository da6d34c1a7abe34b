"""Table of the product pictures merchants upload (migration 0013).

One row per product: the PNG we wrote from the upload (``commerce.picture_upload``), never the
uploaded bytes, with its SHA-256 (the picture's version in URLs and ETags), its size and when it
was set. A product without a row shows its generated picture, or a placeholder.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base
from trustcart.store.commerce import _ID
from trustcart.store.payments import UTCDateTime


class ProductPictureRow(Base):
    __tablename__ = "commerce_product_pictures"

    product_id: Mapped[str] = mapped_column(
        ForeignKey("commerce_products.product_id"), primary_key=True
    )
    merchant_id: Mapped[str] = mapped_column(String(_ID), index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
