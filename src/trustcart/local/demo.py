"""``trustcart demo``: one instant and one delegated purchase, end to end, every role for real.

The roles run as uvicorn servers on loopback. Alice shops through the same ``ShoppingTools``
that ``trustcart chat``, the MCP server and the LLM back end use: her words become an intent,
the planner's options are shown, she approves in her wallet, the agent pays over HTTP (its
requests RFC 9421-signed). Each completed purchase leaves an evidence bundle in
``OUT/evidence/``; the demo ends by verifying every bundle offline against the published keys
(``OUT/evidence/trusted-keys.json``, trust anchors: a ``trustcart-trust-anchors/1`` file that
binds each published key to its party and role).

Then it shows the refusals: a third delegated purchase would pass the budget, so the tools'
own pre-check refuses it; a deliberately careless agent that skips its checks is refused by the
payment provider too; after Alice revokes, both refuse again. Scene 3 (``demo_autonomous``)
shows L3: several autonomous payments under one BOUNDED IAC, and a SPECIFIED one refused for
AUP with its stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.offers import Offer
from trustcart.assistant.proposals import ApprovalRequest, Delegation, Purchase
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.clock import SystemClock
from trustcart.core.payment import PaymentMode
from trustcart.delegation.iac import IAC
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import StatusAttestation
from trustcart.local import persona
from trustcart.local.demo_acp import acp_checkout
from trustcart.local.demo_autonomous import autonomous
from trustcart.local.demo_basket import basket_scene
from trustcart.local.demo_disputes import dispute_scene
from trustcart.local.demo_risk import risk_scene
from trustcart.local.demo_standing import standing_scene
from trustcart.local.demo_ucp import ucp_scene
from trustcart.local.deployment import Deployment, build
from trustcart.local.market import Clients, buyer_agent, tools_for
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.local.witness import anchor_evidence
from trustcart.payments.risk.config import RiskConfig, load_risk_config
from trustcart.store.db import Database
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.evidence import verify_bundle
from trustcart.trust.packaging import package_purchase

INSTANT_REQUEST = "order me a pearl milk tea under 30 CNY"
DELEGATED_REQUEST = "up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total"
DELEGATED_ORDER = "Lakeside Signature Cheese Tea"


@dataclass
class DemoResult:
    bundles: list[Path] = field(default_factory=list)
    verified: list[Path] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)
    stages: list[tuple[str, str]] = field(default_factory=list)  # L3 refusals: (code, stage)
    baskets: list[Path] = field(default_factory=list)  # trustcart-basket/1 records (verified)
    disputes: list[tuple[str, str]] = field(default_factory=list)  # (outcome, reason code)

    @property
    def ok(self) -> bool:
        return bool(self.bundles) and self.verified == self.bundles


class CarelessStatusChecker:
    """What a careless or compromised agent does: assume every credential is Active.

    Used only to show that the payment provider's own checks hold without the agent's.
    """

    def check(self, iac: IAC, now: datetime) -> StatusAttestation:
        return StatusAttestation(iac.delegation_id, CredentialStatus.ACTIVE, now, now, token="")


class Demo:
    def __init__(self, deployment: Deployment, out: Path, console: Console) -> None:
        self.d = deployment
        self.out = out
        self.console = console
        self.result = DemoResult()
        self.approvals: list[ApprovalRequest] = []  # what Alice was asked and approved
        self.clients = Clients()
        self.tools: ShoppingTools = tools_for(
            deployment, self.clients, approver=self.alice_says_yes
        )

    def close(self) -> None:
        self.clients.close()

    # -- narration ---------------------------------------------------------------------------

    def step(self, text: str) -> None:
        self.console.print(f"  [bold cyan]→[/] {text}")

    def refused(self, text: str) -> None:
        self.console.print(f"  [bold red]✗ refused[/] {text}")

    def alice_says_yes(self, request: ApprovalRequest) -> bool:
        self.step(f"Alice reads in her wallet: {request.summary!r} and approves")
        self.approvals.append(request)
        return True

    def options_table(self, options: list[dict[str, Any]]) -> None:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
        for column in ("", "merchant", "product", "price", "coupon", "total", "km", "why"):
            table.add_column(column)
        for number, option in enumerate(options, start=1):
            line = option["items"][0]
            distance = line["distance_km"]
            table.add_row(
                str(number),
                line["merchant_name"],
                line["title"],
                f"{line['unit_price']['amount']}",
                ", ".join(line["coupons"]) or "-",
                f"{option['total']['amount']} {option['total']['currency']}",
                "-" if distance is None else f"{distance:.1f}",
                option["reason"],
            )
        self.console.print(table)

    # -- shopping through the tools -------------------------------------------------------------

    def choose(self, text: str, *, title: str | None = None) -> dict[str, Any]:
        """Compare for ``text``; propose the first option (or the first one of ``title``)."""
        found = self.tools.compare(text)
        intent = found["intent"]
        self.step(
            f"intent: {intent['items'][0]['description']}, quantity "
            f"{intent['items'][0]['quantity']}; {len(found['options'])} option(s), ranked by "
            "total after each shop's best coupons"
        )
        self.options_table(found["options"])
        options = found["options"]
        if title is not None:
            options = [o for o in options if o["items"][0]["title"] == title] or options
        if not options:
            raise RuntimeError(f"the demo catalog offers nothing for {text!r}")
        return self.tools.propose_cart(str(options[0]["option_id"]))

    def paid(self, kind: str, proposal: dict[str, Any]) -> None:
        for order in proposal["orders"]:
            purchase = self.tools.purchases[str(order["out_trade_no"])]
            self.finish(kind, purchase)

    def finish(self, kind: str, purchase: Purchase) -> None:
        cart, receipt = purchase.cart, purchase.receipt
        self.step(
            f"{cart.merchant_id} confirmed and signed cart {cart.out_trade_no} "
            f"({cart.total}, price held until {cart.price_locked_until}); the agent checked it "
            "against the ISR and the IAC"
        )
        budget = receipt.budget
        self.step(
            f"paid ({purchase.mode.value}): trade {receipt.trade_no}, receipt signed by the "
            "payment provider"
            + (f"; budget spent {budget.spent} of {purchase.iac.max_total}" if budget else "")
        )
        order = self.d.merchants.fulfil(cart.out_trade_no)  # the shop hands the tea over
        self.step(f"order {cart.out_trade_no} is {order.status}; events are in the log")
        bundle = package_purchase(
            self.d.attestations,
            self.d.directory,
            isr=purchase.isr.to_json(),
            iac=purchase.iac.token,
            status=receipt.credential_status,
            cart=cart.token,
            approval=purchase.approval,
            receipt=receipt.token,
            now=self.d.clock.now(),
        )
        bundle = anchor_evidence(self.d, bundle)  # the witness's anchors (docs/witness.md)
        path = self.out / f"{len(self.result.bundles) + 1:02d}-{kind}-{cart.out_trade_no}.json"
        path.write_text(json.dumps(bundle, indent=1, ensure_ascii=False), encoding="utf-8")
        self.result.bundles.append(path)
        self.step(f"evidence bundle written: {path}")

    def refusal(self, by: str, refusal: ToolRefused | PurchaseRefused) -> None:
        reasons = getattr(refusal, "reasons", ())
        code = f"{refusal.code} ({', '.join(reasons)})" if reasons else refusal.code
        self.refused(f"by {by}: {code}: {refusal.reason}")
        self.result.refusals.append((reasons[0] if reasons else refusal.code, refusal.reason))

    # -- scenes ------------------------------------------------------------------------------

    def instant(self) -> None:
        self.console.rule("[bold]1. Instant mode (L1): the person approves the exact cart")
        self.console.print(f'  Alice: "{INSTANT_REQUEST}"')
        proposal = self.choose(INSTANT_REQUEST)
        approved = self.tools.request_approval(str(proposal["proposal_id"]))
        delegation = self.tools.delegations[str(approved["delegation_id"])]
        self.step(
            f"Alice's wallet signs IAC {delegation.iac.delegation_id} for exactly this purchase "
            f"(at most {delegation.iac.max_total}); the status service registers it as Active; "
            "the payment provider binds a restricted token to it (the agent never sees her "
            "account)"
        )
        self.paid("instant", self.tools.pay(str(proposal["proposal_id"])))

    def delegated(self) -> None:
        self.console.rule("[bold]2. Delegated mode (L2): the agent buys within the IAC")
        self.console.print(f'  Alice: "{DELEGATED_REQUEST}"')
        standing = self.tools.authorize_standing_order(DELEGATED_REQUEST)
        delegation_id = str(standing["delegation_id"])
        delegation = self.tools.delegations[delegation_id]
        self.step(f"Alice's wallet signs the BOUNDED IAC {delegation_id}")
        order_text = f"a {DELEGATED_ORDER}"
        for day in ("Monday", "Wednesday", "Friday"):
            self.console.print(
                f"  [bold]{day}[/]: the agent orders Alice's usual ({DELEGATED_ORDER}) "
                "without asking"
            )
            proposal = self.choose(order_text, title=DELEGATED_ORDER)
            try:
                self.paid("delegated", self.tools.pay(str(proposal["proposal_id"]), delegation_id))
            except ToolRefused as refusal:
                self.refusal("the agent's own pre-check", refusal)
                self.bypass(proposal, delegation)
                break
        self.tools.revoke(delegation_id)
        self.step(f"Alice revokes {delegation_id}")
        self.console.print("  [bold]Saturday[/]: the agent tries once more")
        proposal = self.choose(order_text, title=DELEGATED_ORDER)
        try:
            self.tools.pay(str(proposal["proposal_id"]), delegation_id)
        except ToolRefused as refusal:
            self.refusal("the agent's status check", refusal)
        else:  # pragma: no cover - would be a security bug; the demo fails loudly
            raise RuntimeError("the agent shopped under a revoked IAC")
        self.bypass(proposal, delegation)

    def rogue_agent(self) -> BuyerAgent:
        return buyer_agent(self.d, self.clients, CarelessStatusChecker(), self.d.clock)

    def bypass(self, proposal: dict[str, Any], delegation: Delegation) -> None:
        """Show that the PSP refuses on its own, even if an agent skipped its own checks."""
        rogue = self.rogue_agent()
        offer: Offer = self.tools.proposal(str(proposal["proposal_id"])).lines[0]
        iac = delegation.iac
        cart = rogue.confirm(offer, iac, rogue.negotiate(offer, iac))
        balance = self.d.psp.balance(persona.ACCOUNT_ID)
        try:
            rogue.pay(
                mode=PaymentMode.L2, payment_token=delegation.payment_token, iac=iac, cart=cart
            )
        except PurchaseRefused as refusal:
            unchanged = self.d.psp.balance(persona.ACCOUNT_ID) == balance
            self.refusal(
                "the payment provider, even when an agent skips its own checks "
                + ("(nothing was charged)" if unchanged else "(BALANCE CHANGED)"),
                refusal,
            )
        else:  # pragma: no cover - would be a security bug
            raise RuntimeError("the PSP accepted a payment outside the IAC")

    # -- verification ------------------------------------------------------------------------

    def verify_all(self) -> None:
        self.console.rule("[bold]4. Offline verification of every evidence bundle")
        trusted_path = self.out / "trusted-keys.json"
        anchors = TrustAnchors.from_directory(self.d.directory.entries())
        trusted_path.write_text(json.dumps(anchors.to_json(), indent=1), encoding="utf-8")
        for path in self.result.bundles:
            report = verify_bundle(json.loads(path.read_text(encoding="utf-8")), anchors=anchors)
            if report.ok:
                self.result.verified.append(path)
                self.console.print(
                    f"  [green]✓[/] {path.name}: {len(report.checks)} checks hold "
                    f"(TSD-ATT-SVF {report.svf})"
                )
            else:
                self.console.print(f"  [red]✗[/] {path.name}: {report.reason}")
        if self.result.bundles:
            self.console.print(
                f"  verify one yourself: trustcart verify {self.result.bundles[0]} "
                f"--trusted-keys {trusted_path}"
            )


def demo_risk(home: Path) -> RiskConfig:
    """The risk rules of ``home`` (docs/risk.md) with velocity limits for a compressed day.

    The demo's one agent makes a day's worth of purchases for Alice in about a minute, which the
    default velocity limits (10 a minute per agent, 5 per delegation) would rightly refuse; the
    demo allows 100 and 50. Every other rule keeps its setting (the risk scene needs them).
    """
    return replace(load_risk_config(home), max_per_agent=100, max_per_delegation=50)


def run_demo(*, home: Path, database_url: str, out: Path, console: Console) -> DemoResult:
    home.mkdir(parents=True, exist_ok=True)
    evidence = out / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    db = Database(database_url)
    db.migrate()
    merchants = seed_if_empty(db, lambda message: console.print(f"[dim]{message}[/]"))
    # ucp: demo_ucp's business; witness: the log's anchors (local.witness)
    ports = {role: free_port() for role in (*ROLE_NAMES, "ucp", "witness")}
    deployment = build(db, home, Endpoints.on_ports(ports), SystemClock(), risk=demo_risk(home))
    persona.ensure_account(deployment.psp, deployment.keys)
    console.print(
        f"[dim]store: {database_url} ({merchants} merchants); servers on "
        f"127.0.0.1 ports {', '.join(f'{r} {p}' for r, p in ports.items())}[/]"
    )
    try:
        with Servers(deployment.apps, ports), deployment.background():
            demo = Demo(deployment, evidence, console)
            try:
                demo.instant()
                demo.delegated()
                autonomous(demo)
                ucp_scene(demo)
                acp_checkout(demo)
                basket_scene(demo)
                standing_scene(demo)
                risk_scene(demo)  # docs/risk.md: a step-up answered by Alice at L1
                dispute_scene(demo)
            finally:
                demo.close()
        demo.verify_all()
    finally:
        deployment.close()
        db.dispose()
    return demo.result
