"""Foundation issue, point 8: every refusal over real HTTP, with a stable problem+json code, and
nothing written to the ledger. All roles run as uvicorn servers on loopback (as in the demo),
on SQLite and on PostgreSQL; the clock is fixed so credentials can be made to expire."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.context import intent_context
from trustcart.assistant.offers import ConfirmedCart, Offer
from trustcart.assistant.proposals import Delegation
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.delegation.iac import IAC
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

ROLES = ("status", "trust", "merchant", "psp")


class Careless:
    """A careless agent beside Alice's own tools: it skips its own checks (it believes every
    credential Active and pays whatever cart it holds), so only the services' checks stand."""

    def __init__(self, deployment: Deployment, clients: Clients) -> None:
        self.tools = tools_for(deployment, clients, approver=lambda _request: True)
        self.wallet = self.tools.wallet
        self.agent = buyer_agent(deployment, clients, CarelessStatusChecker(), deployment.clock)

    def authorize(self, text: str) -> Delegation:
        """Alice approves what ``text`` asks: a purchase, or a standing order."""
        found = self.tools.compare(text)
        proposal = self.tools.propose_cart(str(found["options"][0]["option_id"]))
        approved = self.tools.request_approval(str(proposal["proposal_id"]))
        return self.tools.delegations[str(approved["delegation_id"])]

    def offers(self, delegation: Delegation) -> list[Offer]:
        draft = self.tools.intents[delegation.isr.intent_id]
        return self.agent.discover(intent_context(draft, draft.items[0], LOCATION))

    def cart(self, offer: Offer, iac: IAC) -> ConfirmedCart:
        return self.agent.confirm(offer, iac, self.agent.negotiate(offer, iac))


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[tuple[Deployment, Careless]]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    seed_if_empty(db)
    ports = {role: free_port() for role in ROLES}
    deployment = build(db, tmp_path / "home", Endpoints.on_ports(ports), clock)
    ensure_account(deployment.psp, deployment.keys)
    with Servers(deployment.apps, ports):
        clients = Clients()
        try:
            yield deployment, Careless(deployment, clients)
        finally:
            clients.close()
            deployment.close()


def _ledger(deployment: Deployment) -> tuple[Money, int]:
    with deployment.db.transaction() as session:
        check_balanced(session)
        payments = session.scalar(select(func.count()).select_from(PaymentRow)) or 0
    return deployment.psp.balance(ACCOUNT_ID), int(payments)


