"""The shopper's disputes: open one on an order from "my orders", and see how it was decided.

The same service as ``trustcart disputes`` (``local.disputes.dispute_service``), with the
browser's shopper as the opener (the person whose wallet paid: their delegator identity), so
nobody else's order can be disputed from here. Writes carry the session's CSRF token (the
app's ``csrf_protect``, like every form).

    POST /my/orders/{order}/dispute   open it (form: reason, csrf_token); 303 to its page
    GET  /my/orders/{order}/dispute   the dispute: state, outcome, reason code, refund, the
                                      evidence it rests on
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from trustcart.disputes.errors import DisputeError
from trustcart.disputes.records import Opener, OpenerRole
from trustcart.disputes.service import DisputeService
from trustcart.local.disputes import dispute_service
from trustcart.web.auth import services_of
from trustcart.web.rendering import render
from trustcart.web.shop_pages import registry
from trustcart.web.shopper import shopper_id
from trustcart.web.shoppers import identity_of

router = APIRouter()


def _opener(request: Request) -> tuple[DisputeService, Opener]:
    """The service and this browser's shopper as the opener (404 without a registered key).

    Only the registered key is looked up: deciding needs no agent, so no other service."""
    shopper = shopper_id(request.session)
    if registry(request).registered_key(shopper) is None:
        raise HTTPException(404)
    opener = Opener(OpenerRole.PERSON, identity_of(shopper))
    return dispute_service(services_of(request).deployment), opener


@router.post("/my/orders/{order_id}/dispute")
async def open_dispute(
    request: Request, order_id: str, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    service, opener = _opener(request)
    try:
        await run_in_threadpool(service.open, order_id, opener, reason)
    except DisputeError as refusal:
        return render(
            request,
            "my_dispute.html",
            status_code=refusal.status,
            order_id=order_id,
            dispute=None,
            refusal=refusal.code.value,
        )
    return RedirectResponse(f"/my/orders/{order_id}/dispute", status_code=303)


@router.get("/my/orders/{order_id}/dispute", response_class=HTMLResponse)
async def show_dispute(request: Request, order_id: str) -> Any:
    service, opener = _opener(request)
    dispute = await run_in_threadpool(service.for_order, order_id)
    if dispute is not None:
        try:
            dispute = service.show(str(dispute["dispute_id"]), opener)
        except DisputeError:
            dispute = None  # someone else's: as if there were none
    return render(request, "my_dispute.html", order_id=order_id, dispute=dispute, refusal=None)
