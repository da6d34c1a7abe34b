"""Issue 10, item 5, over real HTTP on SQLite and PostgreSQL: every role a uvicorn server on
loopback, a careless agent beside Alice's own tools (it believes every credential Active and
pays whatever cart it holds), so only the services' checks stand.

* an instant-mode credential pays only the cart Alice approved;
* the status service runs as its own server here, so that it can be taken down: a payment
  during a status outage is held (``payment-held``, nothing debited), and after a revocation
  made just before the outage the retry is refused ``iac-revoked``, never paid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from trustcart.assistant.context import intent_context
from trustcart.assistant.offers import ConfirmedCart, Offer
from trustcart.assistant.proposals import Delegation
from trustcart.assistant.wallet import sign_approval
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.delegation.lifecycle import Transition
from trustcart.local.demo import CarelessStatusChecker
from trustcart.local.deployment import Deployment, build
from trustcart.local.market import Clients, buyer_agent, tools_for
from trustcart.local.persona import ACCOUNT_ID, LOCATION, ensure_account
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import Endpoints, Servers, free_port
from trustcart.payments.ledger_store import check_balanced
from trustcart.store.db import Database
from trustcart.store.payments import PaymentRow

INSTANT = "order me a pearl milk tea under 30 CNY"
STANDING = "up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total"


@dataclass
class Market:
    deployment: Deployment
    clock: FixedClock
    ports: dict[str, int]
    clients: Clients
    status_server: Servers | None = None

    def __post_init__(self) -> None:
        self.tools = tools_for(self.deployment, self.clients, approver=lambda _request: True)
        self.agent = buyer_agent(
            self.deployment, self.clients, CarelessStatusChecker(), self.deployment.clock
        )
        self.psp = self.clients.keep(self.deployment.agent_client(self.deployment.endpoints.psp))

    # -- the status service can go down and come back ---------------------------------------

    def status_up(self) -> None:
        apps = {"status": self.deployment.apps["status"]}
        self.status_server = Servers(apps, {"status": self.ports["status"]})
        self.status_server.start()

    def status_down(self) -> None:
        assert self.status_server is not None
        self.status_server.stop()
        self.status_server = None

    # -- Alice and the careless agent -----------------------------------------------------------

    def authorize(self, text: str) -> Delegation:
        """Alice approves what ``text`` asks for (the first option)."""
        found = self.tools.compare(text)
        proposal = self.tools.propose_cart(str(found["options"][0]["option_id"]))
        approved = self.tools.request_approval(str(proposal["proposal_id"]))
        return self.tools.delegations[str(approved["delegation_id"])]

    def offers(self, delegation: Delegation) -> list[Offer]:
        draft = self.tools.intents[delegation.isr.intent_id]
        return self.agent.discover(intent_context(draft, draft.items[0], LOCATION))

    def cart(self, delegation: Delegation, offer: Offer) -> ConfirmedCart:
        iac = delegation.iac
        return self.agent.confirm(offer, iac, self.agent.negotiate(offer, iac))

    def pay(
        self,
        delegation: Delegation,
        cart: ConfirmedCart,
        *,
        mode: str,
        key: str,
        approval: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "mode": mode,
            "payment_token": delegation.payment_token,
            "iac": delegation.iac.token,
            "cart": cart.token,
            "request_id": f"req-{key}",
        }
        if approval is not None:
            body["approval"] = approval
        return self.psp.post("/payments", json=body, headers={"Idempotency-Key": key})

    def approve(self, cart: ConfirmedCart) -> str:
        """Alice's wallet approves exactly this cart (L1)."""
        return self.tools.wallet.approve(cart.token, self.agent.merchant_keys(cart.merchant_id))

    def ledger(self) -> tuple[Money, int]:
        with self.deployment.db.transaction() as session:
            check_balanced(session)
            payments = session.scalar(select(func.count()).select_from(PaymentRow)) or 0
        return self.deployment.psp.balance(ACCOUNT_ID), int(payments)


@pytest.fixture
def market(db: Database, tmp_path: Path) -> Iterator[Market]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    seed_if_empty(db)
    ports = {role: free_port() for role in ("status", "trust", "merchant", "psp")}
    deployment = build(db, tmp_path / "home", Endpoints.on_ports(ports), clock)
    ensure_account(deployment.psp, deployment.keys)
    others = {role: app for role, app in deployment.apps.items() if role != "status"}
    clients = Clients()
    status = Servers({"status": deployment.apps["status"]}, {"status": ports["status"]})
    status.start()
    market: Market | None = None
    try:
        with Servers(others, ports):
            market = Market(deployment, clock, ports, clients, status)
            yield market
    finally:
        running = market.status_server if market is not None else status
        if running is not None:
            running.stop()
        clients.close()
        deployment.close()


