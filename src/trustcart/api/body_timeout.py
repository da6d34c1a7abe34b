"""A deadline for the request body: pure ASGI middleware, no dependency beyond anyio.

uvicorn hands the app the request head, then the body as it arrives, and never gives up on a
client that stops half-way: 600 half-sent bodies hold 600 requests open for ever. uvicorn's
own options (``timeout_keep_alive``, ``h11_max_incomplete_event_size``, ``limit_concurrency``)
bound idle connections, header size and the number of connections, not the body. This
middleware bounds the time from the start of the request (its head has arrived) to the last
byte of its body.

Rules:

* The deadline is ``timeout`` seconds after the app is called. While the body is incomplete,
  each ``receive()`` waits at most the time left.
* When it runs out and no response has started, the middleware itself answers
  ``408 request-timeout`` (problem+json, ``Connection: close``, so the server closes the
  connection); either way it raises ``BodyTimeout`` into the app so that the app unwinds,
  drops whatever the app sends afterwards, answers any later ``receive()`` with
  ``http.disconnect``, and does not let ``BodyTimeout`` escape.
* Once the body is complete, ``receive()`` passes through untouched: a streaming response
  waits on it for the client's disconnect, which is not the body.
* Other scopes (lifespan, websocket) pass through.

>>> BodyTimeoutMiddleware(lambda scope, receive, send: None, timeout=0)
Traceback (most recent call last):
...
ValueError: timeout must be positive
"""

from __future__ import annotations

import json
import time

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustcart.core.problem import PROBLEM_CONTENT_TYPE, CommonProblem, Problem

BODY_TIMEOUT_SECONDS = 10.0


class BodyTimeout(Exception):
    """The body did not arrive in time (raised into the app, never out of the middleware)."""


def timeout_problem(timeout: float) -> Problem:
    """The 408 answer, the same whether the middleware or an app's handler sends it."""
    return Problem(
        CommonProblem.REQUEST_TIMEOUT,
        408,
        "Request timeout",
        f"the request body did not arrive within {timeout:g} s",
    )


class BodyTimeoutMiddleware:
    """Answer 408 and end the request when its body takes longer than ``timeout`` seconds."""

    def __init__(self, app: ASGIApp, *, timeout: float = BODY_TIMEOUT_SECONDS) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _BoundedRequest(receive, send, time.monotonic() + self.timeout, self.timeout)
        try:
            await self.app(scope, request.receive, request.send)
        except BodyTimeout:
            if not request.timed_out:  # pragma: no cover - only this middleware raises it
                raise


class _BoundedRequest:
    """One request's receive and send, with the body deadline."""

    def __init__(self, receive: Receive, send: Send, deadline: float, timeout: float) -> None:
        self._receive = receive
        self._send = send
        self._deadline = deadline
        self._timeout = timeout
        self.body_complete = False
        self.response_started = False
        self.timed_out = False

    async def receive(self) -> Message:
        if self.timed_out:
            return {"type": "http.disconnect"}
        if self.body_complete:
            return await self._receive()
        message: Message | None = None
        with anyio.move_on_after(self._deadline - time.monotonic()):
            message = await self._receive()
        if message is None:
            await self._answer_timeout()
            raise BodyTimeout(f"no complete body within {self._timeout:g} s")
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.body_complete = True
        return message

    async def send(self, message: Message) -> None:
        if self.timed_out:
            return  # the 408 went out (or the response was cut short): the app's rest is dropped
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)

    async def _answer_timeout(self) -> None:
        self.timed_out = True
        if self.response_started:
            return
        body = json.dumps(timeout_problem(self._timeout).to_json()).encode("utf-8")
        await self._send(
            {
                "type": "http.response.start",
                "status": 408,
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode("ascii")),
                    (b"content-length", str(len(body)).encode("ascii")),
                    (b"connection", b"close"),
                ],
            }
        )
        await self._send({"type": "http.response.body", "body": body, "more_body": False})
