"""Reading and writing product pictures: the merchant's upload, else the generated drawing.

``picture_sources`` answers, for many products at once, where each one's picture comes from:
an uploaded picture (its SHA-256 is the version), a generated drawing (its ``PictureSpec``), or
nothing (the page shows a placeholder). ``save_product_picture`` keeps an upload that
``picture_upload.sanitize_picture`` has already re-encoded; it refuses a product that is not
the merchant's own, so one merchant cannot change another's pictures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.picture_upload import SanitizedPicture
from trustcart.commerce.pictures import PictureSpec, picture_spec
from trustcart.store.commerce import ProductRow
from trustcart.store.pictures import ProductPictureRow


@dataclass(frozen=True, slots=True)
class PictureSource:
    """Where a product's picture comes from: ``uploaded`` (its SHA-256) or ``generated``."""

    product_id: str
    uploaded_sha256: str | None = None
    generated: PictureSpec | None = None

    @property
    def version(self) -> str:
        """A short name of the bytes, for URLs (``?v=``) and ETags."""
        if self.uploaded_sha256 is not None:
            return "u" + self.uploaded_sha256[:16]
        return self.generated.key if self.generated is not None else "none"


@dataclass(frozen=True, slots=True)
class StoredPicture:
    png: bytes = field(repr=False)
    sha256: str


def picture_sources(session: Session, product_ids: Iterable[str]) -> dict[str, PictureSource]:
    """The picture of each known product among ``product_ids`` (unknown ids are left out)."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    uploaded = dict(
        session.execute(
            select(ProductPictureRow.product_id, ProductPictureRow.sha256).where(
                ProductPictureRow.product_id.in_(wanted)
            )
        ).all()
    )
    sources: dict[str, PictureSource] = {}
    for product_id, category, attributes in session.execute(
        select(ProductRow.product_id, ProductRow.category, ProductRow.attributes).where(
            ProductRow.product_id.in_(wanted)
        )
    ):
        if product_id in uploaded:
            sources[product_id] = PictureSource(product_id, uploaded_sha256=uploaded[product_id])
        else:
            attrs = {str(k): str(v) for k, v in (attributes or {}).items()}
            sources[product_id] = PictureSource(product_id, generated=picture_spec(category, attrs))
    return sources


def load_product_picture(session: Session, product_id: str) -> StoredPicture | None:
    """The uploaded picture of ``product_id``, if its merchant gave one."""
    row = session.get(ProductPictureRow, product_id)
    return None if row is None else StoredPicture(row.data, row.sha256)


def save_product_picture(
    session: Session,
    merchant_id: str,
    product_id: str,
    picture: SanitizedPicture,
    now: datetime,
) -> None:
    """Keep ``picture`` as the product's own; ``NotFound`` unless it is ``merchant_id``'s."""
    product = session.get(ProductRow, product_id)
    if product is None or product.merchant_id != merchant_id:
        raise NotFound(CommerceProblem.UNKNOWN_PRODUCT, f"no product {product_id!r} here")
    row = session.get(ProductPictureRow, product_id)
    if row is None:
        row = ProductPictureRow(product_id=product_id, merchant_id=merchant_id)
        session.add(row)
    row.media_type = "image/png"
    row.data = picture.png
    row.sha256 = picture.sha256
    row.width, row.height = picture.width, picture.height
    row.updated_at = now
