"""The shopping tools: the only way the conversation, the MCP server, an LLM and the demo act.

    structure_intent          words -> structured intent and the questions still open
    search                    one CID-INT-XFR query, candidates with their offers
    compare                   intent -> 1..3 options with reasons (planner)
    compare_offers            one product at every shop, best delivered total first
    propose_cart              an option -> a proposal, checked against the intent
    request_approval          the person approves a proposal: an IAC and a bound payment token
    authorize_standing_order  the person approves a standing order (a BOUNDED delegation)
    pay                       log the decision, confirm carts, check them, pay through the PSP
    order_status              the merchant's view of an order
    revoke                    the person revokes a credential

Rules kept: ``pay`` needs an IAC the person signed (``request_approval`` for one purchase, or a
standing delegation); without one it refuses, and so does every check after it (status at each
hop, the proposal and the signed cart against the ISR and the IAC, the PSP's own checks). The
approver is the person: the default says no. Words: the catalog vocabulary (``catalog_words``),
else the lexicon. Answers are JSON; refusals are ``ToolRefused`` with a stable code; credentials
and purchases are kept in the person's ``Memory``. Paying: ``paying``; UCP lines: ``ucp.agent``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.catalog_words import CatalogWords, CatalogWordsCache
from trustcart.assistant.context import intent_context
from trustcart.assistant.decisions import PresentedOptions, log_presented, log_refusal
from trustcart.assistant.errors import ToolCode, ToolRefused, WalletError
from trustcart.assistant.intent import IntentDraft, ItemRequest, parse_intent
from trustcart.assistant.isr_draft import build_isr
from trustcart.assistant.memory import InMemoryMemory, Memory, RecordKind
from trustcart.assistant.offers import Offer
from trustcart.assistant.paying import buy_line, check_proposal, covering_delegation, tool_refusal
from trustcart.assistant.planner import Option, Plan, plan_options
from trustcart.assistant.price_compare import cheaper_elsewhere
from trustcart.assistant.proposals import (
    ApprovalRequest,
    Approver,
    Delegation,
    Proposal,
    ProposalStatus,
    Purchase,
    deny_all,
    purchase_request,
    standing_order_request,
)
from trustcart.assistant.records import delegation_record, load_records, purchase_record
from trustcart.assistant.shortfall import relaxed_context
from trustcart.assistant.ucp.agent import approval_isr, quote_lines
from trustcart.assistant.wallet import Wallet
from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delegation.isr import ISR, Location
from trustcart.delegation.lifecycle import Transition

MAX_SEARCH_RESULTS = 50
DECISION_RULE = "the option the person chose, among 1-3 the planner ranked"


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
        memory: Memory | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.agent = agent
        self.wallet = wallet
        self.clock = clock
        self.location = location
        self.approver = approver
        self.payment_method = payment_method
        self._random = random_bytes
        self._merchants: list[tuple[str, str]] | None = None
        self._words = CatalogWordsCache(agent.catalog_vocabulary, clock)
        self.intents: dict[str, IntentDraft] = {}
        self.options: dict[str, tuple[str, Option]] = {}
        self.proposals: dict[str, Proposal] = {}
        self.delegations: dict[str, Delegation] = {}
        self.purchases: dict[str, Purchase] = {}  # by the merchant's order number
        self.memory: Memory = memory or InMemoryMemory()
        # What planning showed per intent and its compute, logged once the intent is confirmed.
        self.presented: dict[str, PresentedOptions] = {}
        self._timer = timer

    # -- understanding and discovery ---------------------------------------------------------

    def merchant_names(self) -> list[tuple[str, str]]:
        if self._merchants is None:
            self._merchants = [
                (str(m["merchant_id"]), str(m["name"])) for m in self.agent.merchant_directory()
            ]
        return self._merchants

    def catalog_words(self) -> CatalogWords:
        """The marketplace's catalog words (kept a while), else the built-in lexicon."""
        return self._words.current()

    def parse(self, text: str, *, options_shown: bool = False) -> tuple[str, IntentDraft]:
        draft = parse_intent(
            text,
            merchants=self.merchant_names(),
            options_shown=options_shown,
            words=self.catalog_words(),
        )
        return self.register_intent(draft), draft

    def register_intent(self, draft: IntentDraft) -> str:
        """Keep a draft (parsed, or refined in a conversation) under a new intent id."""
        intent_id = new_id("int", self._random)
        self.intents[intent_id] = draft
        return intent_id

    def structure_intent(self, text: str) -> dict[str, Any]:
        intent_id, draft = self.parse(text)
        return {
            "intent_id": intent_id,
            "intent": draft.to_json(),
            "questions": [q.to_json() for q in draft.questions],
        }

    def _discover(self, context: Mapping[str, Any], intent_id: str | None) -> list[Offer]:
        try:
            return self.agent.discover(context, intent_id=intent_id)
        except PurchaseRefused as refusal:
            raise tool_refusal(refusal) from refusal

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
                raise ToolRefused(
                    ToolCode.INVALID_ARGUMENT, "max_unit_price must be a number"
                ) from e
            context["constraints"] = {"max_unit_price": cap.to_json()}
        found = self._discover(context, None)
        return [
            {**offer.to_json(), "category": offer.category, "attributes": dict(offer.attributes)}
            for offer in found[: max(1, min(limit, MAX_SEARCH_RESULTS))]
        ]

    def plan(self, intent_id: str) -> Plan:
        draft = self.intents[intent_id]
        if draft.missing:
            return Plan((), "")
        started = self._timer()
        offers = [
            self._discover(intent_context(draft, item, self.location), intent_id)
            for item in draft.items
        ]
        plan = plan_options(draft, offers)
        self.presented[intent_id] = PresentedOptions.of(plan, offers, self._timer() - started)
        return plan

    def relaxed_offers(self, draft: IntentDraft, item: ItemRequest) -> list[Offer]:
        """The offers of ``item`` without the person's limits (to say which one excluded what)."""
        try:
            return self.agent.discover(relaxed_context(draft, item, self.location))
        except PurchaseRefused:
            return []

    def register_option(self, intent_id: str, option: Option) -> str:
        option_id = new_id("opt", self._random)
        self.options[option_id] = (intent_id, option)
        return option_id

    def compare(self, text: str) -> dict[str, Any]:
        intent_id, draft = self.parse(text)
        plan = self.plan(intent_id)
        options = [
            {"option_id": self.register_option(intent_id, option), **option.to_json()}
            for option in plan.options
        ]
        return {
            "intent_id": intent_id,
            "intent": draft.to_json(),
            "questions": [q.to_json() for q in draft.questions],
            "options": options,
            "explain": plan.explain,
        }

    def compare_offers(self, product_id: str) -> dict[str, Any]:
        """``product_id`` at every shop that sells it (and delivers to the person), best
        delivered total first, and whether it is cheaper elsewhere than where it was shown."""
        try:
            comparison = self.agent.compare_offers(product_id, self.location)
        except PurchaseRefused as refusal:
            raise tool_refusal(refusal) from refusal
        elsewhere = cheaper_elsewhere(comparison, product_id)
        return {
            **comparison.to_json(),
            "cheaper_elsewhere": None if elsewhere is None else elsewhere.to_json(),
        }

    # -- proposal and approval ----------------------------------------------------------------

    def propose_cart(self, option_id: str) -> dict[str, Any]:
        if option_id not in self.options:
            raise ToolRefused(ToolCode.UNKNOWN_OPTION, f"no option {option_id}: compare first")
        intent_id, option = self.options[option_id]
        lines = quote_lines(self.agent, option.lines)  # a UCP line is priced by its business
        proposal = Proposal(new_id("prp", self._random), intent_id, lines)
        self.proposals[proposal.proposal_id] = proposal
        return proposal.to_json()

    def proposal(self, proposal_id: str) -> Proposal:
        if proposal_id not in self.proposals:
            raise ToolRefused(ToolCode.UNKNOWN_PROPOSAL, f"no proposal {proposal_id}")
        return self.proposals[proposal_id]

    def _standing_isr(self, intent_id: str, draft: IntentDraft) -> tuple[ISR, ApprovalRequest]:
        isr = build_isr(
            draft,
            intent_id=intent_id,
            agent_id=self.agent.agent_id,
            now=self.clock.now(),
            location=self.location,
        )
        return isr, standing_order_request(str(draft.item), draft.max_quantity, isr)

    def _authorize(self, isr: ISR) -> Delegation:
        """The person's wallet signs the IAC and binds a payment token to it."""
        self.agent.record_intent(isr)
        log_presented(self.agent, isr.intent_id, self.presented.get(isr.intent_id))
        try:
            iac = self.wallet.authorize(isr)
            token = self.wallet.bind(iac)
        except WalletError as e:
            raise tool_refusal(e) from e
        delegation = Delegation(isr, iac, token, SpendSoFar.zero(iac.currency))
        self.delegations[iac.delegation_id] = delegation
        self.memory.record(RecordKind.DELEGATION, iac.delegation_id, delegation_record(delegation))
        return delegation

    def all_delegations(self) -> list[Delegation]:
        """Every credential the person signed: this run's and those their memory keeps."""
        remembered, _ = load_records(self.memory)
        for delegation in remembered:
            self.delegations.setdefault(delegation.iac.delegation_id, delegation)
        return list(self.delegations.values())

    def request_approval(
        self, proposal_id: str, approver: Approver | None = None
    ) -> dict[str, Any]:
        """Ask the person; on yes their wallet signs an IAC and binds a payment token.

        A purchase request is authorized for exactly the proposal's merchants and at most its
        total; a standing order ("up to 3 ... this week") for the limits the person stated.
        """
        proposal = self.proposal(proposal_id)
        if proposal.delegation_id is not None:
            return {"approved": True, **proposal.to_json()}
        draft = self.intents[proposal.intent_id]
        if draft.delegated:
            isr, request = self._standing_isr(proposal.intent_id, draft)
        else:
            isr = build_isr(
                draft,
                intent_id=proposal.intent_id,
                agent_id=self.agent.agent_id,
                now=self.clock.now(),
                location=self.location,
                max_total=proposal.total,
                allowed_merchants=Option(proposal.lines, "").merchants,
            )
            isr = approval_isr(isr, proposal.lines)  # BOUNDED for one purchase with UCP lines
            request = purchase_request(proposal.lines, proposal.total, isr)
        if not (approver or self.approver)(request):
            proposal.move(ProposalStatus.DECLINED)
            return {"approved": False, "summary": request.summary, **proposal.to_json()}
        delegation = self._authorize(isr)
        proposal.delegation_id = delegation.iac.delegation_id
        proposal.move(ProposalStatus.APPROVED)
        return {
            "approved": True,
            "summary": request.summary,
            "mode": isr.delegation_mode.value,
            **proposal.to_json(),
        }

    def authorize_standing_order(
        self, text: str, approver: Approver | None = None
    ) -> dict[str, Any]:
        """A standing order in the person's words ("up to 3 milk teas this week, at most 30
        each, 80 in total") becomes a BOUNDED delegation, if the person approves it."""
        intent_id, draft = self.parse(text)
        if not draft.delegated or draft.missing:
            raise ToolRefused(
                ToolCode.NOT_A_STANDING_ORDER,
                "say what to buy, how often or how many, and the limits "
                "(e.g. 'up to 3 milk teas this week, 80 in total')",
            )
        isr, request = self._standing_isr(intent_id, draft)
        if not (approver or self.approver)(request):
            raise ToolRefused(ToolCode.DECLINED, "the person did not approve the standing order")
        delegation = self._authorize(isr)
        return {
            "delegation_id": delegation.iac.delegation_id,
            "intent_id": intent_id,
            "summary": request.summary,
            "mode": isr.delegation_mode.value,
        }

    # -- payment ------------------------------------------------------------------------------

    def pay(self, proposal_id: str, delegation_id: str | None = None) -> dict[str, Any]:
        """Pay a proposal under the IAC its approval produced, or a standing delegation.

        A refusal under a known credential is logged (decision-logged, stage ``refused``).
        """
        try:
            return self._pay(proposal_id, delegation_id)
        except ToolRefused as refusal:
            proposal = self.proposals.get(proposal_id)
            chosen = delegation_id or (proposal.delegation_id if proposal else None)
            log_refusal(self.agent, refusal, proposal, self.delegations.get(chosen or ""))
            raise

    def _pay(self, proposal_id: str, delegation_id: str | None) -> dict[str, Any]:
        proposal = self.proposal(proposal_id)
        if proposal.status is ProposalStatus.PAID:
            raise ToolRefused(ToolCode.ALREADY_PAID, "this proposal is paid")
        chosen = delegation_id or proposal.delegation_id
        if chosen is not None and chosen not in self.delegations:
            self.all_delegations()  # a standing order signed in an earlier session
        delegation = covering_delegation(proposal, self.delegations, chosen)
        iac = delegation.iac
        check_proposal(
            self.agent,
            proposal,
            delegation,
            payment_method=self.payment_method,
            now=self.clock.now(),
        )
        self.agent.log_decision(
            iac, proposal.lines, considered=len(proposal.lines), rule=DECISION_RULE
        )
        for line in proposal.lines:
            purchase = buy_line(
                self.agent, self.wallet, proposal, delegation, line, ask=self.approver
            )
            proposal.purchases.append(purchase)
            self.purchases[purchase.cart.out_trade_no] = purchase
            self.memory.record(
                RecordKind.PURCHASE, purchase.cart.out_trade_no, purchase_record(purchase)
            )
        proposal.move(ProposalStatus.PAID)
        return proposal.to_json()

    # -- after the purchase ---------------------------------------------------------------------

    def order_status(self, out_trade_no: str) -> dict[str, Any]:
        try:
            return self.agent.order_status(out_trade_no)
        except PurchaseRefused as refusal:
            raise tool_refusal(refusal) from refusal

    def revoke(self, delegation_id: str) -> dict[str, Any]:
        if delegation_id not in self.delegations:
            self.all_delegations()
        if delegation_id not in self.delegations:
            raise ToolRefused(ToolCode.UNKNOWN_DELEGATION, f"no delegation {delegation_id}")
        try:
            answer = self.wallet.transition(delegation_id, Transition.REVOKE)
        except WalletError as e:
            raise tool_refusal(e, ToolCode.REVOCATION_FAILED) from e
        return {"delegation_id": delegation_id, "status": answer.get("status", "Revoked")}
