"""No lost events or notices, with real parts on SQLite and PostgreSQL.

The status service, the log and the marketplace run as uvicorn servers in this process; the
payment provider runs as a process of its own (tests/helpers/psp_process.py). The buyer agent
and Alice's wallet speak HTTP to them, as in the demo. Three purchases go wrong in three ways:

1. the PSP is SIGKILLed right after its payment commits, before its ``transaction-completed``
   record or the merchant's notice has left; the relay, run as cron runs it (``trustcart relay
   --once``) while the PSP is still dead, delivers both, and the restarted PSP answers the
   agent's retry with the stored receipt;
2. the log is down while the merchant confirms the cart, the PSP takes the payment and the shop
   fulfils it: evidence cannot verify until the relay delivers what the three owe;
3. the merchant is down when the PSP takes the payment: the order stays unpaid at the merchant
   until the relay delivers the notice.

Once the relay has run, every paid purchase's evidence verifies against the trust anchors, and
the log holds each record once.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from trustcart.assistant.offers import ConfirmedCart
from trustcart.assistant.proposals import Delegation
from trustcart.assistant.tools import DECISION_RULE, ShoppingTools
from trustcart.cli import commands  # noqa: F401  (registers the commands)
from trustcart.cli.app import app
from trustcart.commerce.orders import OrderStatus
from trustcart.core.clock import SystemClock
from trustcart.delegation.iac import IAC
from trustcart.delivery import outbox
from trustcart.local import persona
from trustcart.local.demo import DELEGATED_ORDER, DELEGATED_REQUEST, INSTANT_REQUEST
from trustcart.local.deployment import Deployment, build
from trustcart.local.market import Clients, tools_for
from trustcart.local.seed import DEMO_SEED, seed_catalog
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.store.base import Base
from trustcart.store.db import Database
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.events import EventType
from trustcart.trust.evidence import VerificationReport, verify_bundle
from trustcart.trust.packaging import package_purchase

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Order:
    """One purchase as the agent holds it: what it decided under, the cart, what it sent."""

    isr: dict[str, Any]
    iac: IAC
    payment_token: str
    instant: bool
    cart: ConfirmedCart | None = None
    approval: str | None = None
    answer: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        assert self.cart is not None
        body: dict[str, Any] = {
            "mode": "L1" if self.instant else "L2",
            "payment_token": self.payment_token,
            "iac": self.iac.token,
            "cart": self.cart.token,
            "request_id": f"pay_{self.cart.out_trade_no}",
            "amount": self.cart.total.to_json(),
        }
        if self.approval is not None:
            body["approval"] = self.approval
        return body


@dataclass
class Installation:
    db: Database
    home: Path
    ports: dict[str, int]
    deployment: Deployment
    tools: ShoppingTools
    clients: Clients
    logs: Path
    servers: dict[str, Servers] = field(default_factory=dict)
    psp: subprocess.Popen[bytes] | None = None
    _offers: dict[int, Any] = field(default_factory=dict)  # order -> the offer it is for

    @property
    def endpoints(self) -> Endpoints:
        return self.deployment.endpoints

    # -- the roles ----------------------------------------------------------------------------

    def start(self, role: str) -> None:
        self.servers[role] = Servers({role: self.deployment.apps[role]}, {role: self.ports[role]})
        self.servers[role].start()

    def stop(self, role: str) -> None:
        self.servers.pop(role).stop()

    def start_psp(self, *, crash_after_commit: bool = False) -> subprocess.Popen[bytes]:
        """The PSP as its own process, on the installation's keys and store."""
        psp_home = self.home.parent / "psp-home"
        psp_home.mkdir(exist_ok=True)
        shutil.copy(self.home / "keys.json", psp_home / "keys.json")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        }
        command = [
            sys.executable,
            "-m",
            "tests.helpers.psp_process",
            "--database",
            self.db.url,
            "--home",
            str(psp_home),
            "--ports",
            json.dumps(self.ports),
        ]
        if crash_after_commit:
            command.append("--crash-after-commit")
        with (self.logs / "psp.log").open("ab") as log:
            process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.endpoints.psp}/.well-known/jwks.json").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((self.logs / "psp.log").read_text(errors="replace"))
            time.sleep(0.1)
        self.psp = process
        return process

    def stop_psp(self) -> None:
        if self.psp is not None and self.psp.poll() is None:
            self.psp.kill()
        if self.psp is not None:
            self.psp.wait(30)
        self.psp = None

    # -- the agent's side ---------------------------------------------------------------------

    def decide(self, text: str, *, delegation: Delegation | None = None) -> Order:
        """Compare, choose (the person approves an instant purchase), log the decision."""
        tools = self.tools
        found = tools.compare(text)
        options = [o for o in found["options"] if o["items"][0]["title"] == DELEGATED_ORDER]
        option = (options if delegation is not None else found["options"])[0]
        proposal_id = str(tools.propose_cart(str(option["option_id"]))["proposal_id"])
        instant = delegation is None
        if delegation is None:
            approved = tools.request_approval(proposal_id)
            delegation = tools.delegations[str(approved["delegation_id"])]
        proposal = tools.proposal(proposal_id)
        tools.agent.check_status(delegation.iac)
        tools.agent.log_decision(
            delegation.iac, proposal.lines, considered=len(proposal.lines), rule=DECISION_RULE
        )
        order = Order(delegation.isr.to_json(), delegation.iac, delegation.payment_token, instant)
        self._offers[id(order)] = proposal.lines[0]
        return order

    def confirm(self, order: Order) -> None:
        """The merchant confirms and signs the cart; Alice approves it if it is instant."""
        agent, offer = self.tools.agent, self._offers[id(order)]
        order.cart = agent.confirm(offer, order.iac, agent.negotiate(offer, order.iac))
        if order.instant:
            order.approval = self.tools.wallet.approve(
                order.cart.token, agent.merchant_keys(order.cart.merchant_id)
            )

    def pay(self, order: Order) -> httpx.Response:
        """POST /payments as the agent, with one idempotency key per order (a retry replays)."""
        assert order.cart is not None
        with self.deployment.agent_client(self.endpoints.psp) as psp:
            response = psp.post(
                "/payments",
                json=order.body(),
                headers={"Idempotency-Key": f"pay-{order.cart.out_trade_no}"},
            )
        if response.status_code == 200:
            order.answer = response.json()
        return response

    # -- evidence -------------------------------------------------------------------------------

    def verify(self, order: Order) -> VerificationReport:
        assert order.cart is not None
        assert order.answer
        bundle = package_purchase(
            self.deployment.attestations,
            self.deployment.directory,
            isr=order.isr,
            iac=order.iac.token,
            status=order.answer["credential_status"],
            cart=order.cart.token,
            approval=order.approval,
            receipt=order.answer["receipt"],
            now=SystemClock().now(),
        )
        anchors = TrustAnchors.from_directory(self.deployment.directory.entries())
        return verify_bundle(json.loads(json.dumps(bundle)), anchors=anchors)

    def logged(self, order: Order) -> list[EventType]:
        assert order.cart is not None
        return [
            e.event_type
            for e in self.deployment.attestations.events_for(out_trade_no=order.cart.out_trade_no)
        ]

    def order_status(self, order: Order) -> OrderStatus:
        assert order.cart is not None
        return self.deployment.merchants.order(order.cart.out_trade_no).status


