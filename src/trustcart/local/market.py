"""The default store for the assistant: every role on loopback, the assistant as a client.

``local_market`` opens the store in ``home`` (seeding it when empty), starts the status, trust,
merchant and payment roles as uvicorn servers on free loopback ports, and yields
``ShoppingTools`` whose buyer agent and wallet reach them over HTTP only. The person is the
demo's Alice (``persona``; her wallet key lives in ``home/keys.json``); her conversations,
delegations and purchases are kept in the store (``local.memory.SqlMemory``). ``trustcart chat``,
``trustcart mcp``, the demo and the assistant's evaluation all shop through these tools.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.memory import Memory
from trustcart.assistant.proposals import Approver, deny_all
from trustcart.assistant.tools import ShoppingTools
from trustcart.assistant.wallet import Wallet
from trustcart.core.clock import Clock, SystemClock
from trustcart.crypto.keys import keys_from_jwks
from trustcart.delegation.status import HttpStatusChecker, StatusChecker
from trustcart.local import persona
from trustcart.local.deployment import AGENT_ID, Deployment, build
from trustcart.local.memory import SqlMemory
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.local.status_route import STATUS_BASE, StatusRoute
from trustcart.local.ucp_platform import platform_agent
from trustcart.store.db import Database
from trustcart.trust.recorder import HttpRecorder

CLIENT_TIMEOUT = 10.0


class Clients:
    """The HTTP clients one party opened; closed together."""

    def __init__(self) -> None:
        self._open: list[httpx.Client] = []

    def keep(self, client: httpx.Client) -> httpx.Client:
        self._open.append(client)
        return client

    def close(self) -> None:
        for client in self._open:
            client.close()
        self._open.clear()


def status_checker(deployment: Deployment, clients: Clients, clock: Clock) -> HttpStatusChecker:
    """The agent's status checker, trusting the status keys the status service publishes."""
    endpoints = deployment.endpoints
    status = clients.keep(httpx.Client(base_url=endpoints.status, timeout=CLIENT_TIMEOUT))
    return HttpStatusChecker(
        clients.keep(httpx.Client(timeout=CLIENT_TIMEOUT, transport=StatusRoute(endpoints.status))),
        keys_from_jwks(status.get("/.well-known/jwks.json").json()),
        allowed_prefixes=(f"{endpoints.status}/delegations/", f"{STATUS_BASE}/delegations/"),
        clock=clock,
    )


def buyer_agent(
    deployment: Deployment, clients: Clients, status: StatusChecker, clock: Clock
) -> BuyerAgent:
    endpoints = deployment.endpoints
    events = HttpRecorder(
        clients.keep(httpx.Client(base_url=endpoints.trust, timeout=CLIENT_TIMEOUT)), clock
    )
    return BuyerAgent(
        key=deployment.agent_key,
        agent_id=AGENT_ID,
        clock=clock,
        merchants=clients.keep(deployment.agent_client(endpoints.merchant)),
        psp=clients.keep(deployment.agent_client(endpoints.psp)),
        events=events,
        status=status,
    )


def tools_for(
    deployment: Deployment,
    clients: Clients,
    approver: Approver = deny_all,
    clock: Clock | None = None,
    memory: Memory | None = None,
) -> ShoppingTools:
    """Shopping tools for a running deployment, as Alice; every client made is kept.

    Her records go to ``memory``, by default her ``SqlMemory`` in the deployment's store.
    """
    endpoints = deployment.endpoints
    clock = clock or deployment.clock
    memory = memory or SqlMemory(deployment.db, persona.IDENTITY, clock)
    status = status_checker(deployment, clients, clock)
    agent = platform_agent(deployment, clients, status, clock, memory)  # + the UCP businesses
    events = HttpRecorder(
        clients.keep(httpx.Client(base_url=endpoints.trust, timeout=CLIENT_TIMEOUT)), clock
    )
    wallet = Wallet(
        key=deployment.keys.get(persona.KEY_NAME),
        identity=persona.IDENTITY,
        account_id=persona.ACCOUNT_ID,
        clock=clock,
        status_service=clients.keep(
            httpx.Client(base_url=endpoints.status, timeout=CLIENT_TIMEOUT)
        ),
        status_base_url=STATUS_BASE,  # a stable name for the status service (status_route)
        psp=clients.keep(httpx.Client(base_url=endpoints.psp, timeout=CLIENT_TIMEOUT)),
        events=events,
    )
    return ShoppingTools(
        agent=agent,
        wallet=wallet,
        clock=clock,
        location=persona.LOCATION,
        approver=approver,
        memory=memory,
    )


@contextmanager
def running_deployment(
    home: Path, database_url: str, *, clock: Clock | None = None
) -> Iterator[Deployment]:
    """Open (migrate, seed) the store in ``home`` and run every role on free loopback ports."""
    home.mkdir(parents=True, exist_ok=True)
    db = Database(database_url)
    try:
        db.migrate()
        seed_if_empty(db)
        ports = {role: free_port() for role in ROLE_NAMES}
        deployment = build(db, home, Endpoints.on_ports(ports), clock or SystemClock())
        persona.ensure_account(deployment.psp, deployment.keys)
        try:
            with Servers(deployment.apps, ports), deployment.background():
                yield deployment
        finally:
            deployment.close()
    finally:
        db.dispose()


@contextmanager
def local_market(
    home: Path, database_url: str, *, approver: Approver = deny_all, clock: Clock | None = None
) -> Iterator[tuple[ShoppingTools, Deployment]]:
    """Start the default store and yield the tools (and the deployment, for tests)."""
    with running_deployment(home, database_url, clock=clock) as deployment:
        clients = Clients()
        try:
            yield tools_for(deployment, clients, approver), deployment
        finally:
            clients.close()
