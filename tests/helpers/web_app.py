"""The web app over a deployment whose roles are not started: for tests that need no browser.

The store is an empty SQLite file (no seed), so building it takes a second; routes that call
another role over HTTP (search, refunds) are for the browser tests, which run them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from trustcart.local.deployment import build
from trustcart.local.servers import Endpoints
from trustcart.store.db import Database
from trustcart.web.app import create_web_app
from trustcart.web.services import WebServices, web_services

BASE = "http://127.0.0.1"


@contextmanager
def web_client(home: Path) -> Iterator[tuple[TestClient, WebServices]]:
    db = Database(f"sqlite:///{home / 'web.db'}")
    db.create_all()
    endpoints = Endpoints.on_ports({"status": 9, "trust": 9, "merchant": 9, "psp": 9})
    deployment = build(db, home, endpoints)
    services = web_services(deployment, home)
    try:
        with TestClient(create_web_app(services), base_url=BASE) as client:
            yield client, services
    finally:
        services.close()
        deployment.close()
        db.dispose()


def csrf_token(client: TestClient, path: str = "/console/login") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1)


def log_in(client: TestClient, password: str) -> str:
    """Log the client in; the new session's CSRF token."""
    answer = client.post(
        "/console/login",
        data={"password": password, "csrf_token": csrf_token(client), "next": "/console"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    return csrf_token(client, "/console")
