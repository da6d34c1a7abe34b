"""The default store for the assistant: every role on loopback, the assistant as a client.

``local_market`` opens the store in ``home`` (seeding it when empty), starts the status, trust,
merchant and payment roles as uvicorn servers on free loopback ports, and yields
``ShoppingTools`` whose buyer agent and wallet reach them over HTTP only, as the demo does.
The person is the demo's Alice (her wallet key lives in ``home/keys.json``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.tools import Approver, ShoppingTools, deny_all
from trustcart.assistant.wallet import Wallet
from trustcart.core.clock import Clock, SystemClock
from trustcart.crypto.keys import keys_from_jwks
from trustcart.delegation.status import HttpStatusChecker
from trustcart.deployment import (
    ACCOUNT_ID,
    AGENT_ID,
    LOCATION,
    ROLE_NAMES,
    Deployment,
    Endpoints,
    Servers,
    build,
    ensure_account,
    free_port,
    seed_if_empty,
)
from trustcart.store.db import Database
from trustcart.trust.recorder import HttpRecorder


def tools_for(
    deployment: Deployment,
    clients: list[httpx.Client],
    approver: Approver = deny_all,
    clock: Clock | None = None,
) -> ShoppingTools:
    """Shopping tools for a running deployment; every client made is appended to ``clients``."""
    endpoints = deployment.endpoints
    clock = clock or deployment.clock

    def keep(client: httpx.Client) -> httpx.Client:
        clients.append(client)
        return client

    status = keep(httpx.Client(base_url=endpoints.status, timeout=10.0))
    events = HttpRecorder(keep(httpx.Client(base_url=endpoints.trust, timeout=10.0)), clock)
    agent = BuyerAgent(
        key=deployment.agent_key,
        agent_id=AGENT_ID,
        clock=clock,
        merchants=keep(deployment.agent_client(endpoints.merchant)),
        psp=keep(deployment.agent_client(endpoints.psp)),
        events=events,
        status=HttpStatusChecker(
            keep(httpx.Client(timeout=10.0)),
            keys_from_jwks(status.get("/.well-known/jwks.json").json()),
            allowed_prefixes=(f"{endpoints.status}/delegations/",),
            clock=clock,
        ),
    )
    wallet = Wallet(
        key=deployment.keys.get("alice"),
        identity="user:alice",
        account_id=ACCOUNT_ID,
        clock=clock,
        status_service=status,
        status_base_url=endpoints.status,
        psp=keep(httpx.Client(base_url=endpoints.psp, timeout=10.0)),
        events=events,
    )
    return ShoppingTools(
        agent=agent, wallet=wallet, clock=clock, location=LOCATION, approver=approver
    )


@contextmanager
def local_market(
    home: Path, database_url: str, *, approver: Approver = deny_all, clock: Clock | None = None
) -> Iterator[tuple[ShoppingTools, Deployment]]:
    """Start the default store and yield the tools (and the deployment, for tests)."""
    home.mkdir(parents=True, exist_ok=True)
    db = Database(database_url)
    clients: list[httpx.Client] = []
    try:
        db.migrate()
        seed_if_empty(db)
        ports = {role: free_port() for role in ROLE_NAMES}
        deployment = build(db, home, Endpoints.on_ports(ports), clock or SystemClock())
        ensure_account(deployment)
        try:
            with Servers(deployment.apps, ports):
                try:
                    yield tools_for(deployment, clients, approver), deployment
                finally:
                    for client in clients:
                        client.close()
        finally:
            deployment.close()
    finally:
        db.dispose()
