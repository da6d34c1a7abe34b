"""Standing orders in a conversation: propose, sign on yes, list, stop, and what was bought.

"restock printer paper every month under 40" (or "每月补货奶茶粉，40元以内") is read by
``standing_words.read_standing_order``; the conversation then shows what would be signed (item,
period, per-period cap, total cap, end date) and what it would buy now at what price, and waits
for one yes. On yes the same code as ``trustcart standing add`` signs it
(``StandingOrders.create``: the wallet signs one recurring L2 delegation), the first period is
run at once if due (``StandingOrders.run_due(only=...)``, the same claim as the scheduler's, so
a scheduler running at that moment cannot buy the period twice) and the turn reports it.
Anything else than yes or no drops the proposal; nothing is signed without the yes.

Rules kept:

* words with a total budget or a count ("up to 3 milk teas every week, 80 in total") stay the
  conversation's budgeted delegation (``conversation``'s delegated mode), as before; a
  recurrence with a per-period cap alone is a standing order;
* when nothing matches now (the catalog has no printer paper) the proposal says so plainly and
  still offers to set it up: each period searches again and buys only what fits its cap;
* "my standing orders" lists the orders with their status and runs (when there are none it is
  left to the delegations follow-up); "stop the paper order", "取消每月的订单" revoke the
  matching order's delegation in the wallet (several matches: the person is asked which);
* runs finished since the person was last told (the scheduler's, cron's) are prefixed to the
  next turn ("since we last talked: bought ... for ... (order ...)"), each once: the run ids
  told are kept in the person's ``Memory`` (``RecordKind.RUN_SHOWN``).

The turn's JSON gets ``standing_order`` (see ``RecurringAnswer.body``); no other key changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trustcart.assistant.dialogue import ConversationState, DialogueState, Move, Turn
from trustcart.assistant.errors import ToolCode, ToolRefused
from trustcart.assistant.followups import FollowUp, FollowUpKind
from trustcart.assistant.memory import RecordKind
from trustcart.assistant.proposals import ApprovalRequest, Approver, Delegation
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.recurring_words import (
    every,
    is_listing,
    run_sentence,
    say,
    stop_target,
)
from trustcart.assistant.refusal_words import refusal_sentence
from trustcart.assistant.standing import (
    Authorize,
    RunOutcome,
    StandingOrder,
    StandingOrders,
    StandingRun,
    cheapest_within,
)
from trustcart.assistant.standing_words import StandingOrderWords, read_standing_order
from trustcart.core.clock import format_instant
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.delegation.isr import ISR

if TYPE_CHECKING:
    from trustcart.assistant.tools import ShoppingTools


def signed_in_wallet(tools: ShoppingTools, approve: Approver) -> Authorize:
    """The person's yes (``approve``), then their wallet signs the recurring IAC."""

    def authorize(isr: ISR, request: ApprovalRequest) -> Delegation:
        if not approve(request):
            raise ToolRefused(ToolCode.DECLINED, "the person did not approve the standing order")
        # The tools' own signing step (wallet signs the IAC, PSP binds a token, memory keeps
        # it); ShoppingTools is at its size limit, so its one private entry point is used.
        return tools._authorize(isr)

    return authorize


def _terms(words: StandingOrderWords) -> dict[str, Any]:
    return {
        "item": words.item,
        "period": words.period,
        "period_cap": words.period_cap.to_json(),
        "max_total": words.max_total.to_json(),
        "ends": format_instant(words.end),
    }


def _same_terms(terms: Mapping[str, Any], shown: Mapping[str, Any]) -> bool:
    """The same item, period and caps (the end moves with the clock by the seconds between)."""
    return all(terms[k] == shown.get(k) for k in ("item", "period", "period_cap", "max_total"))


def budgeted(words: StandingOrderWords) -> bool:
    """Words that set a total or a count: the conversation's budgeted delegation, not this."""
    draft = words.draft
    unit, total = draft.max_unit_price, draft.max_total
    # "under 40" alone caps the unit and the total alike; a total of its own is a budget.
    own_total = unit is not None and total is not None and total != unit * draft.quantity
    return own_total or draft.max_quantity is not None


@dataclass
class RecurringAnswer:
    """A turn about standing orders; ``body`` is the turn's ``standing_order`` JSON."""

    message: str
    action: str
    terms: dict[str, Any] | None = None
    now: dict[str, Any] | None = None
    orders: list[dict[str, Any]] = field(default_factory=list)
    runs: list[StandingRun] = field(default_factory=list)
    paid: list[dict[str, Any]] = field(default_factory=list)  # the turn's orders (evidence)
    refusal: ToolRefused | None = None

    def turn_values(self) -> dict[str, Any]:
        """The ``Turn`` fields this answer sets (besides the message)."""
        return {
            "standing_order": self.body(),
            "orders": self.paid,
            "paid": bool(self.paid),
            "refusal": self.refusal,
        }

    def body(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "terms": self.terms,
            "now": self.now,
            "orders": self.orders,
            "runs": [run.to_json() for run in self.runs],
            "news": [],
        }


