"""Issue 10, item 6: schemathesis over every service, against real uvicorn servers on loopback.

One deployment (SQLite, the demo's seed) runs the status service, the log, the marketplace, the
PSP and try-on, and makes one real purchase so that the examples name things that exist (a
delegation, a product, an order, a payment). Each service's published ``/openapi.json``, with
those examples added, is fuzzed by schemathesis's engine: explicit examples, coverage, random
fuzzing with positive *and* negative data (bodies included) and stateful sequences along the
document's links. Signed routes are signed by the key their caller holds. The budget is fixed
(``MAX_EXAMPLES`` per operation, ``SEED``), so a run is reproducible and bounded.

Every check must hold: no 5xx, every status code documented, every content type and body as
documented. The summary line of each service is printed (``pytest -s`` shows it).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.helpers.fuzzing import FuzzReport, SigningAuth, run_schemathesis
from trustcart.api.agent_auth import AgentRequestSigner
from trustcart.api.tryon import create_tryon_app
from trustcart.core.clock import SystemClock
from trustcart.local.deployment import Deployment, build
from trustcart.local.market import Clients, tools_for
from trustcart.local.persona import KEY_NAME, ensure_account
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.store.db import Database

MAX_EXAMPLES = 10
SEED = 20261129
SERVICES = ("status", "trust", "merchant", "psp", "tryon")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class World:
    deployment: Deployment
    urls: dict[str, str]
    purchase: dict[str, Any]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("fuzz")
    db = Database(f"sqlite:///{home / 'trustcart.db'}")
    db.migrate()
    seed_if_empty(db)
    ports = {role: free_port() for role in (*ROLE_NAMES, "tryon")}
    deployment = build(db, home, Endpoints.on_ports(ports), SystemClock())
    ensure_account(deployment.psp, deployment.keys)
    apps = {**deployment.apps, "tryon": create_tryon_app()}
    urls = {role: f"http://127.0.0.1:{port}" for role, port in ports.items()}
    try:
        with Servers(apps, ports):
            clients = Clients()
            try:
                tools = tools_for(deployment, clients, approver=lambda _request: True)
                found = tools.compare("order me a pearl milk tea under 30 CNY")
                proposal = tools.propose_cart(str(found["options"][0]["option_id"]))
                tools.request_approval(str(proposal["proposal_id"]))
                purchase = tools.pay(str(proposal["proposal_id"]))
                assert purchase["status"] == "paid", purchase
                yield World(deployment, urls, purchase)
            finally:
                clients.close()
    finally:
        deployment.close()
        db.dispose()


def _signer(deployment: Deployment, key_name: str) -> AgentRequestSigner:
    return AgentRequestSigner(deployment.keys.get(key_name), clock=deployment.clock)


def _auth(world: World, service: str) -> SigningAuth:
    """The key each signed route's caller holds: the agent, the PSP (notices), the merchant,
    the person (disputes)."""
    deployment = world.deployment
    agent = deployment.agent_client("http://unused").auth
    assert isinstance(agent, AgentRequestSigner)
    psp = _signer(deployment, "psp")
    merchant_id = world.purchase["orders"][0]["merchant_id"]
    merchant = AgentRequestSigner(deployment.merchant_keys[merchant_id], clock=deployment.clock)

    alice = _signer(deployment, KEY_NAME)  # the payer's wallet key signs her disputes

    def choose(method: str, path: str) -> AgentRequestSigner | None:
        if service == "psp" and path.startswith("/disputes"):
            return alice
        if service == "merchant":
            return psp if path == "/payment-notifications" else agent
        if service == "psp" and (path.startswith("/payments") or path == "/refunds"):
            return merchant if path == "/refunds" else agent
        return None

    return SigningAuth(choose)


def _examples(world: World, service: str, document: dict[str, Any]) -> dict[str, Any]:
    """The published document plus examples that name the world's real objects."""
    order = world.purchase["orders"][0]
    item = world.purchase["items"][0]
    delegation_id = world.purchase["delegation_id"]
    params = {
        "delegation_id": delegation_id,
        "product_id": item["product_id"],
        "merchant_id": order["merchant_id"],
        "out_trade_no": order["out_trade_no"],
        "trade_no": order["trade_no"],
        "intent_id": world.purchase["intent_id"],
        "leaf_index": 0,
        "tree_size": 1,
        "old_size": 1,
        "new_size": 2,
    }
    bodies = {
        "/carts": {
            "merchant_id": order["merchant_id"],
            "items": [{"product_id": item["product_id"], "quantity": 1}],
            "intent_id": world.purchase["intent_id"],
            "delegation_id": delegation_id,
            "payment_method": "trustcart-balance",
        },
        "/intent-context": {
            "request_id": "xfr_fuzz_example",
            "context": {"query": "pearl milk tea", "category": "drinks/milk-tea"},
        },
        "/merchants/{merchant_id}/payment-negotiation": {
            "agent_id": "agent:trustcart-assistant",
            "buyer_supported_methods": ["trustcart-balance"],
            "currency": "CNY",
            "estimated_amount": {"amount": "13.00", "currency": "CNY"},
        },
        "/disputes": {"out_trade_no": order["out_trade_no"], "reason": "fuzz: never came"},
        "/disputes/{dispute_id}/appeal": {"reason": "fuzz: contested"},
        "/refunds": {
            "trade_no": order["trade_no"],
            "amount": {"amount": "0.01", "currency": "CNY"},
            "reason": "fuzz",
        },
    }
    document = copy.deepcopy(document)
    for path, methods in document["paths"].items():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("path", "query") and parameter["name"] in params:
                    parameter["example"] = params[parameter["name"]]
            if path in bodies and "requestBody" in operation:
                content = operation["requestBody"]["content"]["application/json"]
                content["example"] = bodies[path]
    return document


@pytest.mark.parametrize("service", SERVICES)
def test_schemathesis_finds_nothing(world: World, service: str) -> None:
    base_url = world.urls[service]
    document = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    report: FuzzReport = run_schemathesis(
        service,
        _examples(world, service, document),
        base_url,
        _auth(world, service),
        max_examples=MAX_EXAMPLES,
        seed=SEED,
    )
    print(report.line())
    print(report.by_operation.most_common(5))
    documented = sum(len(methods) for methods in document["paths"].values())
    assert len([op for op in report.operations if " /" in op]) == documented, report.operations
    assert report.errors == []
    assert report.failures == [], "\n".join(report.failures)
    assert sum(report.statuses.values()) > documented * 5


def test_fuzzed_bodies_reach_the_parsers(world: World) -> None:
    """The signing hook works: a signed, well-formed request is accepted, not 401."""
    auth = _auth(world, "merchant")
    response = httpx.post(
        f"{world.urls['merchant']}/intent-context",
        json={"request_id": "xfr_fuzz_probe", "context": {"query": "pearl milk tea"}},
        auth=auth.choose("POST", "/intent-context"),
        timeout=10,
    )
    assert response.status_code == 200, response.text