@pytest.fixture
def installation(db: Database, tmp_path: Path) -> Iterator[Installation]:
    Base.metadata.drop_all(db.engine)  # from nothing, through the migrations (0003 included)
    db.migrate()
    seed_catalog(db, random.Random(DEMO_SEED), product_count=300)  # the tea menus and a few
    home = tmp_path / "home"
    home.mkdir()
    ports = {role: free_port() for role in ROLE_NAMES}
    deployment = build(db, home, Endpoints.on_ports(ports), SystemClock())
    persona.ensure_account(deployment.psp, deployment.keys)
    servers = {}
    for role in ("status", "trust", "merchant"):
        servers[role] = Servers({role: deployment.apps[role]}, {role: ports[role]})
        servers[role].start()
    clients = Clients()
    tools = tools_for(deployment, clients, approver=lambda _request: True)
    inst = Installation(db, home, ports, deployment, tools, clients, tmp_path, servers)
    try:
        yield inst
    finally:
        inst.stop_psp()
        clients.close()
        for role in list(inst.servers):
            inst.stop(role)
        deployment.close()


def _relay_as_cron(inst: Installation) -> dict[str, int]:
    env = {"TRUSTCART_HOME": str(inst.home), "TRUSTCART_DATABASE_URL": inst.db.url}
    arguments = ["relay", "--once", "--now", "--json"]
    arguments += ["--log-url", inst.endpoints.trust, "--merchant-url", inst.endpoints.merchant]
    result = CliRunner().invoke(app, arguments, env=env)
    assert result.exit_code == 0, result.output
    report: dict[str, int] = json.loads(result.output)
    return report


