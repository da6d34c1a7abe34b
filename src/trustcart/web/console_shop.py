"""A merchant's products, orders (with refunds) and coupons in the console.

A refund goes through the payment provider's refund API (``POST /refunds``), signed with the
merchant's own key (RFC 9421, like every merchant request to the PSP), with an idempotency key
made when the form was shown: submitting the same form twice refunds once. What the PSP has
recorded (paid, refunded) is read from its ``GET /payments/{trade_no}``, signed the same way.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.onboarding import CouponTerms, add_coupon, end_coupon
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.web import queries
from trustcart.web.auth import require_console
from trustcart.web.pictures import visuals_for
from trustcart.web.rendering import render
from trustcart.web.services import WebServices

router = APIRouter()
Console = Annotated[WebServices, Depends(require_console)]
FLASH_KEY = "flash"


def flash(request: Request, kind: str, key: str, **values: str) -> None:
    """A message (catalog ``key`` and its values) for the next page this session shows."""
    request.session[FLASH_KEY] = {
        "kind": kind,
        "key": key,
        "values": {name: value[:300] for name, value in values.items()},
    }


def take_flash(request: Request) -> dict[str, Any] | None:
    message = request.session.pop(FLASH_KEY, None)
    return message if isinstance(message, dict) else None


@router.get("/merchants/{merchant_id}/products", response_class=HTMLResponse)
async def products(
    request: Request,
    merchant_id: str,
    services: Console,
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Any:
    merchant = await run_in_threadpool(lambda: queries.merchant(services.db, merchant_id))
    if merchant is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    found = await run_in_threadpool(
        lambda: queries.products(services.db, merchant_id, query=q.strip(), page=page)
    )
    visuals = await visuals_for(request, (p.product_id for p in found.products))
    return render(
        request, "console/products.html", merchant=merchant, page=found, query=q, visuals=visuals
    )


def _payment(client: httpx.Client, trade_no: str) -> dict[str, Any] | None:
    response = client.get(f"/payments/{trade_no}")
    return response.json() if response.status_code == 200 else None


@router.get("/merchants/{merchant_id}/orders", response_class=HTMLResponse)
async def orders(request: Request, merchant_id: str, services: Console) -> Any:
    merchant = await run_in_threadpool(lambda: queries.merchant(services.db, merchant_id))
    if merchant is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")

    def load() -> list[tuple[queries.OrderView, dict[str, Any] | None]]:
        listed = queries.orders(services.db, merchant_id)
        if merchant_id not in services.deployment.merchant_keys:
            return [(o, None) for o in listed]
        client = services.psp_as_merchant(merchant_id)
        return [(o, _payment(client, o.trade_no) if o.trade_no else None) for o in listed]

    listed = await run_in_threadpool(load)
    return render(
        request,
        "console/orders.html",
        merchant=merchant,
        orders=listed,
        refund_key=secrets.token_urlsafe(16),
        message=take_flash(request),
    )


@router.post("/merchants/{merchant_id}/orders/{out_trade_no}/refund")
async def refund(  # noqa: PLR0917 - FastAPI passes form fields as parameters
    request: Request,
    merchant_id: str,
    out_trade_no: str,
    services: Console,
    amount: Annotated[str, Form(max_length=20)],
    idempotency_key: Annotated[str, Form(max_length=64, min_length=16)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    back = RedirectResponse(f"/console/merchants/{merchant_id}/orders", status_code=303)
    found = await run_in_threadpool(lambda: queries.order(services.db, merchant_id, out_trade_no))
    if (
        found is None
        or found.trade_no is None
        or merchant_id not in services.deployment.merchant_keys
    ):
        flash(request, "error", "refund.not_paid")
        return back
    try:
        money = Money.parse(amount.strip(), found.total.currency)
    except ValidationError:
        flash(request, "error", "refund.bad_amount")
        return back
    trade_no = found.trade_no
    body = {"trade_no": trade_no, "amount": money.to_json(), "reason": reason.strip()}
    response = await run_in_threadpool(
        lambda: services.psp_as_merchant(merchant_id).post(
            "/refunds", json=body, headers={"Idempotency-Key": f"console-{idempotency_key}"}
        )
    )
    if response.status_code in (200, 201):
        flash(
            request,
            "ok",
            "refund.done",
            order=out_trade_no,
            amount=f"{money.amount_str()} {money.currency}",
        )
    else:
        code = response.json().get("code", "refused") if response.content else "refused"
        flash(request, "error", "refund.refused", code=str(code))
    return back


@router.get("/merchants/{merchant_id}/coupons", response_class=HTMLResponse)
async def coupons(request: Request, merchant_id: str, services: Console) -> Any:
    merchant = await run_in_threadpool(lambda: queries.merchant(services.db, merchant_id))
    if merchant is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    listed = await run_in_threadpool(lambda: queries.coupons(services.db, merchant_id))
    now = services.clock.now()
    return render(
        request,
        "console/coupons.html",
        merchant=merchant,
        coupons=[queries.coupon_view(c, now) for c in listed],
        message=take_flash(request),
    )


@router.post("/merchants/{merchant_id}/coupons")
async def create_coupon(  # noqa: PLR0917 - FastAPI passes form fields as parameters
    request: Request,
    merchant_id: str,
    services: Console,
    kind: Annotated[str, Form(max_length=10)],
    value: Annotated[str, Form(max_length=20)],
    description: Annotated[str, Form(max_length=200)],
    threshold: Annotated[str, Form(max_length=20)] = "0",
    days: Annotated[int, Form(ge=1, le=3650)] = 90,
    category_scope: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    merchant = await run_in_threadpool(lambda: queries.merchant(services.db, merchant_id))
    back = RedirectResponse(f"/console/merchants/{merchant_id}/coupons", status_code=303)
    if merchant is None:
        flash(request, "error", "coupon.unknown_merchant")
        return back
    try:
        terms = CouponTerms.parse(
            kind=kind,
            value=value,
            threshold=threshold or "0",
            description=description,
            currency=merchant.currency,
            valid_days=days,
            category_scope=category_scope,
        )
        made = await run_in_threadpool(
            lambda: add_coupon(services.db, merchant_id, terms, now=services.clock.now())
        )
    except ValidationError as e:
        flash(request, "error", "coupon.invalid", detail=str(e))
        return back
    flash(request, "ok", "coupon.added", coupon=made.coupon_id)
    return back


@router.post("/merchants/{merchant_id}/coupons/{coupon_id}/end")
async def finish_coupon(
    request: Request, merchant_id: str, coupon_id: str, services: Console
) -> RedirectResponse:
    try:
        await run_in_threadpool(
            lambda: end_coupon(services.db, merchant_id, coupon_id, now=services.clock.now())
        )
        flash(request, "ok", "coupon.ended", coupon=coupon_id)
    except ValidationError as e:
        flash(request, "error", "coupon.invalid", detail=str(e))
    return RedirectResponse(f"/console/merchants/{merchant_id}/coupons", status_code=303)
