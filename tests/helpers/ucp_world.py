"""A small seeded marketplace with every role and the UCP business on loopback, for UCP tests.

``ucp_world(db, home)`` seeds a 300-product catalog into ``db``, builds the deployment with a
UCP endpoint, runs every app as a real uvicorn server and yields a ``UcpWorld``: an HTTP client
of the UCP business (a platform named by ``UCP-Agent``) and Alice's wallet, which signs IACs and
gets restricted payment tokens from the payment provider over HTTP.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.delegation import make_isr
from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.wallet import Wallet
from trustcart.core.clock import SystemClock
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR
from trustcart.local import persona
from trustcart.local.deployment import Deployment, build
from trustcart.local.market import Clients, buyer_agent, status_checker
from trustcart.local.seed import seed_catalog
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.local.status_route import STATUS_BASE
from trustcart.store.db import Database
from trustcart.trust.recorder import HttpRecorder

PLATFORM = "https://platform.test/.well-known/ucp"
AGENT_HEADER = f'profile="{PLATFORM}"'
ADDRESS = {
    "first_name": "Alice",
    "last_name": "Li",
    "street_address": "1 Beishan Road",
    "address_locality": "Hangzhou",
    "address_region": "Zhejiang",
    "address_country": "CN",
    "postal_code": "310007",
}


@dataclass
class UcpWorld:
    deployment: Deployment
    client: httpx.Client
    wallet: Wallet
    agent: BuyerAgent  # the platform's ACT agent: records the intent before the wallet signs
    isrs: dict[str, ISR] = field(default_factory=dict)  # delegation_id -> the ISR signed

    def send(
        self, method: str, path: str, body: Any = None, *, key: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"UCP-Agent": AGENT_HEADER, "Request-Id": str(uuid.uuid4())}
        if method in ("POST", "PUT") and not path.startswith("/catalog"):
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        headers.update(kw.pop("headers", {}))
        return self.client.request(method, path, json=body, headers=headers, **kw)

    def credential(self, **overrides: Any) -> tuple[IAC, str]:
        """A fresh IAC for milk tea (30 CNY each, 80 in total) and a token bound to it."""
        now = SystemClock().now().replace(microsecond=0)
        fields: dict[str, Any] = {
            "intent_id": "int_" + uuid.uuid4().hex[:12],
            "validity_start": now - timedelta(minutes=1),
            "created_at": now - timedelta(minutes=1),
        }
        fields.update(overrides)
        isr = make_isr(now, **fields)
        self.agent.record_intent(isr)
        iac = self.wallet.authorize(isr)
        self.isrs[iac.delegation_id] = isr
        return iac, self.wallet.bind(iac)


@contextmanager
def ucp_world(db: Database, home: Path) -> Iterator[UcpWorld]:
    seed_catalog(db, random.Random(7), product_count=300)
    ports = {role: free_port() for role in (*ROLE_NAMES, "ucp")}
    deployment = build(db, home, Endpoints.on_ports(ports), in_process_log=True)
    persona.ensure_account(deployment.psp, deployment.keys)
    endpoints = deployment.endpoints
    clients = Clients()
    status = clients.keep(httpx.Client(base_url=endpoints.status, timeout=10.0))
    psp = clients.keep(httpx.Client(base_url=endpoints.psp, timeout=10.0))
    trust = clients.keep(httpx.Client(base_url=endpoints.trust, timeout=10.0))
    wallet = Wallet(
        key=deployment.keys.get(persona.KEY_NAME),
        identity=persona.IDENTITY,
        account_id=persona.ACCOUNT_ID,
        clock=SystemClock(),
        status_service=status,
        status_base_url=STATUS_BASE,
        psp=psp,
        events=HttpRecorder(trust, SystemClock()),
    )
    try:
        with (
            Servers(deployment.apps, ports),
            httpx.Client(base_url=endpoints.ucp, timeout=20.0) as client,
        ):
            clock = SystemClock()
            agent = buyer_agent(
                deployment, clients, status_checker(deployment, clients, clock), clock
            )
            yield UcpWorld(deployment, client, wallet, agent)
    finally:
        clients.close()
        deployment.close()