def test_every_paid_purchase_verifies_once_the_relay_has_run(installation: Installation) -> None:
    inst = installation
    paid: list[Order] = []

    # 1. The PSP dies between its commit and the log write.
    psp = inst.start_psp(crash_after_commit=True)
    first = inst.decide(INSTANT_REQUEST)
    inst.confirm(first)
    with pytest.raises(httpx.HTTPError):  # the agent's answer is lost with the process
        inst.pay(first)
    assert psp.wait(60) == -signal.SIGKILL
    assert first.cart is not None
    trade = inst.deployment.psp.find_payment(
        first.cart.merchant_id, first.cart.out_trade_no, requester_id=first.cart.merchant_id
    )
    assert trade["status"] == "SUCCESS"  # the payment stands ...
    owed = outbox.pending_ids(inst.db, subject=trade["trade_no"])
    assert len(owed) == 2  # ... and owes its record and its notice, nothing lost
    assert EventType.TRANSACTION_COMPLETED not in inst.logged(first)
    assert inst.order_status(first) is OrderStatus.CONFIRMED
    assert _relay_as_cron(inst) == {"delivered": 2, "retrying": 0, "refused": 0}
    assert EventType.TRANSACTION_COMPLETED in inst.logged(first)
    assert inst.order_status(first) is OrderStatus.PAID
    inst.start_psp()  # restarted; the agent retries with the same key and gets the answer
    retry = inst.pay(first)
    assert retry.status_code == 200, retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["trade_no"] == trade["trade_no"]
    paid.append(first)

    # 2. The log is down while the cart is confirmed, paid and fulfilled.
    standing = inst.tools.authorize_standing_order(DELEGATED_REQUEST)
    delegation = inst.tools.delegations[str(standing["delegation_id"])]
    second = inst.decide(f"a {DELEGATED_ORDER}", delegation=delegation)
    inst.stop("trust")
    inst.confirm(second)
    assert inst.pay(second).status_code == 200  # the payment does not wait for the log
    assert second.cart is not None
    inst.deployment.merchants.fulfil(second.cart.out_trade_no)
    assert not inst.verify(second).ok  # cart-confirmed, transaction-completed: not in the log
    inst.start("trust")
    report = inst.deployment.relay.run_now()  # what the background relay does once due
    assert (len(report.delivered), report.refused) == (3, [])
    assert inst.logged(second) == [
        EventType.CART_CONFIRMED,
        EventType.TRANSACTION_COMPLETED,
        EventType.FULFILLMENT_COMPLETED,
    ]
    paid.append(second)

    # 3. The merchant is down when the PSP takes the payment.
    third = inst.decide(f"a {DELEGATED_ORDER}", delegation=delegation)
    inst.confirm(third)
    inst.stop("merchant")
    assert inst.pay(third).status_code == 200
    inst.start("merchant")
    assert inst.order_status(third) is OrderStatus.CONFIRMED  # paid, but not yet told
    pending = outbox.pending_ids(inst.db, subject=third.answer["trade_no"])
    assert len(pending) == 1  # the notice; the record went to the log at once
    assert inst.deployment.relay.run_now().delivered == pending
    assert inst.order_status(third) is OrderStatus.PAID
    paid.append(third)

    # Every paid purchase's evidence verifies; each record is in the log once.
    for order in paid:
        result = inst.verify(order)
        assert result.ok, result.reason
        assert inst.logged(order).count(EventType.TRANSACTION_COMPLETED) == 1
        assert inst.logged(order).count(EventType.CART_CONFIRMED) == 1
    assert outbox.pending_ids(inst.db) == []
    status = inst.deployment.relay.status()
    assert status.counts["record"]["refused"] == status.counts["notice"]["refused"] == 0
