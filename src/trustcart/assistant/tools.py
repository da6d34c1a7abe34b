"""The shopping tools: the only way the conversation, the MCP server and an LLM act.

    structure_intent  words -> structured intent and the questions still open
    search            one CID-INT-XFR query, candidates with their offers
    compare           intent -> 1..3 options with reasons (planner)
    propose_cart      an option (or chosen products) -> a proposal, checked against the intent
    request_approval  the person approves: an IAC (and a bound payment token) from their wallet
    pay               confirm carts, check them against the ISR and IAC, pay through the PSP
    order_status      the merchant's view of an order
    revoke            the person revokes a credential

Rules kept: ``pay`` needs an IAC the person signed (``request_approval`` for one purchase, or a
standing delegation); without one it refuses, and so does every check after it (status at each
hop, the proposal and the signed cart against the ISR and the IAC, the PSP's own checks). The
approver is the person: the default one says no, so nothing is ever approved by accident.
Every answer is JSON-ready; refusals raise ``ToolRefused`` with a stable code.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from trustcart.assistant.agent import BuyerAgent, Offer, PurchaseRefused
from trustcart.assistant.checks import cart_problems, proposal_problems
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.intent import IntentDraft, ItemRequest, build_isr, parse_intent
from trustcart.assistant.planner import (
    PRODUCT_ATTRIBUTES,
    Candidate,
    Option,
    Plan,
    per_purchase_quantity,
    plan_options,
)
from trustcart.assistant.wallet import Wallet, WalletError
from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR, Location
from trustcart.delegation.lifecycle import Transition


@dataclass(frozen=True)
class ApprovalRequest:
    """What the person is asked to sign, in words and figures."""

    kind: str  # "purchase" (one exact proposal) or "standing-order" (a BOUNDED delegation)
    summary: str
    max_total: Money
    merchants: tuple[str, ...]


Approver = Callable[[ApprovalRequest], bool]


def deny_all(_request: ApprovalRequest) -> bool:
    """The default approver: no person is present, so nothing is approved."""
    return False


@dataclass
class Delegation:
    isr: ISR
    iac: IAC
    payment_token: str
    spent: SpendSoFar


@dataclass
class Proposal:
    proposal_id: str
    intent_id: str
    lines: tuple[Candidate, ...]
    offers: tuple[Offer, ...]
    delegation_id: str | None = None
    status: str = "proposed"
    orders: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> Money:
        return Option(self.lines, "").total

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id,
            "intent_id": self.intent_id,
            "status": self.status,
            "delegation_id": self.delegation_id,
            "items": [line.to_json() for line in self.lines],
            "total": self.total.to_json(),
            "orders": self.orders,
        }


class ShoppingTools:
    def __init__(
        self,
        *,
        agent: BuyerAgent,
        wallet: Wallet,
        clock: Clock,
        location: Location | None = None,
        approver: Approver = deny_all,
        payment_method: str = "trustcart-balance",
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self.agent = agent
        self.wallet = wallet
        self.clock = clock
        self.location = location
        self.approver = approver
        self.payment_method = payment_method
        self._random = random_bytes
        self._merchants: list[tuple[str, str]] | None = None
        self.intents: dict[str, IntentDraft] = {}
        self.options: dict[str, tuple[str, Option]] = {}
        self.proposals: dict[str, Proposal] = {}
        self.delegations: dict[str, Delegation] = {}
        self._raw: dict[tuple[str, str, int], dict[str, Any]] = {}

    # -- understanding and discovery ---------------------------------------------------------

    def merchant_names(self) -> list[tuple[str, str]]:
        if self._merchants is None:
            self._merchants = [
                (str(m["merchant_id"]), str(m["name"])) for m in self.agent.merchant_directory()
            ]
        return self._merchants

    def parse(self, text: str, *, options_shown: bool = False) -> tuple[str, IntentDraft]:
        draft = parse_intent(text, merchants=self.merchant_names(), options_shown=options_shown)
        intent_id = new_id("int", self._random)
        self.intents[intent_id] = draft
        return intent_id, draft

    def structure_intent(self, text: str) -> dict[str, Any]:
        intent_id, draft = self.parse(text)
        return {
            "intent_id": intent_id,
            "intent": draft.to_json(),
            "questions": [q.to_json() for q in draft.questions],
        }

    def _discover(self, context: dict[str, Any], intent_id: str | None) -> list[Candidate]:
        try:
            raw = self.agent.discover(context, intent_id=intent_id)
        except PurchaseRefused as refusal:
            raise ToolRefused(refusal.code, refusal.reason) from refusal
        found = []
        for candidate in raw:
            parsed = Candidate.from_json(candidate)
            self._raw[(parsed.merchant_id, parsed.product_id, parsed.quantity)] = candidate
            found.append(parsed)
        return found

    def item_context(self, draft: IntentDraft, item: ItemRequest) -> dict[str, Any]:
        """The CID-INT-XFR context for one asked item: the intent's limits go with it."""
        words = [item.description] + [v for k, v in item.attributes if k in ("colour", "material")]
        context: dict[str, Any] = {
            "query": " ".join(words)[:200],
            "quantity": per_purchase_quantity(draft, item),
        }
        if item.category:
            context["category"] = item.category
        selecting = {k: v for k, v in item.attributes if k in PRODUCT_ATTRIBUTES}
        if selecting:
            context["attributes"] = selecting
        constraints: dict[str, Any] = {}
        if draft.max_unit_price is not None:
            constraints["max_unit_price"] = draft.max_unit_price.to_json()
        if draft.max_total is not None:
            constraints["max_total_amount"] = draft.max_total.to_json()
        local = (item.category or "").startswith("drinks") or draft.near
        if self.location is not None and local:
            constraints["location"] = self.location.to_json()
        if draft.allowed_merchants:
            constraints["allowed_merchants"] = list(draft.allowed_merchants)
        if draft.forbidden_merchants:
            constraints["forbidden_merchants"] = list(draft.forbidden_merchants)
        if draft.max_delivery_minutes is not None:
            constraints["max_delivery_minutes"] = draft.max_delivery_minutes
        if constraints:
            context["constraints"] = constraints
        return context

    def search(
        self,
        query: str,
        *,
        category: str | None = None,
        max_unit_price: str | None = None,
        quantity: int = 1,
        attributes: Mapping[str, str] | None = None,
        limit: int = 10,
    ) -> list[dict[str, Any]]:
        context: dict[str, Any] = {"query": query, "quantity": quantity}
        if category:
            context["category"] = category
        if attributes:
            context["attributes"] = dict(attributes)
        if max_unit_price is not None:
            try:
                cap = Money.parse(str(Decimal(max_unit_price).quantize(Decimal("0.01"))), "CNY")
            except (ArithmeticError, ValueError) as e:
                raise ToolRefused("invalid-argument", "max_unit_price must be a number") from e
            context["constraints"] = {"max_unit_price": cap.to_json()}
        found = self._discover(context, None)
        return [
            {**c.to_json(), "category": c.category, "attributes": dict(c.attributes)}
            for c in found[: max(1, min(limit, 50))]
        ]

    def plan(self, intent_id: str) -> Plan:
        draft = self.intents[intent_id]
        if draft.missing:
            return Plan((), "")
        candidates = [
            self._discover(self.item_context(draft, item), intent_id) for item in draft.items
        ]
        plan = plan_options(draft, candidates)
        return plan

    def compare(self, text: str) -> dict[str, Any]:
        intent_id, draft = self.parse(text)
        plan = self.plan(intent_id)
        options = []
        for option in plan.options:
            option_id = new_id("opt", self._random)
            self.options[option_id] = (intent_id, option)
            options.append({"option_id": option_id, **option.to_json()})
        return {
            "intent_id": intent_id,
            "intent": draft.to_json(),
            "questions": [q.to_json() for q in draft.questions],
            "options": options,
            "explain": plan.explain,
        }

    def register_option(self, intent_id: str, option: Option) -> str:
        option_id = new_id("opt", self._random)
        self.options[option_id] = (intent_id, option)
        return option_id

    # -- proposal, approval, payment ----------------------------------------------------------

    def propose_cart(self, option_id: str) -> dict[str, Any]:
        if option_id not in self.options:
            raise ToolRefused("unknown-option", f"no option {option_id}: compare first")
        intent_id, option = self.options[option_id]
        offers = []
        for line in option.lines:
            raw = self._raw.get((line.merchant_id, line.product_id, line.quantity))
            if raw is None:
                raise ToolRefused("unknown-offer", f"{line.product_id} was not offered")
            offers.append(Offer.from_candidate(raw))
        proposal = Proposal(new_id("prp", self._random), intent_id, option.lines, tuple(offers))
        self.proposals[proposal.proposal_id] = proposal
        return proposal.to_json()

    def _proposal(self, proposal_id: str) -> Proposal:
        if proposal_id not in self.proposals:
            raise ToolRefused("unknown-proposal", f"no proposal {proposal_id}")
        return self.proposals[proposal_id]

    def request_approval(
        self, proposal_id: str, approver: Approver | None = None
    ) -> dict[str, Any]:
        """Ask the person; on yes their wallet signs an IAC and binds a payment token.

        A purchase request is authorized for exactly the proposal's merchants and at most its
        total; a standing order ("up to 3 ... this week") for the limits the person stated.
        """
        proposal = self._proposal(proposal_id)
        if proposal.delegation_id is not None:
            return {"approved": True, **proposal.to_json()}
        draft = self.intents[proposal.intent_id]
        now = self.clock.now()
        if draft.delegated:
            isr = build_isr(
                draft,
                intent_id=proposal.intent_id,
                agent_id=self.agent.agent_id,
                now=now,
                location=self.location,
            )
            summary = (
                f"Let the agent buy {draft.item} for you without asking each time: "
                f"at most {isr.max_total} in total"
                + (f", {isr.commerce.max_single} per purchase" if isr.commerce.max_single else "")
                + (f", {draft.max_quantity} items" if draft.max_quantity else "")
                + f", until {isr.validity_end:%Y-%m-%d %H:%M} UTC"
            )
            request = ApprovalRequest(
                "standing-order", summary, isr.max_total, isr.commerce.allowed_merchants
            )
        else:
            isr = build_isr(
                draft,
                intent_id=proposal.intent_id,
                agent_id=self.agent.agent_id,
                now=now,
                location=self.location,
                max_total=proposal.total,
                allowed_merchants=Option(proposal.lines, "").merchants,
            )
            lines = ", ".join(
                f"{c.quantity} x {c.title} ({c.merchant_name})" for c in proposal.lines
            )
            request = ApprovalRequest(
                "purchase",
                f"Pay {proposal.total} for {lines}",
                isr.max_total,
                isr.commerce.allowed_merchants,
            )
        if not (approver or self.approver)(request):
            proposal.status = "declined"
            return {"approved": False, "summary": request.summary, **proposal.to_json()}
        self.agent.record_intent(isr)
        try:
            iac = self.wallet.authorize(isr)
            token = self.wallet.bind(iac)
        except WalletError as e:
            raise ToolRefused("authorization-failed", str(e)) from e
        self.delegations[iac.delegation_id] = Delegation(
            isr, iac, token, SpendSoFar.zero(iac.currency)
        )
        proposal.delegation_id = iac.delegation_id
        proposal.status = "approved"
        return {
            "approved": True,
            "summary": request.summary,
            "mode": isr.delegation_mode.value,
            **proposal.to_json(),
        }

    def pay(self, proposal_id: str, delegation_id: str | None = None) -> dict[str, Any]:
        """Pay a proposal under the IAC its approval produced, or a standing delegation."""
        proposal = self._proposal(proposal_id)
        if proposal.status == "paid":
            raise ToolRefused("already-paid", "this proposal is paid")
        chosen = delegation_id or proposal.delegation_id
        if chosen is None or chosen not in self.delegations:
            raise ToolRefused(
                "no-valid-iac",
                "no credential the person signed covers this "
                "purchase: request their approval first",
            )
        delegation = self.delegations[chosen]
        iac = delegation.iac
        instant = iac.delegation_mode.value == "SPECIFIED"
        if instant and proposal.delegation_id != chosen:
            raise ToolRefused(
                "iac-not-for-this-proposal",
                "a single-purchase approval covers only the proposal approved",
            )
        try:
            self.agent.check_status(iac)
        except PurchaseRefused as refusal:
            raise ToolRefused(refusal.code, refusal.reason) from refusal
        problems = proposal_problems(
            delegation.isr,
            iac,
            proposal.lines,
            delegation.spent,
            payment_method=self.payment_method,
            now=self.clock.now(),
        )
        if problems:
            proposal.status = "refused"
            raise ToolRefused("outside-authorization", "; ".join(problems))
        approved_total = proposal.total if instant else None
        for line, offer in zip(proposal.lines, proposal.offers, strict=True):
            order = self._buy_line(delegation, line, offer, approved_total, instant)
            proposal.orders.append(order)
        proposal.status = "paid"
        return proposal.to_json()

    def _buy_line(
        self,
        delegation: Delegation,
        line: Candidate,
        offer: Offer,
        approved_total: Money | None,
        instant: bool,
    ) -> dict[str, Any]:
        iac = delegation.iac
        try:
            method = self.agent.negotiate(offer, iac)
            cart = self.agent.confirm(offer, iac, method)
            problems = cart_problems(cart.payload, line, approved_total)
            if problems:
                raise ToolRefused("cart-mismatch", "; ".join(problems))
            self.agent.check_cart(cart, offer, iac, delegation.spent)
            approval = None
            if instant:
                approval = self.wallet.approve(
                    cart.token, self.agent.merchant_keys(cart.merchant_id)
                )
            payment = self.agent.pay(
                mode="L1" if instant else "L2",
                payment_token=delegation.payment_token,
                iac=iac,
                cart=cart,
                approval=approval,
            )
        except PurchaseRefused as refusal:
            raise ToolRefused(refusal.code, refusal.reason) from refusal
        budget = payment.receipt_payload.get("budget")
        if isinstance(budget, dict):
            delegation.spent = SpendSoFar(
                Money.from_json(budget["spent"]), int(budget["count"]), int(budget["quantity"])
            )
        return {
            "out_trade_no": cart.out_trade_no,
            "trade_no": payment.trade_no,
            "merchant_id": cart.merchant_id,
            "amount": cart.total.to_json(),
            "mode": "L1" if instant else "L2",
        }

    def order_status(self, out_trade_no: str) -> dict[str, Any]:
        try:
            return self.agent.order_status(out_trade_no)
        except PurchaseRefused as refusal:
            raise ToolRefused(refusal.code, refusal.reason) from refusal

    def revoke(self, delegation_id: str) -> dict[str, Any]:
        if delegation_id not in self.delegations:
            raise ToolRefused("unknown-delegation", f"no delegation {delegation_id}")
        try:
            answer = self.wallet.transition(delegation_id, Transition.REVOKE)
        except WalletError as e:
            raise ToolRefused("revocation-failed", str(e)) from e
        return {"delegation_id": delegation_id, "status": answer.get("status", "Revoked")}
