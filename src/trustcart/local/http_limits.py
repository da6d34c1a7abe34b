"""uvicorn as trustcart runs it: bounded request heads, bodies, connections and idle time.

uvicorn (0.54, h11) arms its keep-alive timer only after a response, and cancels it on any
byte received: a client that connects and sends nothing, or sends a request head one byte at
a time, holds the connection for ever. ``HeaderTimeoutProtocol`` (uvicorn's h11 protocol plus
one timer) closes such connections: the complete request head must arrive within
``header_timeout`` of the moment the server starts waiting for it (the connection opened, or
the previous response ended). The timer is off while a request runs; the app bounds the body
itself (``api.body_timeout``, 408) and its own work. When it fires, a client that sent part of
a head gets ``408 request-timeout`` (problem+json, ``Connection: close``); an idle one, or one
still trickling the body of a request already answered, is simply closed. A request head that
h11 cannot parse, or that grows past ``max_header_bytes`` while it is still arriving (h11's
``max_incomplete_event_size``: the bound on what a slow head can make the server buffer), gets
a problem+json 400 instead of uvicorn's plain text.

``ServerLimits`` gathers every limit; ``uvicorn_config`` builds the ``uvicorn.Config`` that
``local.servers`` and ``trustcart mcp --transport http`` run. Defaults:

    header_timeout      10 s    connection open / previous response -> complete request head
    body_timeout        10 s    request head -> complete body (set in each app, create_app)
    keep_alive_timeout   5 s    idle between requests (uvicorn's timeout_keep_alive)
    max_header_bytes    16 KiB  a request head still arriving (h11_max_incomplete_event_size)
    max_connections   1024      open connections per server; beyond, uvicorn answers 503

>>> ServerLimits(header_timeout=0)
Traceback (most recent call last):
...
ValueError: header_timeout must be positive
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Literal

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from trustcart.core.problem import PROBLEM_CONTENT_TYPE, CommonProblem, Problem

HEADER_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ServerLimits:
    """Every limit one uvicorn server applies to its clients (see the module docstring)."""

    header_timeout: float = HEADER_TIMEOUT_SECONDS
    keep_alive_timeout: int = 5
    max_header_bytes: int = 16 * 1024
    max_connections: int = 1024

    def __post_init__(self) -> None:
        for name in ("header_timeout", "keep_alive_timeout", "max_header_bytes", "max_connections"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")


def _raw_problem(problem: Problem) -> bytes:
    """A whole HTTP/1.1 response, for the moments when h11 has no request to answer."""
    body = json.dumps(problem.to_json()).encode("utf-8")
    head = (
        f"HTTP/1.1 {problem.status} {HTTPStatus(problem.status).phrase}\r\n"
        f"content-type: {PROBLEM_CONTENT_TYPE}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head (see the module docstring).

    Use ``header_timeout_protocol(seconds)`` for a class with another deadline.
    """

    header_timeout: ClassVar[float] = HEADER_TIMEOUT_SECONDS
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._request_running():
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self._request_running():
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        problem = Problem(CommonProblem.INVALID_REQUEST, 400, "Invalid request", msg)
        self.transport.write(_raw_problem(problem))
        self.transport.close()

    def _request_running(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self._request_running():
            return
        pending, _closed = self.conn.trailing_data
        if pending and self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            detail = f"the request head did not arrive within {self.header_timeout:g} s"
            problem = Problem(CommonProblem.REQUEST_TIMEOUT, 408, "Request timeout", detail)
            self.transport.write(_raw_problem(problem))
        with contextlib.suppress(h11.LocalProtocolError):  # mid-message: only closing is left
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()


def header_timeout_protocol(seconds: float) -> type[HeaderTimeoutProtocol]:
    """``HeaderTimeoutProtocol`` with a deadline of ``seconds`` for each request head."""
    if seconds == HeaderTimeoutProtocol.header_timeout:
        return HeaderTimeoutProtocol
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": seconds})


def uvicorn_config(
    app: Any,
    *,
    host: str,
    port: int,
    limits: ServerLimits | None = None,
    lifespan: Literal["auto", "on", "off"] = "off",
    log_level: str = "warning",
    factory: bool = False,
    workers: int | None = None,
    access_log: bool = True,
    worker_healthcheck: int = 5,
) -> uvicorn.Config:
    """The ``uvicorn.Config`` for one trustcart server, every limit of ``limits`` applied.

    ``app`` may be an import string (``factory``: of a function that makes the app), as
    uvicorn's multi-process supervisor needs (``local.worker_pool``)."""
    chosen = limits or ServerLimits()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan=lifespan,
        http=header_timeout_protocol(chosen.header_timeout),
        timeout_keep_alive=chosen.keep_alive_timeout,
        h11_max_incomplete_event_size=chosen.max_header_bytes,
        limit_concurrency=chosen.max_connections,
        factory=factory,
        workers=workers,
        access_log=access_log,
        timeout_worker_healthcheck=worker_healthcheck,
    )
