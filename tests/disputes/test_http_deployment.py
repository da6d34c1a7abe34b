"""A real purchase disputed over HTTP: every role of one installation on loopback, SQLite and
PostgreSQL. The agent buys a pearl milk tea for Alice; a day later (the delivery promise long
passed, no fulfilment record) Alice's wallet key signs ``POST /disputes`` to the PSP. The
dispute service gathers the order's bundle from the parties' records, verifies it against the
installation's anchors and decides ``not-fulfilled-in-time``: the merchant's sale is reversed
in the PSP's ledger. Only the payer and the paid merchant see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from trustcart.api.agent_auth import AgentRequestSigner
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.local.deployment import Deployment, build
from trustcart.local.market import Clients, tools_for
from trustcart.local.persona import ACCOUNT_ID, IDENTITY, KEY_NAME, ensure_account
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.store.db import Database


@pytest.fixture
def running(db: Database, tmp_path: Path) -> Iterator[tuple[Deployment, FixedClock]]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    seed_if_empty(db)
    ports = {role: free_port() for role in ROLE_NAMES}
    deployment = build(db, tmp_path / "home", Endpoints.on_ports(ports), clock)
    ensure_account(deployment.psp, deployment.keys)
    with Servers(deployment.apps, ports):
        try:
            yield deployment, clock
        finally:
            deployment.close()


def signed_by(deployment: Deployment, key: SigningKey) -> httpx.Client:
    client = httpx.Client(
        base_url=deployment.endpoints.psp,
        timeout=30,
        auth=AgentRequestSigner(key, clock=deployment.clock),
    )
    deployment.clients.append(client)
    return client


def test_a_real_purchase_is_disputed_and_refunded_over_http(
    running: tuple[Deployment, FixedClock],
) -> None:
    deployment, clock = running
    clients = Clients()
    try:
        tools = tools_for(deployment, clients, approver=lambda _request: True)
        found = tools.compare("order me a pearl milk tea under 30 CNY")
        proposal = tools.propose_cart(str(found["options"][0]["option_id"]))
        tools.request_approval(str(proposal["proposal_id"]))
        purchase = tools.pay(str(proposal["proposal_id"]))
    finally:
        clients.close()
    assert purchase["status"] == "paid", purchase
    order = purchase["orders"][0]
    merchant_id = str(order["merchant_id"])
    wallet, receivable = (
        deployment.psp.balance(ACCOUNT_ID),
        deployment.psp.merchant_balance(merchant_id, "CNY"),
    )
    clock.advance(timedelta(days=1))  # promised within the hour; no fulfilment was recorded

    alice = signed_by(deployment, deployment.keys.get(KEY_NAME))
    merchant = signed_by(deployment, deployment.merchant_keys[merchant_id])
    other_id = next(m for m in deployment.merchant_keys if m != merchant_id)
    other = signed_by(deployment, deployment.merchant_keys[other_id])
    agent = signed_by(deployment, deployment.agent_key)
    claim = {"out_trade_no": order["out_trade_no"], "reason": "the tea never came"}

    assert other.post("/disputes", json=claim).json()["code"] == "dispute-forbidden"
    assert agent.post("/disputes", json=claim).json()["code"] == "dispute-forbidden"
    answer = alice.post("/disputes", json=claim)
    assert answer.status_code == 201, answer.text
    dispute = answer.json()
    assert (dispute["opened_by"], dispute["state"]) == (IDENTITY, "decided")
    decision = dispute["decision"]
    assert (decision["outcome"], decision["reason_code"]) == (
        "merchant-refund",
        "not-fulfilled-in-time",
    )
    # The decision rests on the signed cart and receipt of the verified bundle.
    assert any(item.startswith("cart:") for item in decision["evidence"])
    assert f"receipt:{order['trade_no']}" in decision["evidence"]
    refund = Money.parse(decision["refund"]["amount"], decision["refund"]["currency"])
    assert refund.minor > 0  # all that was paid, back to the wallet, from the merchant
    assert deployment.psp.balance(ACCOUNT_ID) == wallet + refund
    assert deployment.psp.merchant_balance(merchant_id, "CNY") == receivable - refund
    payment = deployment.psp.payment_status(str(order["trade_no"]), requester_id=merchant_id)
    assert payment["amount"] == payment["refunded"] == decision["refund"]

    assert merchant.get("/disputes").json() == {"disputes": [dispute]}
    assert other.get("/disputes").json() == {"disputes": []}
    assert other.get(f"/disputes/{dispute['dispute_id']}").status_code == 404
    appealed = merchant.post(
        f"/disputes/{dispute['dispute_id']}/appeal", json={"reason": "it was delivered"}
    )
    assert appealed.json()["state"] == "appealed", appealed.text
    assert alice.get(f"/disputes/{dispute['dispute_id']}").json()["state"] == "appealed"
