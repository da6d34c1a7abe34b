"""The shopper's pages: the home page with search, and the language switch.

Search goes through the shopping tools (``ShoppingTools.search``): the buyer agent sends a
signed CID-INT-XFR intent context to the merchant service, which ranks with the one search
engine and prices each hit with its best coupons; the page shows what came back. The chat,
approval and "my orders" pages are built on this app by the dialogue work (issue 11).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from trustcart.assistant.errors import ToolRefused
from trustcart.web.auth import services_of
from trustcart.web.i18n import LANGUAGES
from trustcart.web.rendering import LANG_SESSION_KEY, render
from trustcart.web.security import safe_next
from trustcart.web.shopper import shopper_id

router = APIRouter()
MAX_QUERY = 200
RESULTS = 12


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, q: Annotated[str, Query(max_length=MAX_QUERY)] = "") -> Any:
    services = services_of(request)
    shopper_id(request.session)
    query = q.strip()
    results: list[dict[str, Any]] = []
    refusal = None
    if query:
        try:
            results = await run_in_threadpool(
                lambda: services.shopping.search(query, limit=RESULTS)
            )
        except ToolRefused as e:
            refusal = e.code
    return render(request, "home.html", query=query, results=results, refusal=refusal)


@router.post("/language")
async def switch_language(
    request: Request,
    lang: Annotated[str, Form()],
    next_path: Annotated[str, Form(alias="next")] = "/",
) -> RedirectResponse:
    if lang in LANGUAGES:
        request.session[LANG_SESSION_KEY] = lang
    return RedirectResponse(safe_next(next_path), status_code=303)