def problem(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/" + body["code"])
    assert body["status"] == response.status_code
    return response.status_code, str(body["code"])


def test_an_instant_credential_pays_only_the_approved_cart(market: Market) -> None:
    delegation = market.authorize(INSTANT)
    assert delegation.iac.delegation_mode.value == "SPECIFIED"
    iac = delegation.iac
    within = [
        o
        for o in market.offers(delegation)
        if o.merchant_id in iac.commerce.allowed_merchants and o.total <= iac.max_total
    ]
    offer = min(within, key=lambda o: o.total.minor)
    # Two orders the merchant confirmed under this IAC; Alice approves only the second.
    other, approved = market.cart(delegation, offer), market.cart(delegation, offer)
    before = market.ledger()
    # The other cart, within the IAC's limits, without Alice: L2; L1 without an approval, with
    # one the agent signed itself, with Alice's approval of the other cart.
    agent_signed = sign_approval(
        peek_payload(other.token), key=market.deployment.agent_key, now=market.clock.now()
    )
    attempts = {
        "l2": market.pay(delegation, other, mode="L2", key="k-l2"),
        "no approval": market.pay(delegation, other, mode="L1", key="k-none"),
        "bad approval": market.pay(
            delegation, other, mode="L1", key="k-bad", approval=agent_signed
        ),
        "other's approval": market.pay(
            delegation, other, mode="L1", key="k-swap", approval=market.approve(approved)
        ),
    }
    assert {name: problem(response) for name, response in attempts.items()} == {
        "l2": (403, "mode-not-allowed"),
        "no approval": (403, "approval-missing"),
        "bad approval": (403, "approval-invalid"),
        "other's approval": (403, "approval-mismatch"),
    }
    assert market.ledger() == before
    # The cart Alice approved is paid, once.
    paid = market.pay(
        delegation, approved, mode="L1", key="k-ok", approval=market.approve(approved)
    )
    assert paid.status_code == 200, paid.text
    again = market.pay(
        delegation, approved, mode="L1", key="k-again", approval=market.approve(approved)
    )
    assert problem(again)[1] in {"already-paid", "over-budget"}
    assert market.ledger()[1] == before[1] + 1


def test_revocation_then_outage_then_payment_is_held_then_refused(market: Market) -> None:
    delegation = market.authorize(STANDING)  # L2: no approval stands in the way
    offer = min(market.offers(delegation), key=lambda o: o.total.minor)
    cart = market.cart(delegation, offer)  # the PSP saw Active when it bound the token
    assert market.tools.wallet.transition(delegation.iac.delegation_id, Transition.REVOKE)
    market.status_down()
    before = market.ledger()
    market.clock.advance(timedelta(milliseconds=100))
    held = market.pay(delegation, cart, mode="L2", key="k-revoked")
    assert problem(held) == (503, "payment-held")
    assert held.headers["retry-after"] == "5"
    assert held.json()["retry_after"] == 5
    assert market.ledger() == before  # nothing debited
    market.status_up()
    retried = market.pay(delegation, cart, mode="L2", key="k-revoked")  # same key, same body
    assert problem(retried) == (403, "iac-revoked")
    assert market.ledger() == before


def test_outage_holds_then_the_retry_pays_once(market: Market) -> None:
    delegation = market.authorize(STANDING)
    offer = min(market.offers(delegation), key=lambda o: o.total.minor)
    cart = market.cart(delegation, offer)
    market.status_down()
    before = market.ledger()
    assert problem(market.pay(delegation, cart, mode="L2", key="k-1")) == (503, "payment-held")
    # Past the cached answer's TTL there is nothing to hold on: refused, fail closed.
    market.clock.advance(timedelta(seconds=61))
    assert problem(market.pay(delegation, cart, mode="L2", key="k-1")) == (
        503,
        "status-unavailable",
    )
    assert market.ledger() == before
    market.status_up()
    paid = market.pay(delegation, cart, mode="L2", key="k-1")
    assert paid.status_code == 200, paid.text
    replay = market.pay(delegation, cart, mode="L2", key="k-1")
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    balance, payments = market.ledger()
    assert payments == before[1] + 1
    assert balance == before[0] - cart.total
