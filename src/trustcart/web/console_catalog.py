"""Catalog import in the console: upload, live progress, the error report, the CSV template.

The upload form posts the file (CSV, JSONL, Parquet or an ACP feed); the job page shows the
progress fragment, which htmx reloads every second (``hx-trigger="every 1s"``) until the job
has finished, when the fragment comes back without the trigger and the polling stops. The
rejected rows download as ``errors.csv`` (line, reason). ``catalog-template.csv`` is the header
and two example rows of ``docs/catalog-format.md``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from trustcart.core.errors import ValidationError
from trustcart.web import queries
from trustcart.web.auth import require_console
from trustcart.web.imports import MAX_UPLOAD_BYTES, ImportProgress
from trustcart.web.rendering import render
from trustcart.web.services import WebServices

router = APIRouter(prefix="/console")
Console = Annotated[WebServices, Depends(require_console)]
CATALOG_TEMPLATE = (
    "product_id,merchant_id,title,title_zh,brand,category,price,currency,stock,"
    "delivery_minutes,gtin,image_url,attributes\n"
    "p_lotus_pearl_tea,,Pearl Milk Tea,珍珠奶茶,Lotus,drinks/milk-tea,16.00,CNY,120,30,,,"
    '"{""size"": ""large"", ""sugar"": ""half""}"\n'
    "p_lotus_tee_m,,Lotus Tee (M),莲花T恤 (M),Lotus,apparel/t-shirt,59.00,CNY,40,2880,"
    '6901234567892,https://example.com/tee.png,"{""size"": ""M"", ""colour"": ""white""}"\n'
)


def _job(services: WebServices, job_id: str) -> ImportProgress | None:
    return services.jobs.get(job_id)


@router.get("/catalog-template.csv")
async def catalog_template(_services: Console) -> Response:
    return Response(
        CATALOG_TEMPLATE.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="catalog-template.csv"'},
    )


@router.get("/merchants/{merchant_id}/import", response_class=HTMLResponse)
async def import_form(request: Request, merchant_id: str, services: Console) -> Any:
    merchant = await run_in_threadpool(lambda: queries.merchant(services.db, merchant_id))
    if merchant is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    return render(request, "console/import.html", merchant=merchant, error=None)


@router.post("/merchants/{merchant_id}/import", response_model=None)
async def start_import(
    request: Request,
    merchant_id: str,
    services: Console,
    catalog: Annotated[UploadFile, File()],
) -> HTMLResponse | RedirectResponse:
    merchant = await run_in_threadpool(lambda: queries.merchant(services.db, merchant_id))
    if merchant is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    data = await catalog.read(MAX_UPLOAD_BYTES + 1)
    try:
        job = services.jobs.start(merchant_id, catalog.filename or "", data)
    except ValidationError as e:
        return render(request, "console/import.html", 400, merchant=merchant, error=str(e))
    return RedirectResponse(f"/console/imports/{job.job_id}", status_code=303)


@router.get("/imports/{job_id}", response_class=HTMLResponse)
async def import_job(request: Request, job_id: str, services: Console) -> Any:
    job = _job(services, job_id)
    if job is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    return render(request, "console/import_job.html", job=job)


@router.get("/imports/{job_id}/progress", response_class=HTMLResponse)
async def import_progress(request: Request, job_id: str, services: Console) -> Any:
    job = _job(services, job_id)
    if job is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    return render(request, "console/_import_progress.html", job=job)


@router.get("/imports/{job_id}/errors.csv")
async def import_errors(job_id: str, services: Console) -> Response:
    job = _job(services, job_id)
    if job is None:
        return Response("no such import\n", status_code=404, media_type="text/plain")
    return Response(
        job.error_report_csv().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{job_id}-errors.csv"'},
    )
