"""A UCP platform for tests: its profile served over real HTTP on loopback, and its signer.

``platform_server()`` serves ``/.well-known/ucp`` from a ``ThreadingHTTPServer`` on 127.0.0.1
(HTTP is accepted for loopback profiles only). The document is mutable (``server.document``),
``server.hits`` counts fetches, ``server.delay`` makes it stall, and ``server.key`` is the
platform's ES256 key, published under ``server.kid``. ``signed(...)`` signs a request in UCP's
RFC 9421 profile and returns the headers and exact body bytes to send.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.negotiation import business_capabilities
from trustcart.commerce.ucp.profile import AP2_MANDATE
from trustcart.crypto.httpsig.ucp import sign_request
from trustcart.crypto.keys import SigningKey

PROFILE_PATH = "/.well-known/ucp"


def platform_document(
    key: SigningKey, kid: str, *, ap2: bool = False, **overrides: Any
) -> dict[str, Any]:
    """A platform profile that lists every capability of ours (the AP2 mandate extension only
    with ``ap2``: it makes complete require a mandate) and publishes ``key``."""
    capabilities = {
        name: [{**entry, "spec": "https://ucp.dev/x", "schema": "https://ucp.dev/y"}]
        for name, entry in ((n, e[0]) for n, e in business_capabilities().items())
        if ap2 or name != AP2_MANDATE
    }
    document: dict[str, Any] = {
        "ucp": {"version": VERSION, "services": {}, "capabilities": capabilities},
        "signing_keys": [{**key.public.to_jwk(), "kid": kid}],
    }
    document["ucp"].update(overrides)
    return document


@dataclass
class PlatformServer:
    url: str
    key: SigningKey
    kid: str
    document: dict[str, Any]
    hits: int = 0
    delay: float = 0.0
    status: int = 200
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def agent_header(self) -> str:
        return f'profile="{self.url}"'


@contextmanager
def platform_server(kid: str = "platform-2026") -> Iterator[PlatformServer]:
    key = SigningKey.generate("ES256")
    state = PlatformServer("", key, kid, platform_document(key, kid))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            if state.delay:
                time.sleep(state.delay)
            body = json.dumps(state.document).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=60")
            for name, value in state.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}{PROFILE_PATH}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def signed(
    platform: PlatformServer,
    method: str,
    url: str,
    body: Any = None,
    *,
    key: str | None = None,
    nonce: str | None = None,
    now: datetime | None = None,
    kid: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """(headers, body bytes) of a request signed by ``platform`` (a fresh nonce by default)."""
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"UCP-Agent": platform.agent_header}
    if raw:
        headers["Content-Type"] = "application/json"
    if method in ("POST", "PUT", "DELETE", "PATCH"):
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
    headers.update(
        sign_request(
            method,
            url,
            headers,
            raw,
            platform.key,
            kid or platform.kid,
            now or datetime.now(UTC),
            nonce=nonce if nonce is not None else uuid.uuid4().hex,
        )
    )
    return headers, raw
