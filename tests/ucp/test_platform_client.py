"""The profile fetch keeps its bounds over real loopback HTTP: size, time, redirects, JSON;
and the client refuses an answer that is not its operation's schema."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import RedirectResponse

from trustcart.assistant.ucp.client import MAX_PROFILE_BYTES, UcpClient, fetch_profile
from trustcart.assistant.ucp.errors import UcpCode, UcpError
from trustcart.assistant.ucp.profile import read_profile
from trustcart.commerce.ucp.profile import business_profile
from trustcart.local.servers import Servers, free_port


@pytest.fixture(scope="module")
def odd_business() -> Iterator[str]:
    """A business whose search answers something that is not a ``search_response``."""
    app = FastAPI()
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    @app.post("/catalog/search")
    def search() -> dict[str, object]:
        return {"products": "none"}

    with Servers({"odd": app}, {"odd": port}):
        yield base


def serve(kind: str) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/ucp")
    def profile() -> Response:
        if kind == "huge":
            return Response("[" + "0," * MAX_PROFILE_BYTES + "0]", media_type="application/json")
        if kind == "slow":
            time.sleep(1.5)
        if kind == "redirect":
            return RedirectResponse("http://127.0.0.1:1/.well-known/ucp")
        if kind == "text":
            return Response("hello", media_type="text/plain")
        return Response("{}", media_type="application/json")

    return app


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("huge", UcpCode.PROFILE_INVALID),
        ("slow", UcpCode.UNREACHABLE),
        ("redirect", UcpCode.PROFILE_INVALID),
        ("text", UcpCode.PROFILE_INVALID),
        ("empty", UcpCode.PROFILE_INVALID),
    ],
)
def test_the_profile_fetch_is_bounded(kind: str, code: UcpCode) -> None:
    app = serve(kind)
    port = free_port()
    with Servers({kind: app}, {kind: port}), httpx.Client() as http:
        started = time.monotonic()
        with pytest.raises(UcpError) as refused:
            fetch_profile(http, f"http://127.0.0.1:{port}", timeout=0.5)
        assert time.monotonic() - started < 5
    assert refused.value.code == code


def test_nothing_listening_is_unreachable() -> None:
    with httpx.Client() as http, pytest.raises(UcpError) as refused:
        fetch_profile(http, f"http://127.0.0.1:{free_port()}")
    assert refused.value.code == UcpCode.UNREACHABLE


def test_an_answer_outside_its_schema_is_refused(odd_business: str) -> None:
    business = read_profile(odd_business, business_profile(odd_business, []))
    with httpx.Client() as http:
        with pytest.raises(UcpError) as refused:
            UcpClient(http, business).search("tea")
        assert refused.value.code == UcpCode.BAD_ANSWER
        with pytest.raises(UcpError) as missing:
            UcpClient(http, business).lookup(["p_1"])  # 404 from FastAPI: not a UCP error
        assert missing.value.code == UcpCode.BAD_ANSWER
