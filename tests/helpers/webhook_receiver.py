"""A real webhook receiver on loopback: an agent platform's side of ACP and UCP order events.

``WebhookReceiver`` reserves a free loopback port at once (so its URL can be registered while it
is still down) and listens only between ``start()`` and ``stop()``: a platform that is down for
a whole checkout and comes up later. It records every request as it arrived (raw bytes and
headers), answers each ``POST`` with the next status of ``statuses`` (then 200), and serves
``profile`` (a UCP platform profile naming its own webhook URL) at ``GET /.well-known/ucp``.
``unique(header)`` is what a platform keeps after de-duplicating by the event id header.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from trustcart.local.servers import free_port

PROFILE_PATH = "/.well-known/ucp"
HOOK_PATH = "/hooks/orders"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, statuses: list[int] | None = None) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.statuses = list(statuses or [])
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + HOOK_PATH

    @property
    def profile_url(self) -> str:
        return self.base + PROFILE_PATH

    def profile(self) -> dict[str, Any]:
        return {
            "ucp": {
                "version": "2026-04-08",
                "capabilities": {
                    # checkout too: the business negotiates the operation's own capability
                    "dev.ucp.shopping.checkout": [{"version": "2026-04-08"}],
                    "dev.ucp.shopping.order": [
                        {"version": "2026-04-08", "config": {"webhook_url": self.url}}
                    ],
                },
            }
        }

    def posts(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.method == "POST"]

    def unique(self, header: str) -> dict[str, Received]:
        """The events a platform keeps: the first request of each id in ``header``."""
        kept: dict[str, Received] = {}
        for request in self.posts():
            kept.setdefault(request.headers[header.lower()], request)
        return kept

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._lock:
                    receiver.received.append(
                        Received(
                            self.command,
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._record()
                if self.path == PROFILE_PATH:
                    self._answer(200, receiver.profile())
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                self._record()
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self._answer(status, {"received": status == 200})

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
