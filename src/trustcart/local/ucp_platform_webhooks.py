"""Our UCP platform's order webhook receiver, served by the trust app beside our profile.

Composition only: the rules are ``assistant.ucp.order_events`` (who sends, its signature, its
time, its body, once). Here the route ``POST ORDER_WEBHOOK_PATH`` (the ``webhook_url`` our
platform profile names, ``local.ucp_platform``) reads the body (at most ``MAX_BODY``: 413
``body_too_large``), hands the request to the inbox off the event loop, and answers UCP's shapes:
``200 {"ucp": {"version", "status": "success"}}`` when the event is kept or was kept already,
else the UCP ``error_response`` with the refusal's code (401 signature, 403 sender, 400 time or
body; documented in the trust app's OpenAPI, ``api.openapi.ucp_webhooks``). Any of 400, 401,
403 and 413 is final for the business's relay, which is right: the same bytes will never pass.

Where events are kept: the records holding the sending business, looked up in ``InboxMemories``
(Alice's records in the store first; ``trustcart demo``'s UCP scene adds the memory it shops
with for its run, ``local.demo_ucp``), so ``trustcart orders`` shows the business's latest word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.api.openapi.ucp_webhooks import order_webhook_route
from trustcart.assistant.memory import Memory
from trustcart.assistant.ucp import VERSION
from trustcart.assistant.ucp.errors import WebhookRefused
from trustcart.assistant.ucp.order_events import OrderEventInbox
from trustcart.store.nonces import SqlNonceCache

if TYPE_CHECKING:
    from trustcart.local.deployment import Deployment

ORDER_WEBHOOK_PATH = "/ucp/order-webhooks"  # on the trust app
MAX_BODY = 1024 * 1024


def order_webhook_url(trust_endpoint: str) -> str:
    """Where our platform receives order webhooks (the profile's ``webhook_url``).

    >>> order_webhook_url("http://127.0.0.1:8702")
    'http://127.0.0.1:8702/ucp/order-webhooks'
    """
    return f"{trust_endpoint}{ORDER_WEBHOOK_PATH}"


class InboxMemories:
    """The records the receiver looks in for a sender: the person's, then any added for a run."""

    def __init__(self, person: Memory) -> None:
        self._person = person
        self._added: list[Memory] = []

    def __call__(self) -> list[Memory]:
        return [self._person, *self._added]

    def add(self, memory: Memory) -> None:
        self._added.append(memory)

    def remove(self, memory: Memory) -> None:
        self._added = [m for m in self._added if m is not memory]


def _error(refusal: WebhookRefused) -> JSONResponse:
    message = {
        "type": "error",
        "code": refusal.wire_code,
        "content": refusal.reason,
        "severity": "unrecoverable",
    }
    body = {"ucp": {"version": VERSION, "status": "error"}, "messages": [message]}
    return JSONResponse(body, status_code=refusal.status)


async def _bounded_body(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def mount_order_webhooks(app: FastAPI, deployment: Deployment, memories: InboxMemories) -> None:
    """Serve the receiver on ``app`` (the trust app) at ``ORDER_WEBHOOK_PATH``."""
    inbox = OrderEventInbox(
        order_webhook_url(deployment.endpoints.trust), memories, SqlNonceCache(deployment.db)
    )

    @app.post(ORDER_WEBHOOK_PATH, response_model=None, **order_webhook_route())
    async def ucp_order_webhook(request: Request) -> JSONResponse:
        body = await _bounded_body(request)
        if body is None:
            too_large = WebhookRefused("body_too_large", f"at most {MAX_BODY} bytes", 413)
            return _error(too_large)
        headers: list[tuple[str, Any]] = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        ]
        try:
            await run_in_threadpool(inbox.receive, headers, body, deployment.clock.now())
        except WebhookRefused as refusal:
            return _error(refusal)
        return JSONResponse({"ucp": {"version": VERSION, "status": "success"}})