class RecurringChat:
    """Standing orders for one person's conversations (``Conversation.recurring``)."""

    def __init__(self, tools: ShoppingTools, orders: StandingOrders) -> None:
        self.tools = tools
        self.orders = orders

    # -- reading a message ---------------------------------------------------------------------

    def answer(
        self, text: str, followup: FollowUp, dialogue: DialogueState
    ) -> RecurringAnswer | None:
        """The answer if ``text`` is about standing orders, else None (the conversation's)."""
        language = dialogue.language
        pending, dialogue.recurring = dialogue.recurring, None
        if pending is not None and followup.kind is FollowUpKind.YES:
            return self._sign(str(pending["text"]), pending["terms"], dialogue)
        if pending is not None and followup.kind is FollowUpKind.CANCEL:
            return RecurringAnswer(say("declined", language), "declined")
        if is_listing(text):
            return self._listing(language)
        target = stop_target(text)
        if target is not None:
            return self._stop(target.words, target.period, language)
        words = read_standing_order(text, now=self.tools.clock.now())
        if words is None or budgeted(words):
            return None
        if dialogue.state is not ConversationState.IDLE:
            dialogue.move(Move.NOTHING)  # what was shown or pending before is dropped
        dialogue.request, dialogue.recurring = None, {"text": text, "terms": _terms(words)}
        return self._proposal(words, language)

    # -- proposing and signing -----------------------------------------------------------------

    def _proposal(self, words: StandingOrderWords, language: str) -> RecurringAnswer:
        cap = words.period_cap
        try:
            options = list(self.tools.compare(words.item)["options"])
        except ToolRefused:
            options = []  # the marketplace refused the search: nothing to show now
        chosen = cheapest_within(options, cap)
        now: dict[str, Any] | None = None
        if chosen is not None:
            line = chosen["items"][0]
            price = Money.from_json(chosen["total"])
            said = say(
                "now-fits",
                language,
                title=line["title"],
                merchant=line["merchant_name"],
                price=price,
            )
            now = {"title": line["title"], "merchant_id": line["merchant_id"], "fits": True}
            now["total"] = chosen["total"]
        elif options:
            cheapest = min(options, key=lambda o: Money.from_json(o["total"]).minor)
            price, title = Money.from_json(cheapest["total"]), cheapest["items"][0]["title"]
            said = say("now-above", language, cap=cap, title=title, price=price)
            now = {"title": title, "merchant_id": cheapest["items"][0]["merchant_id"]}
            now |= {"total": cheapest["total"], "fits": False}
        else:
            said = say("now-nothing", language, item=words.item)
        message = say(
            "propose",
            language,
            item=words.item,
            every=every(words.period, language),
            cap=cap,
            total=words.max_total,
            end=f"{words.end:%Y-%m-%d}",
            now=said,
        )
        return RecurringAnswer(message, "proposed", terms=_terms(words), now=now)

    def _sign(
        self, text: str, shown: Mapping[str, Any], dialogue: DialogueState
    ) -> RecurringAnswer:
        now, language = self.tools.clock.now(), dialogue.language
        words = read_standing_order(text, now=now)
        if words is None or not _same_terms(_terms(words), shown):
            # A boundary passed since the proposal (the number of periods, so the total, moved):
            # what would be signed is not what the person saw, so they see it again.
            dialogue.recurring = None if words is None else {"text": text, "terms": _terms(words)}
            if words is None:
                return RecurringAnswer(say("declined", language), "declined")
            again = self._proposal(words, language)
            again.message = f"{say('changed', language)} {again.message}"
            return again
        try:
            order, delegation = self.orders.create(
                text,
                signed_in_wallet(self.tools, lambda _request: True),  # the person said yes
                intent_id=new_id("int"),
                agent_id=self.tools.agent.agent_id,
                now=now,
            )
        except ToolRefused as refusal:
            why = refusal_sentence(refusal.code, refusal.reasons, language)
            return RecurringAnswer(say("not-signed", language, why=why), "refused", refusal=refusal)
        runs = self.orders.run_due(now, only=order.order_id)
        self.mark_shown(runs)
        first = (
            " ".join(run_sentence(r, order.item, language) for r in runs)
            if runs
            else say("first-not-due", language)
        )
        first = first[:1].upper() + first[1:]
        paid = [
            self.tools.purchases[r.out_trade_no].to_json()
            for r in runs
            if r.outcome is RunOutcome.PAID and r.out_trade_no in self.tools.purchases
        ]
        message = say(
            "signed",
            language,
            order=order.order_id,
            delegation=delegation.iac.delegation_id,
            first=first,
        )
        iac = delegation.iac
        return RecurringAnswer(
            message,
            "signed",
            terms={**_terms(words), "max_total": iac.max_total.to_json()}
            | {"ends": format_instant(iac.validity_end)},
            orders=[self._order_json(order, {delegation.iac.delegation_id: delegation})],
            runs=runs,
            paid=paid,
        )

    # -- listing and stopping ------------------------------------------------------------------

    def _delegations(self) -> dict[str, Delegation]:
        return {d.iac.delegation_id: d for d in self.tools.all_delegations()}

    def _order_json(
        self, order: StandingOrder, delegations: Mapping[str, Delegation]
    ) -> dict[str, Any]:
        delegation = delegations.get(order.delegation_id)
        rule = None if delegation is None else delegation.iac.commerce.recurrence
        status = (
            "unknown"
            if delegation is None
            else ShopperRecords(self.tools).credential_status(delegation)
        )
        return {
            "order_id": order.order_id,
            "delegation_id": order.delegation_id,
            "item": order.item,
            "words": None if delegation is None else delegation.isr.user_intent_raw,
            "period": None if rule is None else rule.period,
            "period_cap": None if rule is None else rule.period_cap.to_json(),
            "status": status,
        }

    def _line(self, order: Mapping[str, Any], language: str) -> str:
        cap = "?" if order["period_cap"] is None else Money.from_json(order["period_cap"])
        return say(
            "order-line",
            language,
            order=order["order_id"],
            item=order["item"],
            every=every(str(order["period"]), language),
            cap=cap,
            status=order["status"],
            delegation=order["delegation_id"],
        )

    def _listing(self, language: str) -> RecurringAnswer | None:
        orders = self.orders.orders()
        if not orders:
            return None  # no standing order: "my standing orders" lists the delegations
        delegations = self._delegations()
        listed = [self._order_json(order, delegations) for order in orders]
        runs = self.orders.runs()
        lines = []
        for order in listed:
            lines.append(f"- {self._line(order, language)}")
            lines += [
                f"  {run_sentence(r, str(order['item']), language)}"
                for r in runs
                if r.order_id == order["order_id"]
            ]
        self.mark_shown(runs)
        message = say("listed", language, lines="\n".join(lines))
        return RecurringAnswer(message, "listed", orders=listed, runs=runs)

    def _stop(self, names: tuple[str, ...], period: str | None, language: str) -> RecurringAnswer:
        delegations = self._delegations()
        active = [
            o
            for o in (self._order_json(order, delegations) for order in self.orders.orders())
            if o["status"] == "Active"
        ]
        matching = [
            o
            for o in active
            if (period is None or o["period"] == period)
            and all(n in f"{o['item']} {o['words'] or ''}".lower() for n in names)
        ]
        if len(matching) != 1:
            key = "stop-which" if matching else "stop-none"
            lines = "\n".join(f"- {self._line(o, language)}" for o in matching or active)
            known = lines if active else say("none-active", language)
            message = say(key, language, lines=lines, known=known)
            return RecurringAnswer(message, "not-stopped", orders=matching or active)
        chosen = matching[0]
        try:
            self.tools.revoke(str(chosen["delegation_id"]))
        except ToolRefused as refusal:
            why = refusal_sentence(refusal.code, refusal.reasons, language)
            message = say("not-stopped", language, why=why)
            return RecurringAnswer(message, "not-stopped", orders=[chosen], refusal=refusal)
        chosen = {**chosen, "status": "Revoked"}
        message = say(
            "stopped",
            language,
            order=chosen["order_id"],
            item=chosen["item"],
            delegation=chosen["delegation_id"],
        )
        return RecurringAnswer(message, "stopped", orders=[chosen])

    # -- what was bought since the person was last told -----------------------------------------

    def mark_shown(self, runs: list[StandingRun]) -> None:
        for run in runs:
            if run.outcome is not RunOutcome.RUNNING:
                self.tools.memory.record(RecordKind.RUN_SHOWN, run.run_id, {"run_id": run.run_id})

    def news(self, language: str) -> tuple[str, list[StandingRun]]:
        """Runs finished and not yet told (and now marked told), and the sentence for them."""
        shown = {str(r["run_id"]) for r in self.tools.memory.records(RecordKind.RUN_SHOWN)}
        fresh = [
            r
            for r in self.orders.runs()
            if r.outcome is not RunOutcome.RUNNING and r.run_id not in shown
        ]
        if not fresh:
            return "", []
        items = {order.order_id: order.item for order in self.orders.orders()}
        lines = "; ".join(run_sentence(r, items.get(r.order_id, ""), language) for r in fresh)
        self.mark_shown(fresh)
        return say("since", language, lines=lines), fresh

    def tell_news(self, turn: Turn) -> None:
        """Prefix ``turn`` with the runs not yet told; add them to its ``standing_order``."""
        said, fresh = self.news(turn.language)
        if not fresh:
            return
        turn.message = f"{said}\n{turn.message}"
        body = turn.standing_order or RecurringAnswer("", "news").body()
        turn.standing_order = {**body, "news": [run.to_json() for run in fresh]}
