"""The worker spec, the per-worker rate limit share and the port dispatcher (no processes).

The real worker processes are in tests/local/test_workers.py (slow); these are quick.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.types import Message, Receive, Scope, Send

from trustcart.core.errors import ValidationError
from trustcart.core.rate_limit import RateLimit
from trustcart.local.servers import ServerStartError, free_port
from trustcart.local.worker_pool import bind_sockets
from trustcart.local.workers import (
    SPEC_ENV,
    WORKER_HEADER,
    PortDispatch,
    WorkerSpec,
    limit_text,
    per_worker_limit,
    worker_app,
)

PORTS = {"status": 8701, "trust": 8702, "merchant": 8703, "psp": 8704}


def spec(**changes: Any) -> WorkerSpec:
    fields: dict[str, Any] = {
        "home": "/tmp/h",
        "database_url": "sqlite:////tmp/h/t.db",
        "ports": PORTS,
        "workers": 2,
    }
    return WorkerSpec(**{**fields, **changes})


@pytest.mark.parametrize("workers", [0, -1, 65, True, 2.0, "2"])
def test_workers_out_of_range_are_refused(workers: object) -> None:
    with pytest.raises(ValidationError, match="workers must be an integer from 1 to 64"):
        spec(workers=workers)


@pytest.mark.parametrize(
    "changes",
    [
        {"ports": {}},
        {"ports": {"status": 8701}},
        {"ports": {**PORTS, "psp": 8701}},
        {"ports": {**PORTS, "status": 0}},
        {"ports": {**PORTS, "status": 70000}},
        {"ports": {**PORTS, "status": True}},
        {"apps": "no-colon"},
        {"home": ""},
        {"database_url": ""},
    ],
)
def test_a_bad_spec_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        spec(**changes)


def test_the_spec_survives_json_and_cannot_change() -> None:
    original = spec(worker_header=True, trust_rate_limit="50.0/100")
    assert WorkerSpec.from_json(original.to_json()) == original
    with pytest.raises(TypeError):
        original.ports["status"] = 1  # type: ignore[index]
    assert spec(ports={**PORTS, "extra": 9000}).endpoints_ports() == PORTS


@pytest.mark.parametrize("text", ["", "[]", '{"home": "/h"}', json.dumps({"nope": 1})])
def test_a_spec_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        WorkerSpec.from_json(text)


@given(
    rate=st.floats(min_value=0.001, max_value=1e6, allow_nan=False),
    burst=st.integers(min_value=1, max_value=10**6),
    workers=st.integers(min_value=1, max_value=64),
)
def test_worker_shares_never_add_up_to_more_than_the_limit(
    rate: float, burst: int, workers: int
) -> None:
    share = per_worker_limit(RateLimit(rate, burst), workers)
    assert share is not None
    assert share.rate * workers <= rate * (1 + 1e-9)
    # A burst smaller than the worker count cannot be split below one request a worker.
    assert share.burst * workers <= max(burst, workers)
    assert RateLimit.parse(limit_text(share)) == share


def test_no_limit_stays_no_limit() -> None:
    assert per_worker_limit(None, 8) is None
    assert RateLimit.parse(limit_text(None)) is None


def _app(name: str) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": name.encode()})

    return app


def _call(dispatch: PortDispatch, port: int) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "server": ("127.0.0.1", port)}
    anyio.run(dispatch, scope, receive, send)
    return sent


def test_each_port_reaches_its_own_app_and_no_other() -> None:
    dispatch = PortDispatch({8701: _app("status"), 8704: _app("psp")})
    assert _call(dispatch, 8701)[1]["body"] == b"status"
    assert _call(dispatch, 8704)[1]["body"] == b"psp"
    unknown = _call(dispatch, 8702)
    assert unknown[0]["status"] == 404
    assert all(WORKER_HEADER.encode() not in dict(m.get("headers", [])) for m in unknown)


def test_the_worker_header_names_this_process_only_when_asked() -> None:
    plain = _call(PortDispatch({1: _app("a")}), 1)[0]
    assert WORKER_HEADER.encode() not in dict(plain["headers"])
    named = _call(PortDispatch({1: _app("a")}, worker_header=True), 1)[0]
    assert dict(named["headers"])[WORKER_HEADER.encode()] == str(os.getpid()).encode()


def test_lifespan_is_answered() -> None:
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(PortDispatch({}), {"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_port_in_use_fails_before_any_worker_and_frees_the_others() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    free = free_port()
    try:
        with pytest.raises(ServerStartError, match="the psp server cannot listen"):
            bind_sockets("127.0.0.1", {"status": free, "psp": taken.getsockname()[1]})
    finally:
        taken.close()
    again = bind_sockets("127.0.0.1", {"status": free})  # the first socket was closed again
    assert again["status"].get_inheritable()
    again["status"].close()


def test_a_worker_that_cannot_build_an_app_fails_before_serving(
    sqlite_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = {role: free_port() for role in (*PORTS, "nope")}
    asked = WorkerSpec(str(tmp_path), sqlite_db.url, ports)
    monkeypatch.setenv(SPEC_ENV, asked.to_json())
    with pytest.raises(ValidationError, match="no app for nope"):
        worker_app()
