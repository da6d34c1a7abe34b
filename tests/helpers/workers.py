"""An installation served by real worker processes (``local.worker_pool``), for tests/local.

``worker_installation`` seeds a small catalog into the test's store, builds the installation in
this process (keys, Alice's wallet: everything the workers read at start), starts N workers
with ``trustcart-worker`` on every response, and yields the parts a test drives over HTTP:
the deployment (for in-process reads and the merchant's cart signing), the pool (ports, worker
ids, log) and Alice's shopping tools, whose every request goes to the workers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trustcart.assistant.offers import ConfirmedCart, Offer
from trustcart.assistant.proposals import Delegation
from trustcart.assistant.tools import ShoppingTools
from trustcart.bench.payments import confirm_carts
from trustcart.core.money import Money
from trustcart.local import persona
from trustcart.local.deployment import Deployment, build
from trustcart.local.market import Clients, tools_for
from trustcart.local.risk_files import write_load_run_risk_config
from trustcart.local.seed import DEMO_SEED, seed_catalog
from trustcart.local.servers import ROLE_NAMES, Endpoints, free_port
from trustcart.local.worker_pool import WorkerProcesses
from trustcart.local.workers import WORKER_HEADER, WorkerSpec
from trustcart.store.db import Database

PRODUCTS = 400  # enough for milk teas near Alice; seeding takes well under a second


def milk_tea_context() -> dict[str, Any]:
    """What the agent asks the marketplace for: a milk tea near Alice."""
    where = persona.LOCATION
    return {
        "query": "milk tea",
        "quantity": 1,
        "category": "drinks/milk-tea",
        "constraints": {
            "location": {"lat": str(where.lat), "lon": str(where.lon), "radius_km": "5"}
        },
    }


@dataclass
class WorkerInstallation:
    deployment: Deployment
    pool: WorkerProcesses
    tools: ShoppingTools
    clients: Clients

    def url(self, role: str) -> str:
        return self.pool.url(role)

    def delegation(self, text: str) -> Delegation:
        standing = self.tools.authorize_standing_order(text)
        return self.tools.delegations[str(standing["delegation_id"])]

    def milk_tea(self, delegation: Delegation, *, most: str) -> Offer:
        """An offer for one milk tea near Alice costing at most ``most`` CNY."""
        iac = delegation.iac
        offers = self.tools.agent.discover(
            milk_tea_context(), intent_id=iac.intent_id, delegation_id=iac.delegation_id
        )
        limit = Money.parse(most, "CNY")
        cheap = [o for o in offers if o.total <= limit]
        assert cheap, [o.total.to_json() for o in offers]
        return cheap[0]

    def confirmed_carts(
        self, offer: Offer, delegation: Delegation, count: int
    ) -> list[ConfirmedCart]:
        """``count`` carts for ``offer``, confirmed and signed by its merchant (in process)."""
        return confirm_carts(self.deployment.merchants, offer, delegation, count)

    def pay_with(
        self, client: httpx.Client, delegation: Delegation, cart: ConfirmedCart
    ) -> httpx.Response:
        """``POST /payments`` in L2 on ``client`` (one of ``agent_client``'s: it signs)."""
        body = {
            "mode": "L2",
            "payment_token": delegation.payment_token,
            "iac": delegation.iac.token,
            "cart": cart.token,
            "request_id": f"pay_{cart.out_trade_no}",
            "amount": cart.total.to_json(),
        }
        return client.post(
            "/payments", json=body, headers={"Idempotency-Key": f"pay-{cart.out_trade_no}"}
        )


def worker_of(response: httpx.Response) -> str:
    worker = response.headers.get(WORKER_HEADER)
    assert worker, "the workers were started without trustcart-worker"
    return str(worker)


@contextmanager
def worker_installation(db: Database, home: Path, workers: int) -> Iterator[WorkerInstallation]:
    """The installation on ``db`` with its roles served by ``workers`` processes."""
    seed_catalog(db, random.Random(DEMO_SEED), product_count=PRODUCTS)
    write_load_run_risk_config(home)  # parallel payments: velocity is not under test here
    ports = {role: free_port() for role in ROLE_NAMES}
    deployment = build(db, home, Endpoints.on_ports(ports))
    persona.ensure_account(deployment.psp, deployment.keys)
    spec = WorkerSpec(
        str(home), db.url, ports, workers=workers, worker_header=True, trust_rate_limit="off"
    )
    clients = Clients()
    try:
        with WorkerProcesses(spec, log=home / "workers.log") as pool:
            tools = tools_for(deployment, clients, approver=lambda _request: True)
            yield WorkerInstallation(deployment, pool, tools, clients)
    finally:
        clients.close()
        deployment.close()
