"""The merchant console: login, the merchants, onboarding and a merchant's overview.

Onboarding posts the form to ``local.onboarding.onboard_merchant``, the same call as
``trustcart merchants create``: rows and coupons in one transaction, a signing key generated
and registered with the running deployment (directory and merchant service), so the merchant
API's JWKS lists it at once. The overview links the merchant's own JWKS (``jwks.json`` here)
and the marketplace's. Products, orders and coupons are in ``console_shop``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.onboarding import CouponTerms, MerchantApplication
from trustcart.core.errors import ValidationError
from trustcart.crypto.keys import jwks
from trustcart.local.onboarding import list_merchants, onboard_merchant
from trustcart.web import console_shop, queries
from trustcart.web.auth import LoginOutcome, log_in, log_out, require_console
from trustcart.web.rendering import render
from trustcart.web.security import safe_next
from trustcart.web.services import WebServices

router = APIRouter(prefix="/console")
router.include_router(console_shop.router)
Console = Annotated[WebServices, Depends(require_console)]
COUPON_ROWS = 3
FORM_FIELDS = (
    "name",
    "name_zh",
    "lat",
    "lon",
    "delivery_radius_km",
    "shipping_fee",
    "currency",
    "categories",
)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/console") -> Any:
    return render(request, "console/login.html", next_path=safe_next(next, "/console"), error=None)


@router.post("/login", response_model=None)
async def login(
    request: Request,
    password: Annotated[str, Form(max_length=200)],
    next_path: Annotated[str, Form(alias="next")] = "/console",
) -> HTMLResponse | RedirectResponse:
    outcome = log_in(request, password)
    if outcome is LoginOutcome.LOGGED_IN:
        return RedirectResponse(safe_next(next_path, "/console"), status_code=303)
    error = "login.throttled" if outcome is LoginOutcome.THROTTLED else "login.wrong"
    return render(
        request, "console/login.html", 401, next_path=safe_next(next_path, "/console"), error=error
    )


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    log_out(request)
    return RedirectResponse("/console/login", status_code=303)


@router.get("", response_class=HTMLResponse)
async def merchants(request: Request, services: Console) -> Any:
    listed = await run_in_threadpool(
        lambda: list_merchants(services.db, services.home / "keys.json")
    )
    return render(request, "console/merchants.html", merchants=listed)


def _empty_form() -> dict[str, str]:
    return dict.fromkeys(FORM_FIELDS, "") | {
        "delivery_radius_km": "5",
        "shipping_fee": "0",
        "currency": "CNY",
    }


@router.get("/merchants/new", response_class=HTMLResponse)
async def new_merchant(request: Request, services: Console) -> Any:
    return render(
        request,
        "console/merchant_new.html",
        form=_empty_form(),
        coupon_rows=[{} for _ in range(COUPON_ROWS)],
        error=None,
    )


def _coupon_terms(form: Any, currency: str) -> list[CouponTerms]:
    terms = []
    for n in range(COUPON_ROWS):
        value = str(form.get(f"coupon_{n}_value", "")).strip()
        if not value:
            continue
        days = str(form.get(f"coupon_{n}_days", "") or "90").strip()
        if not days.isdigit():
            raise ValidationError(f"coupon {n + 1}: days must be a whole number")
        terms.append(
            CouponTerms.parse(
                kind=str(form.get(f"coupon_{n}_kind", "fixed")),
                value=value,
                threshold=str(form.get(f"coupon_{n}_threshold", "") or "0"),
                description=str(form.get(f"coupon_{n}_description", "")),
                currency=currency,
                valid_days=int(days),
            )
        )
    return terms


@router.post("/merchants", response_model=None)
async def create_merchant(request: Request, services: Console) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in FORM_FIELDS}
    rows = [
        {key: str(form.get(f"coupon_{n}_{key}", "")) for key in ("kind", "value", "threshold",
                                                                 "description", "days")}
        for n in range(COUPON_ROWS)
    ]  # fmt: skip
    try:
        currency = values["currency"].strip().upper() or "CNY"
        application = MerchantApplication.parse(
            name=values["name"],
            name_zh=values["name_zh"],
            lat=values["lat"],
            lon=values["lon"],
            delivery_radius_km=values["delivery_radius_km"],
            shipping_fee=values["shipping_fee"],
            categories=values["categories"],
            currency=currency,
            coupons=_coupon_terms(form, currency),
        )
        onboarded = await run_in_threadpool(
            lambda: onboard_merchant(
                services.db,
                services.deployment.keys,
                application,
                now=services.clock.now(),
                deployment=services.deployment,
            )
        )
    except ValidationError as e:
        return render(
            request, "console/merchant_new.html", 400, form=values, coupon_rows=rows, error=str(e)
        )
    return RedirectResponse(
        f"/console/merchants/{onboarded.merchant.merchant_id}?created=1", status_code=303
    )


@router.get("/merchants/{merchant_id}", response_class=HTMLResponse)
async def merchant_overview(
    request: Request, merchant_id: str, services: Console, created: int = 0
) -> Any:
    found = await run_in_threadpool(lambda: queries.merchant(services.db, merchant_id))
    if found is None:
        return render(request, "error.html", 404, title_key="error.not_found", detail="")
    key = services.deployment.merchant_keys.get(merchant_id)
    return render(
        request,
        "console/merchant.html",
        merchant=found,
        kid=key.kid if key else None,
        merchant_api=services.deployment.endpoints.merchant,
        created=bool(created),
    )


@router.get("/merchants/{merchant_id}/jwks.json")
async def merchant_jwks(merchant_id: str, services: Console) -> JSONResponse:
    key = services.deployment.merchant_keys.get(merchant_id)
    return JSONResponse(jwks([key.public]) if key else {"keys": []})
