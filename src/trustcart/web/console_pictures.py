"""A merchant sets a product's picture in the console.

    GET  /console/merchants/{merchant_id}/products/{product_id}/picture   the picture and the form
    POST the same, multipart ``picture`` (file) and ``csrf_token``        upload, then back here

The upload goes through ``commerce.picture_upload.sanitize_picture`` (decoded with Pillow, size
and pixel count bounded, written again as PNG) before ``save_product_picture`` keeps it; a
refused file re-renders the form with the reason in the page's language (status 422), never a
server error. Only the console's logged-in merchant operator reaches these routes, and a
product that is not this merchant's is "not found".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.catalog import Product
from trustcart.commerce.errors import NotFound
from trustcart.commerce.picture_repository import save_product_picture
from trustcart.commerce.picture_upload import MAX_PICTURE_BYTES, PictureRefused, sanitize_picture
from trustcart.commerce.repository import product_from_row
from trustcart.store.commerce import ProductRow
from trustcart.web.auth import require_console
from trustcart.web.pictures import product_visuals
from trustcart.web.rendering import render
from trustcart.web.services import WebServices

router = APIRouter(prefix="/console")
Console = Annotated[WebServices, Depends(require_console)]
PATH = "/merchants/{merchant_id}/products/{product_id}/picture"


def _product(services: WebServices, merchant_id: str, product_id: str) -> Product | None:
    with services.db.transaction() as session:
        row = session.get(ProductRow, product_id)
        return None if row is None or row.merchant_id != merchant_id else product_from_row(row)


async def _page(
    request: Request, services: WebServices, product: Product, status: int = 200, **extra: Any
) -> HTMLResponse:
    visuals = await run_in_threadpool(product_visuals, services.db, [product.product_id])
    context: dict[str, Any] = {"error": None, "saved": False, **extra}
    return render(
        request, "console/product_picture.html", status, product=product, visuals=visuals, **context
    )


@router.get(PATH, response_class=HTMLResponse)
async def picture_form(
    request: Request, merchant_id: str, product_id: str, services: Console
) -> HTMLResponse:
    product = await run_in_threadpool(_product, services, merchant_id, product_id)
    if product is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    saved = request.query_params.get("saved") == "1"
    return await _page(request, services, product, saved=saved)


@router.post(PATH, response_model=None)
async def picture_upload(
    request: Request,
    merchant_id: str,
    product_id: str,
    services: Console,
    picture: Annotated[UploadFile, File()],
) -> HTMLResponse | RedirectResponse:
    product = await run_in_threadpool(_product, services, merchant_id, product_id)
    if product is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    data = await picture.read(MAX_PICTURE_BYTES + 1)
    try:
        clean = await run_in_threadpool(sanitize_picture, data)
    except PictureRefused as refused:
        return await _page(request, services, product, 422, error=f"picture.error.{refused.code}")

    def keep() -> None:
        with services.db.transaction() as session:
            save_product_picture(session, merchant_id, product_id, clean, services.clock.now())

    try:
        await run_in_threadpool(keep)
    except NotFound:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    target = f"/console/merchants/{merchant_id}/products/{product_id}/picture?saved=1"
    return RedirectResponse(target, status_code=303)
