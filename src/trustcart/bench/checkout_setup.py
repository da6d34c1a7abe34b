"""The installation the checkout and payment benches run against, and their buyers.

``bench_market`` opens a store (a throwaway SQLite file by default, or ``database_url``, e.g.
PostgreSQL), migrates and seeds it, builds every role with ``local.deployment.build`` and runs
them as real uvicorn servers on loopback, exactly as ``trustcart serve`` does, with the
background relay and expiry sweeps. Beside them it runs the bench-only unchecked merchant and
PSP apps (``bench.unchecked``) on the same store. The bench's person (the demo's Alice) gets
a wallet funded for the whole run and one standing L2 delegation per worker, signed in her
wallet and bound at the PSP over HTTP, with a budget no run exhausts; the product bought has
its stock raised so that holds never run out.

Rules: the store is the bench's own: a temporary one, or the new, empty database
``database_url`` names (one that already holds the bench person's wallet, from another run's
keys, is refused with ``BenchStoreInUse``: the run's fresh keys could not sign for it).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from trustcart.api.rate_limit import rate_limit_from_env
from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.offers import Offer
from trustcart.assistant.proposals import Delegation
from trustcart.bench.unchecked import AlwaysActive, unchecked_apps
from trustcart.core.clock import SystemClock
from trustcart.core.errors import TrustcartError
from trustcart.core.money import Money
from trustcart.local import persona
from trustcart.local.deployment import AGENT_ID, Deployment, build
from trustcart.local.market import Clients, buyer_agent, status_checker, tools_for
from trustcart.local.risk_files import write_load_run_risk_config
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.local.worker_pool import WorkerProcesses
from trustcart.local.workers import WorkerSpec, limit_text, per_worker_limit
from trustcart.payments.errors import PaymentRefused
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database
from trustcart.trust.recorder import HttpRecorder

STANDING_ORDER = "up to 1000 milk teas this month, at most 30 CNY each, 30000 CNY in total"
PRODUCT_TITLE = "Lakeside Signature Cheese Tea"
QUERY = "lakeside signature cheese tea"
FUNDING = Money.parse("100000000.00", "CNY")
STOCK = 10**9
UNCHECKED_ROLES = ("merchant-unchecked", "psp-unchecked")
BENCH_WORKER_APPS = "trustcart.bench.unchecked:bench_worker_apps"


def intent_context() -> dict[str, Any]:
    """What the agent asks merchants for: Alice's cheese tea near West Lake."""
    where = persona.LOCATION
    return {
        "query": QUERY,
        "quantity": 1,
        "category": "drinks/milk-tea",
        "constraints": {
            "location": {"lat": str(where.lat), "lon": str(where.lon), "radius_km": "5"}
        },
    }


class BenchStoreInUse(TrustcartError):
    """The database given already holds a bench person's wallet (from another run's keys)."""


@dataclass
class BenchMarket:
    """A running installation, its unchecked twin, the delegations and the product."""

    deployment: Deployment
    database: str
    unchecked_endpoints: Endpoints
    delegations: list[Delegation]
    product: Offer
    clients: Clients = field(default_factory=Clients)
    # CPU seconds of the bench process and, with --workers, of the worker processes too
    cpu_clock: Callable[[], float] = time.process_time

    def agent(self, *, checked: bool) -> BuyerAgent:
        """A buyer agent of its own: signed and status-checking, or the unchecked one's."""
        d = self.deployment
        clock = d.clock
        if checked:
            return buyer_agent(d, self.clients, status_checker(d, self.clients, clock), clock)
        keep = self.clients.keep
        unchecked = self.unchecked_endpoints
        return BuyerAgent(
            key=d.agent_key,
            agent_id=AGENT_ID,
            clock=clock,
            merchants=keep(httpx.Client(base_url=unchecked.merchant, timeout=10.0)),
            psp=keep(httpx.Client(base_url=unchecked.psp, timeout=10.0)),
            events=HttpRecorder(
                keep(httpx.Client(base_url=d.endpoints.trust, timeout=10.0)), clock
            ),
            status=AlwaysActive(),
        )


def _database_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else url.split(":", 1)[0]


