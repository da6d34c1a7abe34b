"""The shopper's chat and the signing desk's routes.

The chat is ``trustcart chat``'s engine: each message goes to this shopper's
``Conversation.say`` (``web.shoppers``), and the page shows the turn's reply, its options as
cards (the product's picture from ``web.pictures``, a "Try on" link, price, coupons,
delivered total, delivery time), and ``/chat/compare``
sets the shown options side by side. Nothing is paid by a message: "approve" starts a job that
says "yes" to the conversation, whose wallet then needs the browser's signatures.

    GET  /chat                      the page (the browser's key module registers its key first)
    POST /chat                      a message (form), then back to /chat
    GET  /chat/compare              the options shown, side by side
    POST /chat/approve              start the approval and payment (JSON; X-CSRF-Token)
    GET  /shop/key                  {kid} of this shopper's registered key, or {kid: null}
    POST /shop/key                  {jwk}: register the browser's public key
    GET  /shop/signing              {pending: the request to sign with its summary, job: ...}
    POST /shop/signing              {request_id, signing_input, signature}: the browser's answer
    POST /shop/signing/decline      {request_id}: the person refused to sign

A refused signature or key answers 422 with ``{code, reason}`` (``SigningCode``); a page
without a registered key says so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from trustcart.core.errors import ValidationError
from trustcart.core.json_limits import loads_bounded
from trustcart.web.auth import services_of
from trustcart.web.pictures import option_product_ids, visuals_for
from trustcart.web.rendering import page_language, render
from trustcart.web.shopper import shopper_id
from trustcart.web.shoppers import Shopper, ShopperRegistry
from trustcart.web.signing_desk import SigningCode, SigningRefused
from trustcart.web.signing_summary import summary_rows

router = APIRouter()
MAX_MESSAGE = 500
HISTORY = 20
YES = {"en": "yes", "zh": "确认"}
NO_REQUEST = SigningRefused(SigningCode.NO_PENDING_SIGNATURE, "no such request")


def registry(request: Request) -> ShopperRegistry:
    return services_of(request).shoppers


def refused(refusal: SigningRefused) -> JSONResponse:
    return JSONResponse({"code": refusal.code.value, "reason": refusal.reason}, status_code=422)


async def json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    try:
        value = loads_bounded(body[:65536])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def current_shopper(request: Request) -> Shopper | None:
    try:
        return registry(request).get(shopper_id(request.session))
    except SigningRefused:
        return None


def turn_json(shopper: Shopper, text: str) -> dict[str, Any]:
    """The conversation's answer to ``text``, as ``chat --json`` has it, with ``paid``."""
    turn = shopper.conversation.say(text)
    return {**turn.to_json(), "paid": turn.paid}


def remember(shopper: Shopper, said: str, turn: dict[str, Any]) -> None:
    shopper.history.append(("you", said))
    shopper.history.append(("assistant", str(turn.get("message", ""))))
    del shopper.history[: -2 * HISTORY]
    shopper.last_turn = turn


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(request: Request) -> Any:
    shopper = current_shopper(request)
    turn = shopper.last_turn if shopper else None
    return render(
        request,
        "chat.html",
        registered=shopper is not None,
        history=shopper.history if shopper else [],
        turn=turn,
        busy=bool(shopper and shopper.lock.locked()),
        visuals=await visuals_for(request, option_product_ids(turn)),
    )


@router.post("/chat")
async def chat_say(request: Request, message: Annotated[str, Form(max_length=MAX_MESSAGE)]) -> Any:
    shopper = current_shopper(request)
    if shopper is None:
        return render(request, "error.html", 409, title_key="chat.no_key", detail="")
    if not shopper.lock.acquire(blocking=False):
        return render(request, "error.html", 409, title_key="chat.busy", detail="")
    try:
        turn = await run_in_threadpool(lambda: turn_json(shopper, message))
    except ValidationError as e:
        turn = {"message": str(e), "options": []}
    finally:
        shopper.lock.release()
    remember(shopper, message, turn)
    return RedirectResponse("/chat", status_code=303)


@router.get("/chat/compare", response_class=HTMLResponse)
async def chat_compare(request: Request) -> Any:
    shopper = current_shopper(request)
    options = (shopper.last_turn or {}).get("options", []) if shopper else []
    visuals = await visuals_for(request, option_product_ids({"options": options}))
    return render(request, "compare.html", options=options, visuals=visuals)


@router.post("/chat/approve")
async def chat_approve(request: Request) -> JSONResponse:
    shopper = current_shopper(request)
    if shopper is None:
        return refused(SigningRefused(SigningCode.KEY_NOT_REGISTERED, "no key"))
    turn = shopper.last_turn or {}
    if not turn.get("awaiting_approval"):
        return refused(SigningRefused(SigningCode.NOTHING_TO_APPROVE, "nothing awaits"))
    yes = YES.get(str(turn.get("language", "en")), "yes")

    def work() -> dict[str, Any]:
        answer = turn_json(shopper, yes)
        remember(shopper, yes, answer)
        return {"next": "/chat", "paid": bool(answer.get("paid"))}

    try:
        shopper.start("approve", work)
    except SigningRefused as refusal:
        return refused(refusal)
    return JSONResponse({"started": True}, status_code=202)


@router.get("/shop/key")
async def key_status(request: Request) -> JSONResponse:
    key = await run_in_threadpool(registry(request).registered_key, shopper_id(request.session))
    return JSONResponse({"kid": None if key is None else key.kid})


@router.post("/shop/key")
async def key_register(request: Request) -> JSONResponse:
    body = await json_body(request)
    jwk = body.get("jwk")
    try:
        key = await run_in_threadpool(
            registry(request).register,
            shopper_id(request.session),
            jwk if isinstance(jwk, dict) else {},
        )
    except SigningRefused as refusal:
        return refused(refusal)
    return JSONResponse({"kid": key.kid}, status_code=201)


@router.get("/shop/signing")
async def signing_status(request: Request) -> JSONResponse:
    shopper = current_shopper(request)
    if shopper is None:
        return JSONResponse({"pending": None, "job": None})
    pending = shopper.desk.pending()
    job = shopper.job
    shown = None
    if pending is not None:
        rows = summary_rows(pending, page_language(request))
        shown = {**pending.to_json(), "summary": [{"label": k, "value": v} for k, v in rows]}
    return JSONResponse(
        {
            "pending": shown,
            "job": None if job is None else {"state": job.state.value, **job.result},
        }
    )


@router.post("/shop/signing")
async def signing_answer(request: Request) -> JSONResponse:
    shopper = current_shopper(request)
    body = await json_body(request)
    fields = [body.get(name) for name in ("request_id", "signing_input", "signature")]
    if shopper is None or not all(isinstance(f, str) for f in fields):
        return refused(NO_REQUEST)
    try:
        shopper.desk.answer(*(str(f) for f in fields))
    except SigningRefused as refusal:
        return refused(refusal)
    return JSONResponse({"accepted": True})


@router.post("/shop/signing/decline")
async def signing_decline(request: Request) -> JSONResponse:
    shopper = current_shopper(request)
    request_id = (await json_body(request)).get("request_id")
    if shopper is None or not isinstance(request_id, str):
        return refused(NO_REQUEST)
    try:
        shopper.desk.decline(request_id)
    except SigningRefused as refusal:
        return refused(refusal)
    return JSONResponse({"declined": True})