def _problem(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/" + body["code"])
    assert body["status"] == response.status_code
    return str(body["code"])


def _prepared(
    demo: Careless, text: str = "order me a pearl milk tea under 30 CNY"
) -> tuple[Delegation, IAC, str, ConfirmedCart]:
    delegation = demo.authorize(text)
    offer = min(demo.offers(delegation), key=lambda o: o.total.minor)
    return delegation, delegation.iac, delegation.payment_token, demo.cart(offer, delegation.iac)


def test_bad_http_input(world: tuple[Deployment, Careless]) -> None:
    deployment, _ = world
    before = _ledger(deployment)
    psp = deployment.agent_client(deployment.endpoints.psp)
    plain = httpx.Client(base_url=deployment.endpoints.psp)
    json_type = {"Content-Type": "application/json", "Idempotency-Key": "k-bad-input"}
    try:
        cases = {
            "malformed-json": psp.post("/payments", content=b'{"mode": "L1",', headers=json_type),
            "body-too-large": psp.post(
                "/payments", content=b'{"a":"' + b"x" * 70_000 + b'"}', headers=json_type
            ),
            "signature-missing": plain.post("/payments", json={"mode": "L2"}),
        }
        for expected, response in cases.items():
            assert _problem(response) == expected
        wrong_types = psp.post(
            "/payments",
            json={"mode": 2, "payment_token": ["x"], "iac": 1, "cart": None, "request_id": 5},
            headers={"Idempotency-Key": "k-types"},
        )
        assert _problem(wrong_types) == "payment-request-invalid"
        assert wrong_types.status_code == 400

        # A signed request whose body is changed in transit; one whose signature is altered.
        request = psp.build_request(
            "POST", "/payments", json={"mode": "L2"}, headers={"Idempotency-Key": "k-sig"}
        )
        assert psp.auth is not None
        signed = next(psp.auth.sync_auth_flow(request))
        tampered = plain.post("/payments", content=b'{"mode":"L1"}', headers=dict(signed.headers))
        assert _problem(tampered) == "digest-mismatch"
        headers = dict(signed.headers)
        headers["signature"] = headers["signature"][:-6] + "AAAA:"
        assert _problem(plain.post("/payments", content=signed.content, headers=headers)) == (
            "signature-invalid"
        )
        # The same signed request twice: the second is a replay.
        first = plain.post("/payments", content=signed.content, headers=dict(signed.headers))
        assert first.status_code == 400  # accepted as signed, refused as a payment request
        replay = plain.post("/payments", content=signed.content, headers=dict(signed.headers))
        assert _problem(replay) == "nonce-replayed"
    finally:
        psp.close()
        plain.close()
    assert _ledger(deployment) == before


@pytest.mark.parametrize("transition", [Transition.SUSPEND, Transition.REVOKE])
def test_suspended_and_revoked_credentials(
    world: tuple[Deployment, Careless], transition: Transition
) -> None:
    deployment, demo = world
    _, iac, token, cart = _prepared(demo)
    demo.wallet.transition(iac.delegation_id, transition)
    before = _ledger(deployment)
    approval = demo.wallet.approve(cart.token, demo.agent.merchant_keys(cart.merchant_id))
    with pytest.raises(PurchaseRefused) as refused:
        demo.agent.pay(
            mode=PaymentMode.L1, payment_token=token, iac=iac, cart=cart, approval=approval
        )
    assert (
        refused.value.code
        == {Transition.SUSPEND: "iac-suspended", Transition.REVOKE: "iac-revoked"}[transition]
    )
    assert _ledger(deployment) == before


def test_expired_credential(world: tuple[Deployment, Careless]) -> None:
    deployment, demo = world
    _, iac, token, cart = _prepared(demo)
    approval = demo.wallet.approve(cart.token, demo.agent.merchant_keys(cart.merchant_id))
    assert isinstance(deployment.clock, FixedClock)
    deployment.clock.advance(timedelta(hours=2))  # the instant IAC is valid for one hour
    before = _ledger(deployment)
    with pytest.raises(PurchaseRefused) as refused:
        demo.agent.pay(
            mode=PaymentMode.L1, payment_token=token, iac=iac, cart=cart, approval=approval
        )
    assert refused.value.code in {"iac-expired", "token-invalid"}
    assert _ledger(deployment) == before


def test_cart_changed_after_approval(world: tuple[Deployment, Careless]) -> None:
    deployment, demo = world
    delegation, iac, token, cart = _prepared(demo)
    approval = demo.wallet.approve(cart.token, demo.agent.merchant_keys(cart.merchant_id))
    # The agent (or anyone) swaps in another confirmed cart, for another amount, after approval.
    other = next(o for o in demo.offers(delegation) if o.total != cart.total)
    swapped = demo.cart(other, iac)
    before = _ledger(deployment)
    with pytest.raises(PurchaseRefused) as refused:
        demo.agent.pay(
            mode=PaymentMode.L1, payment_token=token, iac=iac, cart=swapped, approval=approval
        )
    assert refused.value.code == "approval-mismatch"
    assert _ledger(deployment) == before


def test_payment_over_budget(world: tuple[Deployment, Careless]) -> None:
    deployment, demo = world
    delegation = demo.authorize("up to 3 milk teas this week, at most 30 CNY each, 40 CNY in total")
    iac, token = delegation.iac, delegation.payment_token
    codes = []
    for _ in range(3):
        fitting = [o for o in demo.offers(delegation) if o.total <= Money.parse("30.00", "CNY")]
        best = max(fitting, key=lambda o: o.total.minor)  # the dearest: reach the cap sooner
        cart = demo.cart(best, iac)
        before = _ledger(deployment)
        try:
            demo.agent.pay(mode=PaymentMode.L2, payment_token=token, iac=iac, cart=cart)
        except PurchaseRefused as refused:
            codes.append(refused.code)
            assert _ledger(deployment) == before
    assert "over-budget" in codes


def test_revoked_status_key_is_not_trusted_even_from_cache(
    world: tuple[Deployment, Careless],
) -> None:
    deployment, demo = world
    _, iac, token, cart = _prepared(demo)  # the PSP has just seen (and cached) an Active status
    approval = demo.wallet.approve(cart.token, demo.agent.merchant_keys(cart.merchant_id))
    deployment.directory.revoke(deployment.keys.get("status").kid)
    before = _ledger(deployment)
    with pytest.raises(PurchaseRefused) as refused:
        demo.agent.pay(
            mode=PaymentMode.L1, payment_token=token, iac=iac, cart=cart, approval=approval
        )
    assert refused.value.code == "status-unavailable"
    assert _ledger(deployment) == before
