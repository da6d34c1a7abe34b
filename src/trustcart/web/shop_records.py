"""The shopper's records: "my orders", "my delegations", revoke, evidence download.

The same code as ``trustcart orders / delegations / revoke / evidence`` (``cli.records``):
``assistant.records.ShopperRecords`` over this shopper's tools (their ``SqlMemory``; order
status asked of the merchant over signed HTTP; spent and remaining from the payment
provider's latest signed receipt; status from the status service's signed answer), and
``local.evidence.write_evidence`` for the bundle. Revoking is ``ShoppingTools.revoke``: the
lifecycle request is signed in the browser (a job on the signing desk, like an approval).

    GET  /my/orders                         the orders: merchant, items, amount, mode, status
    GET  /my/orders/{order}/evidence.json   the order's evidence bundle (a download)
    GET  /my/orders/{order}/verification    that bundle verified against the trust anchors,
                                            check by check (``trust.evidence.verify_bundle``)
    GET  /my/delegations                    limits, spent, remaining, status, validity
    POST /my/delegations/{id}/revoke        start the revocation (JSON; X-CSRF-Token)
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.records import ShopperRecords
from trustcart.local.evidence import write_evidence
from trustcart.trust.anchors import load_anchors_file
from trustcart.trust.evidence import VerificationReport, load_bundle_file, verify_bundle
from trustcart.web.auth import services_of
from trustcart.web.rendering import page_language, render
from trustcart.web.shop_pages import current_shopper, refused
from trustcart.web.signing_desk import SigningRefused

router = APIRouter()


@router.get("/my/orders", response_class=HTMLResponse)
async def my_orders(request: Request) -> Any:
    shopper = current_shopper(request)
    lang = page_language(request)
    orders = (
        await run_in_threadpool(lambda: ShopperRecords(shopper.tools).orders(lang))
        if shopper
        else []
    )
    return render(request, "my_orders.html", registered=shopper is not None, orders=orders)


@router.get("/my/orders/{order_id}/evidence.json")
async def my_evidence(request: Request, order_id: str) -> Response:
    shopper = current_shopper(request)
    purchase = ShopperRecords(shopper.tools).purchase(order_id) if shopper else None
    if purchase is None:
        raise HTTPException(404)
    deployment = services_of(request).deployment

    def bundle() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bundle.json"
            write_evidence(deployment, purchase, path)
            return path.read_bytes()

    body = await run_in_threadpool(bundle)
    safe = "".join(c for c in order_id if c.isalnum() or c in "_-")[:80]
    return Response(
        body,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="evidence-{safe}.json"'},
    )


@router.get("/my/orders/{order_id}/verification", response_class=HTMLResponse)
async def my_verification(request: Request, order_id: str) -> Any:
    """The order's bundle verified as ``trustcart verify --trusted-keys`` does, check by check."""
    shopper = current_shopper(request)
    purchase = ShopperRecords(shopper.tools).purchase(order_id) if shopper else None
    if purchase is None:
        raise HTTPException(404)
    deployment = services_of(request).deployment

    def verified() -> VerificationReport:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bundle.json"
            trusted = write_evidence(deployment, purchase, path)
            return verify_bundle(load_bundle_file(path), anchors=load_anchors_file(trusted))

    report = await run_in_threadpool(verified)
    return render(request, "my_verification.html", order_id=order_id, report=report)


@router.get("/my/delegations", response_class=HTMLResponse)
async def my_delegations(request: Request) -> Any:
    shopper = current_shopper(request)
    found = (
        await run_in_threadpool(lambda: ShopperRecords(shopper.tools).delegations())
        if shopper
        else []
    )
    job = shopper.job if shopper else None
    refusal = job.result.get("refusal") if job is not None and job.name == "revoke" else None
    return render(
        request,
        "my_delegations.html",
        registered=shopper is not None,
        found=found,
        refusal=refusal,
    )


@router.post("/my/delegations/{delegation_id}/revoke")
async def my_revoke(request: Request, delegation_id: str) -> JSONResponse:
    shopper = current_shopper(request)
    if shopper is None:
        raise HTTPException(404)

    def work() -> dict[str, Any]:
        try:
            return {"next": "/my/delegations", **shopper.tools.revoke(delegation_id)}
        except ToolRefused as refusal:
            return {"next": "/my/delegations", "refusal": refusal.to_json()}

    try:
        shopper.start("revoke", work)
    except SigningRefused as refusal:
        return refused(refusal)
    return JSONResponse({"started": True}, status_code=202)