def _find_product(agent: BuyerAgent) -> Offer:
    offers = agent.discover(intent_context())
    for offer in offers:
        if offer.title == PRODUCT_TITLE:
            return offer
    raise RuntimeError(f"the seeded catalog offers no {PRODUCT_TITLE!r}")


@contextmanager
def _serving(
    apps: dict[str, Any], ports: dict[str, int], home: Path, url: str, workers: int
) -> Iterator[WorkerProcesses | None]:
    """The apps in this process's threads (``workers`` 0), or on ``workers`` processes."""
    if not workers:
        with Servers(apps, ports):
            yield None
        return
    spec = WorkerSpec(
        str(home),
        url,
        ports,
        workers=workers,
        apps=BENCH_WORKER_APPS,
        worker_header=True,  # so that the start waits for every worker
        trust_rate_limit=limit_text(per_worker_limit(rate_limit_from_env(), workers)),
    )
    with WorkerProcesses(spec, log=home / "workers.log") as pool:
        yield pool


@contextmanager
def bench_market(
    concurrency: int,
    database_url: str | None = None,
    *,
    serialize_writes: bool = True,
    workers: int = 0,
) -> Iterator[BenchMarket]:
    """Start the bench's installation with ``concurrency`` delegations (see module doc).

    ``serialize_writes=False`` is the store as it was before writers queued in-process
    (``store.db``), for before/after figures in one process. ``workers`` > 0 serves every
    app from that many worker processes (``local.worker_pool``, as ``serve --workers``)
    instead of threads of this process, which then only drives the load.
    """
    with tempfile.TemporaryDirectory(prefix="trustcart-bench-") as folder:
        home = Path(folder)
        url = database_url or f"sqlite:///{home / 'bench.db'}"
        write_load_run_risk_config(home)  # every risk rule runs; velocity cannot trip
        db = Database(url, serialize_writes=serialize_writes)
        try:
            db.migrate()
            seed_if_empty(db)
            ports = {role: free_port() for role in (*ROLE_NAMES, *UNCHECKED_ROLES)}
            deployment = build(db, home, Endpoints.on_ports(ports), SystemClock())
            if _has_wallet(deployment):
                deployment.close()
                raise BenchStoreInUse(
                    "the database already holds the bench person's wallet: give a new, empty one"
                )
            persona.ensure_account(deployment.psp, deployment.keys)
            deployment.psp.fund_account(persona.ACCOUNT_ID, FUNDING, f"bench:{home.name}")
            extra: list[httpx.Client] = []
            apps = {**deployment.apps}
            for role, app in unchecked_apps(deployment, extra).items():
                apps[f"{role}-unchecked"] = app
            unchecked = Endpoints.on_ports(
                {
                    "status": ports["status"],
                    "trust": ports["trust"],
                    "merchant": ports["merchant-unchecked"],
                    "psp": ports["psp-unchecked"],
                }
            )
            try:
                serving = _serving(apps, ports, home, url, workers)
                with serving as pool, deployment.background():
                    market = _prepared(deployment, _database_kind(url), unchecked, concurrency)
                    if pool is not None:
                        market.cpu_clock = lambda: time.process_time() + pool.cpu_seconds()
                    try:
                        yield market
                    finally:
                        market.clients.close()
            finally:
                for client in extra:
                    client.close()
                deployment.close()
        finally:
            db.dispose()


def _has_wallet(deployment: Deployment) -> bool:
    try:
        deployment.psp.balance(persona.ACCOUNT_ID)
    except PaymentRefused:
        return False
    return True


def _prepared(
    deployment: Deployment, database: str, unchecked: Endpoints, concurrency: int
) -> BenchMarket:
    clients = Clients()
    tools = tools_for(deployment, clients, approver=lambda _request: True)
    delegations = []
    for _ in range(concurrency):
        standing = tools.authorize_standing_order(STANDING_ORDER)
        delegations.append(tools.delegations[str(standing["delegation_id"])])
    product = _find_product(tools.agent)
    with deployment.db.transaction() as session:
        session.execute(
            update(ProductRow)
            .where(ProductRow.product_id == product.product_id)
            .values(stock=STOCK)
        )
    return BenchMarket(deployment, database, unchecked, delegations, product, clients)
