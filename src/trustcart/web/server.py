"""Run the web app with every role behind it, on loopback, from nothing but ``$TRUSTCART_HOME``.

``running_web`` opens (migrates, seeds) the store, starts the status, trust, merchant and
payment roles as uvicorn servers on free loopback ports (``local.market.running_deployment``),
then the web app on ``host:port`` (port 0: a free one), and yields a ``RunningWeb`` with its
URL. ``trustcart web`` and the browser tests use it; ``trustcart serve`` adds the web app to
its fixed-port servers with ``web_server_app``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from trustcart.core.clock import Clock
from trustcart.local.deployment import Deployment
from trustcart.local.market import running_deployment
from trustcart.local.servers import Servers, free_port
from trustcart.web.app import create_web_app
from trustcart.web.services import WebServices, web_services


@dataclass(frozen=True)
class RunningWeb:
    url: str
    deployment: Deployment
    services: WebServices


def web_server_app(deployment: Deployment, home: Path, host: str) -> tuple[FastAPI, WebServices]:
    """The web app over a running deployment; ``host`` is allowed besides loopback names."""
    services = web_services(deployment, home)
    return create_web_app(services, allowed_hosts=(host,)), services


def web_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@contextmanager
def running_web(
    home: Path,
    database_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
) -> Iterator[RunningWeb]:
    """Every role and the web app, running until the block ends."""
    with running_deployment(home, database_url, clock=clock) as deployment:
        chosen = port or free_port()
        app, services = web_server_app(deployment, home, host)
        try:
            with Servers({"web": app}, {"web": chosen}, host=host):
                yield RunningWeb(web_url(host, chosen), deployment, services)
        finally:
            services.close()
