"""Try-on in the browser: the shopper's photo, a product that supports try-on, the preview.

    GET  /tryon[?product=ID]   the form: a photo (upload, or the camera on a phone:
                               ``capture="user"``), the products to try (the chat's options that
                               support try-on first, then a list from the catalog)
    POST /tryon                multipart ``photo`` (file), ``product`` (id), ``csrf_token``:
                               the same page with the preview, or with what went wrong

The preview is drawn by the try-on engine (``trustcart.tryon``, the one ``api.tryon`` and
``trustcart tryon`` use) from the photo and the product's own picture (``web.pictures``: the
merchant's upload or the generated drawing), with the product id and picture version as the
engine's cache key. Before that the photo is decoded and written again by
``commerce.picture_upload.sanitize_picture`` (at most ``MAX_IMAGE_BYTES``, ``PHOTO_SIDE`` px per
side, upright), so a phone's 12-megapixel photo is tried at a sensible size.

The photo is never stored: it is read into memory for this one request (Starlette spools a big
upload to a temporary file that is deleted when the request ends), the preview goes back inside
the page as a ``data:`` URL (the page is ``no-store``), and nothing is written to the store or
to disk. Every refusal (not a picture, too large, too small, no person, several people, ...)
re-renders the page with its message in the page's language and status 422, never a 500.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.catalog import TRYON_BY_CATEGORY, Product
from trustcart.commerce.picture_repository import picture_sources
from trustcart.commerce.picture_upload import PictureRefused, sanitize_picture
from trustcart.commerce.repository import product_from_row
from trustcart.core.errors import ValidationError
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database
from trustcart.tryon.errors import TryOnError
from trustcart.tryon.types import MAX_IMAGE_BYTES, Category, TryOnRequest, TryOnResult
from trustcart.web.auth import services_of
from trustcart.web.pictures import option_product_ids, product_picture_png, product_visuals
from trustcart.web.rendering import render
from trustcart.web.services import WebServices
from trustcart.web.shop_pages import current_shopper

router = APIRouter()
PHOTO_SIDE = 1024
CATALOG_CHOICES = 8  # per try-on kind
SCANNED = 2000


class TryOnRefused(ValidationError):
    """The try-on cannot be made; ``key`` is the message to show (``tryon.error.*``)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


@dataclass(frozen=True, slots=True)
class Choice:
    product: Product
    from_chat: bool


def tryable(db: Database, product_id: str) -> Product | None:
    """The product ``product_id`` if it exists and supports try-on."""
    with db.transaction() as session:
        row = session.get(ProductRow, product_id)
    product = None if row is None else product_from_row(row)
    return product if product is not None and product.tryon_category is not None else None


def catalog_choices(db: Database, per_kind: int = CATALOG_CHOICES) -> list[Product]:
    """Up to ``per_kind`` in-stock products of each try-on kind, one per product group."""
    matches = [
        or_(ProductRow.category == prefix, ProductRow.category.like(prefix + "/%"))
        for prefix, _ in TRYON_BY_CATEGORY
    ]
    with db.transaction() as session:
        rows = session.scalars(
            select(ProductRow)
            .where(or_(*matches), ProductRow.stock > 0)
            .order_by(ProductRow.product_id)
            .limit(SCANNED)
        ).all()
    chosen: list[Product] = []
    groups: set[str] = set()
    counts: dict[str, int] = {}
    for product in map(product_from_row, rows):
        kind, group = product.tryon_category, product.group_id or product.product_id
        if kind is None or group in groups or counts.get(kind, 0) >= per_kind:
            continue
        groups.add(group)
        counts[kind] = counts.get(kind, 0) + 1
        chosen.append(product)
    return sorted(chosen, key=lambda p: (p.tryon_category or "", p.title))


def choices(db: Database, chat_ids: list[str]) -> list[Choice]:
    """The chat's try-on capable products first, then the catalog's, each once."""
    seen: set[str] = set()
    found: list[Choice] = []
    for product_id in chat_ids:
        product = tryable(db, product_id)
        if product is not None and product_id not in seen:
            seen.add(product_id)
            found.append(Choice(product, True))
    for product in catalog_choices(db):
        if product.product_id not in seen:
            seen.add(product.product_id)
            found.append(Choice(product, False))
    return found


def make_preview(services: WebServices, photo: bytes, product_id: str) -> TryOnResult:
    """The engine's preview of ``product_id`` on ``photo``; ``TryOnRefused`` with the reason."""
    product = tryable(services.db, product_id)
    if product is None or product.tryon_category is None:
        raise TryOnRefused("tryon.error.no-product")
    if not photo:
        raise TryOnRefused("tryon.error.no-photo")
    try:
        clean = sanitize_picture(photo, max_bytes=MAX_IMAGE_BYTES, max_side=PHOTO_SIDE)
    except PictureRefused as e:
        raise TryOnRefused(f"tryon.error.{e.code}") from e
    picture = product_picture_png(services.db, services.pictures, product_id)
    if picture is None:
        raise TryOnRefused("tryon.error.no-picture")
    with services.db.transaction() as session:
        version = picture_sources(session, [product_id])[product_id].version
    request = TryOnRequest(
        clean.png, picture, Category(product.tryon_category), product_key=f"{product_id}@{version}"
    )
    try:
        return services.tryon.try_on(request)
    except TryOnError as e:
        raise TryOnRefused(f"tryon.error.{e.code}") from e


async def _page(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
    services = services_of(request)
    shopper = current_shopper(request)
    chat_ids = option_product_ids(shopper.last_turn if shopper else None)
    found = await run_in_threadpool(choices, services.db, chat_ids)
    visuals = await run_in_threadpool(
        product_visuals, services.db, [c.product.product_id for c in found]
    )
    context: dict[str, Any] = {"selected": None, "error": None, "preview": None, **extra}
    return render(request, "tryon.html", status, choices=found, visuals=visuals, **context)


@router.get("/tryon", response_class=HTMLResponse)
async def tryon_page(request: Request) -> HTMLResponse:
    selected = request.query_params.get("product")
    return await _page(request, selected=selected if selected and len(selected) <= 96 else None)


@router.post("/tryon", response_class=HTMLResponse)
async def tryon_submit(
    request: Request,
    photo: Annotated[UploadFile | None, File()] = None,
    product: Annotated[str, Form()] = "",
) -> HTMLResponse:
    # Both are optional here so that a form without them gets the page's message, not a 422 JSON.
    data = b""
    if photo is not None:
        data = await photo.read(MAX_IMAGE_BYTES + 1)
        await photo.close()
    product = product if len(product) <= 96 else ""
    try:
        if len(data) > MAX_IMAGE_BYTES:
            raise TryOnRefused("tryon.error.picture-too-large")
        result = await run_in_threadpool(make_preview, services_of(request), data, product)
    except TryOnRefused as refused:
        return await _page(request, 422, selected=product, error=refused.key)
    finally:
        del data
    preview = {
        "src": "data:image/png;base64," + base64.b64encode(result.image_png).decode("ascii"),
        "approximate": result.approximate,
        "notice": result.notice,
        "backend": result.backend,
    }
    return await _page(request, selected=product, preview=preview)
