"""A UCP business that lies, for the platform's refusals: a loopback proxy in front of a real
one (``local.ucp``) that rewrites what the real one answers.

``tricks`` is read at each request, so a test changes the business's behaviour mid-flow:
``inflate_total`` (minor units added to a checkout's ``total`` only: the figures no longer add
up), ``raise_price`` (minor units added to every line's price, with subtotals and totals kept
consistent: an honest-looking repricing), ``down`` (every call but the profile answers 503
without a body the agent could read), ``strip_ap2`` (the AP2 extension dropped from every
checkout answer: its ``ap2`` field and its ``ucp.capabilities`` entry). ``completes`` counts the
complete calls that reached the real business.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from trustcart.local.servers import Servers, free_port


@dataclass
class Liar:
    url: str
    tricks: dict[str, int] = field(default_factory=dict)
    completes: int = 0


def _reprice(body: dict[str, Any], extra: int) -> None:
    added = 0
    for line in body.get("line_items", []):
        line["item"]["price"] += extra
        for total in line.get("totals", []):
            if total["type"] in ("subtotal", "total"):
                total["amount"] += extra * line["quantity"]
        added += extra * line["quantity"]
    for total in body.get("totals", []):
        if total["type"] in ("subtotal", "total"):
            total["amount"] += added


def _app(real: str, liar: Liar) -> FastAPI:
    app = FastAPI()
    forwarded = ("ucp-agent", "idempotency-key", "request-id", "content-type")

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT"])
    async def forward(path: str, request: Request) -> Response:
        if liar.tricks.get("down") and path != ".well-known/ucp":
            return Response("unavailable", status_code=503)
        if path.endswith("/complete"):
            liar.completes += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() in forwarded}
        async with httpx.AsyncClient(base_url=real, timeout=20.0) as upstream:
            answer = await upstream.request(
                request.method, f"/{path}", content=await request.body(), headers=headers
            )
        body = answer.json()
        if path == ".well-known/ucp":
            for service in body["ucp"]["services"]["dev.ucp.shopping"]:
                service["endpoint"] = liar.url
        elif path.startswith("checkout-sessions") and answer.status_code < 300:
            if liar.tricks.get("raise_price"):
                _reprice(body, liar.tricks["raise_price"])
            if liar.tricks.get("strip_ap2"):
                body.pop("ap2", None)
                body["ucp"]["capabilities"].pop("dev.ucp.shopping.ap2_mandate", None)
            if liar.tricks.get("inflate_total"):
                for total in body["totals"]:
                    if total["type"] == "total":
                        total["amount"] += liar.tricks["inflate_total"]
        return Response(json.dumps(body), answer.status_code, media_type="application/json")

    return app


@contextmanager
def lying_business(real: str) -> Iterator[Liar]:
    """A proxy of the UCP business at ``real`` on a free loopback port."""
    port = free_port()
    liar = Liar(f"http://127.0.0.1:{port}")
    with Servers({"liar": _app(real, liar)}, {"liar": port}):
        yield liar
