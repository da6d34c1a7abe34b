"""Product pictures on the pages: served by this app (same origin), never fetched from elsewhere.

    GET /pictures/{product_id}.png?v=VERSION   the merchant's uploaded picture, else the drawing
                                               generated from the product (``commerce.pictures``)

The URL carries the picture's version (the upload's SHA-256, or the drawing's key), so the
answer can be cached for a long time (``immutable``) and a new upload is a new URL. A product
without a picture answers 404 and the pages show the labelled placeholder instead; they learn
which is which from ``product_visuals``, one query for all the products a page shows.
Generated drawings are cached on disk (``picture_cache``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.catalog import TRYON_BY_CATEGORY, TRYON_CATEGORIES
from trustcart.commerce.picture_repository import load_product_picture, picture_sources
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database
from trustcart.web.auth import services_of
from trustcart.web.picture_cache import GeneratedPictures

router = APIRouter()
CACHE_FOR = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class ProductVisual:
    """What a page shows of a product: its picture's URL (None: placeholder), try-on kind."""

    picture_url: str | None
    tryon: str | None


def _tryon_kind(category: str, attributes: dict[str, str]) -> str | None:
    # The rule of ``Product.tryon_category``, on the row's columns.
    marked = attributes.get("tryon")
    if marked is not None:
        return marked if marked in TRYON_CATEGORIES else None
    return next(
        (k for p, k in TRYON_BY_CATEGORY if category == p or category.startswith(p + "/")), None
    )


def product_visuals(db: Database, product_ids: Iterable[str]) -> dict[str, ProductVisual]:
    """Picture URL and try-on kind of each known product among ``product_ids``."""
    from sqlalchemy import select

    wanted = sorted(set(product_ids))
    with db.transaction() as session:
        sources = picture_sources(session, wanted)
        rows = session.execute(
            select(ProductRow.product_id, ProductRow.category, ProductRow.attributes).where(
                ProductRow.product_id.in_(wanted)
            )
        ).all()
    visuals: dict[str, ProductVisual] = {}
    for product_id, category, attributes in rows:
        source = sources[product_id]
        has_picture = source.uploaded_sha256 is not None or source.generated is not None
        url = f"/pictures/{product_id}.png?v={source.version}" if has_picture else None
        attrs = {str(k): str(v) for k, v in (attributes or {}).items()}
        visuals[product_id] = ProductVisual(url, _tryon_kind(category, attrs))
    return visuals


def option_product_ids(turn: Mapping[str, Any] | None) -> list[str]:
    """The product ids of a chat turn's options (``chat --json`` shape).

    >>> option_product_ids({"options": [{"items": [{"product_id": "p_a"}, {"product_id": "p_b"}]}]})
    ['p_a', 'p_b']
    """
    return [
        str(line["product_id"])
        for option in (turn or {}).get("options") or []
        for line in option.get("items") or []
        if isinstance(line, Mapping) and isinstance(line.get("product_id"), str)
    ]


async def visuals_for(request: Request, product_ids: Iterable[str]) -> dict[str, ProductVisual]:
    """``product_visuals`` from a route (in a worker thread)."""
    ids = list(product_ids)
    return await run_in_threadpool(product_visuals, services_of(request).db, ids)


def product_picture_png(db: Database, pictures: GeneratedPictures, product_id: str) -> bytes | None:
    """The PNG a product shows: its upload, else its drawing, else None."""
    with db.transaction() as session:
        stored = load_product_picture(session, product_id)
        source = picture_sources(session, [product_id]).get(product_id)
    if stored is not None:
        return stored.png
    if source is None or source.generated is None:
        return None
    return pictures.png(source.generated)


@router.get("/pictures/{product_id}.png")
async def product_picture(request: Request, product_id: str) -> Response:
    services = services_of(request)
    if len(product_id) > 96:
        return Response(status_code=404)
    png = await run_in_threadpool(product_picture_png, services.db, services.pictures, product_id)
    if png is None:
        return Response(b"no picture\n", status_code=404, media_type="text/plain")
    return Response(png, media_type="image/png", headers={"Cache-Control": CACHE_FOR})
