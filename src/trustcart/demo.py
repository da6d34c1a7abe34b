"""``trustcart demo``: one instant and one delegated purchase, end to end, every role for real.

The roles run as uvicorn servers on loopback; the person's wallet and the buyer agent talk to
them over HTTP only (the agent's requests RFC 9421-signed). Each completed purchase leaves an
evidence bundle in ``OUT/evidence/``; the demo ends by verifying every bundle offline against
trust anchors that bind each published key to its party and role
(``OUT/evidence/trusted-keys.json``, a ``trustcart-trust-anchors/1`` file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from trustcart.assistant.agent import BuyerAgent, Cart, Offer, Payment, PurchaseRefused
from trustcart.assistant.intent import build_isr, parse_intent
from trustcart.assistant.wallet import Wallet
from trustcart.core.clock import SystemClock
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.crypto.keys import keys_from_jwks
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR
from trustcart.delegation.lifecycle import CredentialStatus, Transition
from trustcart.delegation.status import HttpStatusChecker, StatusAttestation, StatusChecker
from trustcart.deployment import (
    ACCOUNT_ID,
    AGENT_ID,
    LOCATION,
    Deployment,
    Endpoints,
    Servers,
    build,
    ensure_account,
    free_port,
    seed_if_empty,
)
from trustcart.store.db import Database
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.evidence import verify_bundle
from trustcart.trust.packaging import package_purchase
from trustcart.trust.recorder import HttpRecorder

INSTANT_REQUEST = "order me a pearl milk tea under 30 CNY"
DELEGATED_REQUEST = "up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total"
DELEGATED_ORDER = "Lakeside Signature Cheese Tea"


@dataclass
class DemoResult:
    bundles: list[Path] = field(default_factory=list)
    verified: list[Path] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.bundles) and self.verified == self.bundles


class Demo:
    def __init__(self, deployment: Deployment, out: Path, console: Console) -> None:
        self.d = deployment
        self.out = out
        self.console = console
        self.result = DemoResult()
        endpoints, clock = deployment.endpoints, deployment.clock
        self._clients: list[httpx.Client] = []
        trust = self._keep(httpx.Client(base_url=endpoints.trust, timeout=10.0))
        self.events = HttpRecorder(trust, clock)
        self.alice = deployment.keys.get("alice")
        self.wallet = Wallet(
            key=self.alice,
            identity="user:alice",
            account_id=ACCOUNT_ID,
            clock=clock,
            status_service=self._keep(httpx.Client(base_url=endpoints.status, timeout=10.0)),
            status_base_url=endpoints.status,
            psp=self._keep(httpx.Client(base_url=endpoints.psp, timeout=10.0)),
            events=self.events,
        )
        status_keys = keys_from_jwks(self.wallet_status_client.get("/.well-known/jwks.json").json())
        self.agent = self.agent_with(
            HttpStatusChecker(
                self._keep(httpx.Client(timeout=10.0)),
                status_keys,
                allowed_prefixes=(f"{endpoints.status}/delegations/",),
                clock=clock,
            )
        )

    def _keep(self, client: httpx.Client) -> httpx.Client:
        self._clients.append(client)
        return client

    def agent_with(self, status: StatusChecker) -> BuyerAgent:
        endpoints = self.d.endpoints
        return BuyerAgent(
            key=self.d.agent_key,
            agent_id=AGENT_ID,
            clock=self.d.clock,
            merchants=self._keep(self.d.agent_client(endpoints.merchant)),
            psp=self._keep(self.d.agent_client(endpoints.psp)),
            events=self.events,
            status=status,
        )

    @property
    def wallet_status_client(self) -> httpx.Client:
        return self._clients[1]

    def close(self) -> None:
        for client in self._clients:
            client.close()

    # -- narration -----------------------------------------------------------------------

    def step(self, text: str) -> None:
        self.console.print(f"  [bold cyan]→[/] {text}")

    def refused(self, text: str) -> None:
        self.console.print(f"  [bold red]✗ refused[/] {text}")

    def offers_table(self, offers: list[Offer], chosen: Offer | None = None) -> None:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
        for column in ("", "merchant", "product", "price", "coupon", "total", "km"):
            table.add_column(column)
        for offer in offers[:6]:
            mark = "★" if chosen is not None and offer == chosen else ""
            table.add_row(
                mark,
                offer.merchant_name,
                offer.title,
                str(offer.unit_price),
                ", ".join(offer.coupons) or "-",
                str(offer.total),
                offer.distance_km or "-",
            )
        self.console.print(table)

    # -- the person authorizes -----------------------------------------------------------

    def authorize(self, text: str) -> tuple[ISR, IAC, str]:
        clock = self.d.clock
        draft = parse_intent(text)
        isr = build_isr(
            draft, intent_id=new_id("int"), agent_id=AGENT_ID, now=clock.now(), location=LOCATION
        )
        self.agent.record_intent(isr)
        self.step(
            f"ISR {isr.intent_id}: {draft.item}, quantity {draft.quantity}, "
            f"{isr.delegation_mode.value}, budget {isr.max_total}"
            + (f", at most {isr.commerce.max_single} each" if draft.delegated else "")
            + f", valid until {isr.validity_end:%Y-%m-%d %H:%M} UTC"
        )
        iac = self.wallet.authorize(isr)
        self.step(
            f"Alice signs IAC {iac.delegation_id} with her own key "
            f"(kid {self.alice.kid[:10]}…); the status service registers it as Active"
        )
        token = self.wallet.bind(iac)
        self.step(
            "the payment provider binds a restricted payment token to this IAC and agent "
            "(the agent never sees Alice's account)"
        )
        return isr, iac, token

    # -- one purchase ----------------------------------------------------------------------

    def shop(self, isr: ISR, iac: IAC, spent: SpendSoFar) -> tuple[Offer, Cart]:
        offers = self.agent.search(isr, iac)
        self.step(
            f"{len(offers)} offers from "
            f"{len({o.merchant_id for o in offers})} merchants, compared by total after "
            "their best coupons"
        )
        best = self.agent.choose(offers, iac, spent)
        self.offers_table(offers, best)
        method = self.agent.negotiate(best, iac)
        cart = self.agent.confirm(best, iac, method)
        self.step(
            f"{best.merchant_name} confirms and signs cart {cart.out_trade_no}: "
            f"{cart.total}, price held until {cart.payload['price_locked_until']}"
        )
        self.agent.check_cart(cart, best, iac, spent)
        self.step("the agent checks the signed cart against the ISR and the IAC: all within")
        return best, cart

    def finish(
        self, kind: str, isr: ISR, iac: IAC, cart: Cart, *, payment: Payment, approval: str | None
    ) -> None:
        self.step(
            f"paid: trade {payment.trade_no}, receipt signed by the payment provider; "
            f"budget spent {Money.from_json(payment.receipt_payload['budget']['spent'])} "
            f"of {iac.max_total}"
        )
        order = self.d.merchants.fulfil(cart.out_trade_no)  # the shop hands the tea over
        self.step(f"order {cart.out_trade_no} is {order.status}; events are in the log")
        bundle = package_purchase(
            self.d.attestations,
            self.d.directory,
            isr=isr.to_json(),
            iac=iac.token,
            status=payment.credential_status,
            cart=cart.token,
            approval=approval,
            receipt=payment.receipt,
            now=self.d.clock.now(),
        )
        path = self.out / f"{len(self.result.bundles) + 1:02d}-{kind}-{cart.out_trade_no}.json"
        path.write_text(json.dumps(bundle, indent=1, ensure_ascii=False), encoding="utf-8")
        self.result.bundles.append(path)
        self.step(f"evidence bundle written: {path}")

    # -- scenarios ---------------------------------------------------------------------------

    def instant(self) -> None:
        self.console.rule("[bold]1. Instant mode (L1): the person approves the exact cart")
        self.console.print(f'  Alice: "{INSTANT_REQUEST}"')
        isr, iac, token = self.authorize(INSTANT_REQUEST)
        best, cart = self.shop(isr, iac, SpendSoFar.zero(iac.currency))
        approval = self.wallet.approve(cart.token, self.agent._keys_of(best.merchant_id))
        self.step(
            f"Alice approves exactly this cart ({cart.total}, digest "
            f"{cart.digest[8:20]}…) in her wallet"
        )
        payment = self.agent.pay(
            mode="L1", payment_token=token, iac=iac, cart=cart, approval=approval
        )
        self.finish("instant", isr, iac, cart, payment=payment, approval=approval)

    def delegated(self) -> None:
        self.console.rule("[bold]2. Delegated mode (L2): the agent buys within the IAC")
        self.console.print(f'  Alice: "{DELEGATED_REQUEST}"')
        isr, iac, token = self.authorize(DELEGATED_REQUEST)
        spent = SpendSoFar.zero(iac.currency)
        order_isr = ISR.from_json(
            {
                **isr.to_json(),
                "items": [
                    {
                        "description": DELEGATED_ORDER,
                        "quantity": 1,
                        "category": "drinks/milk-tea",
                        "attributes": {},
                        "max_unit_price": isr.commerce.max_single.to_json()
                        if isr.commerce.max_single
                        else None,
                    }
                ],
            }
        )
        for day in ("Monday", "Wednesday", "Friday"):
            self.console.print(
                f"  [bold]{day}[/]: the agent orders Alice's usual "
                f"({DELEGATED_ORDER}) without asking"
            )
            try:
                _, cart = self.shop(order_isr, iac, spent)
            except PurchaseRefused as refusal:
                self.refused(f"by the agent's own pre-check: {refusal.code}: {refusal.reason}")
                self.result.refusals.append((refusal.code, refusal.reason))
                self.bypass(order_isr, iac, token, spent)
                break
            payment = self.agent.pay(mode="L2", payment_token=token, iac=iac, cart=cart)
            budget = payment.receipt_payload["budget"]
            spent = SpendSoFar(
                Money.from_json(budget["spent"]), budget["count"], budget["quantity"]
            )
            self.finish("delegated", isr, iac, cart, payment=payment, approval=None)
        self.wallet.transition(iac.delegation_id, Transition.REVOKE)
        self.step(f"Alice revokes {iac.delegation_id}")
        self.console.print("  [bold]Saturday[/]: the agent tries once more")
        try:
            self.shop(order_isr, iac, spent)
        except PurchaseRefused as refusal:
            self.refused(f"by the agent's status check: {refusal.code}: {refusal.reason}")
            self.result.refusals.append((refusal.code, refusal.reason))
        else:  # pragma: no cover - would be a security bug; the demo fails loudly
            raise RuntimeError("the agent shopped under a revoked IAC")
        self.bypass(order_isr, iac, token, spent)

    def bypass(self, isr: ISR, iac: IAC, token: str, spent: SpendSoFar) -> None:
        """Show that the PSP refuses on its own, even if an agent skipped its own checks."""
        rogue = self.agent_with(CarelessStatusChecker())
        best = rogue.choose(rogue.search(isr, iac), iac, SpendSoFar.zero(iac.currency))
        cart = rogue.confirm(best, iac, rogue.negotiate(best, iac))
        balance = self.d.psp.balance(ACCOUNT_ID)
        try:
            rogue.pay(mode="L2", payment_token=token, iac=iac, cart=cart)
        except PurchaseRefused as refusal:
            unchanged = self.d.psp.balance(ACCOUNT_ID) == balance
            self.refused(
                f"by the payment provider, even when an agent skips its own checks: "
                f"{refusal.code} ({refusal.reason}); "
                + ("nothing was charged" if unchanged else "BALANCE CHANGED")
            )
            self.result.refusals.append((refusal.code, refusal.reason))
        else:  # pragma: no cover - would be a security bug
            raise RuntimeError("the PSP accepted a payment over budget")

    # -- verification ------------------------------------------------------------------------

    def verify_all(self) -> None:
        self.console.rule("[bold]3. Offline verification of every evidence bundle")
        trusted_path = self.out / "trusted-keys.json"
        anchors = TrustAnchors.from_directory(self.d.directory.entries())
        trusted_path.write_text(json.dumps(anchors.to_json(), indent=1), encoding="utf-8")
        for path in self.result.bundles:
            report = verify_bundle(json.loads(path.read_text(encoding="utf-8")), anchors=anchors)
            if report.ok:
                self.result.verified.append(path)
                self.console.print(f"  [green]✓[/] {path.name}: {len(report.checks)} checks hold")
            else:
                self.console.print(f"  [red]✗[/] {path.name}: {report.reason}")
        if self.result.bundles:
            self.console.print(
                f"  verify one yourself: trustcart verify {self.result.bundles[0]} "
                f"--trusted-keys {trusted_path}"
            )


class CarelessStatusChecker:
    """What a careless or compromised agent does: assume every credential is Active.

    Used only to show that the payment provider's own checks hold without the agent's.
    """

    def check(self, iac: IAC, now: datetime) -> StatusAttestation:
        return StatusAttestation(iac.delegation_id, CredentialStatus.ACTIVE, now, now, token="")


def run_demo(*, home: Path, database_url: str, out: Path, console: Console) -> DemoResult:
    home.mkdir(parents=True, exist_ok=True)
    evidence = out / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    db = Database(database_url)
    db.migrate()
    merchants = seed_if_empty(db, lambda message: console.print(f"[dim]{message}[/]"))
    ports = {role: free_port() for role in ("status", "trust", "merchant", "psp")}
    deployment = build(db, home, Endpoints.on_ports(ports), SystemClock())
    ensure_account(deployment)
    console.print(
        f"[dim]store: {database_url} ({merchants} merchants); servers on "
        f"127.0.0.1 ports {', '.join(f'{r} {p}' for r, p in ports.items())}[/]"
    )
    try:
        with Servers(deployment.apps, ports):
            demo = Demo(deployment, evidence, console)
            try:
                demo.instant()
                demo.delegated()
            finally:
                demo.close()
        demo.verify_all()
    finally:
        deployment.close()
        db.dispose()
    return demo.result
