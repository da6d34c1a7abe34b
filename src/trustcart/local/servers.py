"""Real uvicorn servers on loopback, one per role, each in its own thread.

``trustcart demo``, ``chat`` and the tests start them on free ports; ``trustcart serve`` on
fixed ones. Nothing here knows what the apps do. Every server runs with the limits of
``local.http_limits`` (request-head deadline, header size, keep-alive, connection count); the
apps bound their own bodies (``api.body_timeout``). A server that cannot listen (a port in
use, an address that is not this machine's) raises ``ServerStartError`` at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from trustcart.local.http_limits import ServerLimits, uvicorn_config

ROLE_NAMES = ("status", "trust", "merchant", "psp")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Endpoints:
    status: str
    trust: str
    merchant: str
    psp: str
    ucp: str = ""  # the UCP business (``local.ucp``), when this installation runs one
    witness: str = ""  # the witness (``local.witness``), when it runs as its own server

    @classmethod
    def on_ports(cls, ports: dict[str, int], host: str = "127.0.0.1") -> Endpoints:
        roles = [*ROLE_NAMES, *(r for r in ("ucp", "witness") if r in ports)]
        return cls(**{role: f"http://{host}:{ports[role]}" for role in roles})


def _run(server: uvicorn.Server) -> None:
    with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind: start() says so
        server.run()


class ServerStartError(RuntimeError):
    """A server did not start: it could not listen on its address, or took too long."""


class Servers:
    """Run apps as uvicorn servers on loopback, each in its own thread."""

    def __init__(
        self,
        apps: dict[str, FastAPI],
        ports: dict[str, int],
        host: str = "127.0.0.1",
        limits: ServerLimits | None = None,
    ) -> None:
        self._addresses = {role: f"{host}:{ports[role]}" for role in apps}
        self._servers = {
            role: uvicorn.Server(uvicorn_config(app, host=host, port=ports[role], limits=limits))
            for role, app in apps.items()
        }
        self._threads: dict[str, threading.Thread] = {}

    def start(self, timeout: float = 15.0) -> None:
        for role, server in self._servers.items():
            thread = threading.Thread(
                target=_run, args=(server,), name=f"uvicorn-{role}", daemon=True
            )
            thread.start()
            self._threads[role] = thread
        deadline = time.monotonic() + timeout
        while not all(server.started for server in self._servers.values()):
            for role, server in self._servers.items():
                if not server.started and not self._threads[role].is_alive():
                    self.stop()
                    raise ServerStartError(
                        f"the {role} server cannot listen on {self._addresses[role]}"
                    )
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError("servers did not start in time")
            time.sleep(0.02)

    def stop(self) -> None:
        for server in self._servers.values():
            server.should_exit = True
        for thread in self._threads.values():
            thread.join(timeout=5)

    def __enter__(self) -> Servers:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
