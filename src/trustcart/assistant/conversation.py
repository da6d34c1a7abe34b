"""A shopping conversation: each message moves a small state machine over the tools.

The states and their table are in ``dialogue`` (idle, asking, choosing, approving). Each message
is read first as a follow-up (``followups.read_followup``: help, cancel, yes, an ordinal, a
comparison, a refinement, "again", the person's records); what is not one is a new request for
the intent parser, or the answer to the open question:

* an answer takes the place of what was asked: "a hat or sunglasses" + "sunglasses" (or "the
  second") is "a sunglasses"; "a t-shirt" + "M" is "a t-shirt size M"; "0 pearl milk teas" +
  "2" is "2 pearl milk teas"; a standing order's budget "80" is "80 in total";
* a refinement changes the standing request and searches again ("make it large", "cheaper",
  "换一家"); when nothing fits, the options shown before stay, and the reply says which limit
  excluded what (``shortfall``);
* ordinals ("the second one", "第二个", "last one"), picks ("the cheapest one") and
  comparisons ("compare the first two") refer to the options shown;
* "my orders", "我的订单", "my delegations", "revoke the standing order", "撤销授权" answer from
  the person's records (``records.ShopperRecords``) in any state;
* standing orders ("restock X every month under 40", "my standing orders", "stop the paper
  order") are answered by ``recurring_chat`` first, when a shell sets ``recurring``.

Every reply is in the language of the message (``replies``); refusals are sentences with their
code kept in JSON. After each turn the state is saved in the person's ``Memory`` under the
session id, so a later ``Conversation(tools, session_id=...)`` goes on where this one stopped.
Nothing here pays: ``ShoppingTools.pay`` does, after every check.
"""

from __future__ import annotations

import unicodedata

from trustcart.assistant.answers import answered, chosen_alternative, picked
from trustcart.assistant.basket_talk import BasketTalk
from trustcart.assistant.dialogue import (
    ConversationState,
    DialogueState,
    Move,
    StandingRequest,
    Turn,
)
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.followups import FollowUp, FollowUpKind, language_of, read_followup
from trustcart.assistant.intent import IntentDraft
from trustcart.assistant.intent_words import find_items
from trustcart.assistant.memory import Memory
from trustcart.assistant.planner import Option, Plan
from trustcart.assistant.questions import Question
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.records_talk import answer_about_records
from trustcart.assistant.recurring_chat import RecurringChat
from trustcart.assistant.refinements import CannotRefine, refined, resolve
from trustcart.assistant.refusal_words import refusal_sentence
from trustcart.assistant.replies import compare_shown, help_text, lines_text, say
from trustcart.assistant.shortfall import Shortfall, shortfall
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.ids import new_id
from trustcart.core.money import Money

__all__ = ["Conversation", "ConversationState", "Turn"]

_RECORDS = (
    FollowUpKind.ORDERS,
    FollowUpKind.ORDER_STATUS,
    FollowUpKind.DELEGATIONS,
    FollowUpKind.REVOKE,
)


class Conversation:
    recurring: RecurringChat | None = None  # standing orders (``recurring_chat``), set by a shell

    def __init__(
        self, tools: ShoppingTools, *, session_id: str | None = None, memory: Memory | None = None
    ) -> None:
        self.tools = tools
        self.memory = memory or tools.memory
        self.session_id = session_id or new_id("cnv")
        snapshot = self.memory.load_conversation(session_id) if session_id else None
        self.resumed = snapshot is not None
        self.dialogue = DialogueState.from_json(snapshot) if snapshot else DialogueState()
        self._draft: IntentDraft | None = None
        self._intent_id: str | None = None
        self._option_ids: dict[int, str] = {}
        self._proposal_id: str | None = None
        self._baskets = BasketTalk(tools, self.dialogue, self.session_id)

    @property
    def state(self) -> ConversationState:
        return self.dialogue.state

    @property
    def language(self) -> str:
        return self.dialogue.language

    def say(self, text: str) -> Turn:
        """Answer one message (never raises on odd input) and save the conversation."""
        text = unicodedata.normalize("NFKC", text).strip()
        self.dialogue.language = language_of(text, self.dialogue.language)
        if not text:
            turn = self._turn(say("empty", self.language))
        else:
            followup = read_followup(text, category=self._focus_category(), language=self.language)
            try:
                turn = self._recurring(text, followup) or self._dispatch(text, followup)
            except ToolRefused as refusal:
                turn = self._refused("not-paid", refusal)
        if self.recurring is not None:
            self.recurring.tell_news(turn)  # "since we last talked: bought ..."
        if self.state is ConversationState.APPROVING and self.dialogue.pending is not None:
            turn.awaiting = self.dialogue.options[self.dialogue.pending]
            turn.awaiting_kind = "standing-order" if self._current_delegated() else "purchase"
        self.memory.save_conversation(self.session_id, self.dialogue.to_json())
        return turn

    # -- reading the message in its state ------------------------------------------------------

    def _dispatch(self, text: str, followup: FollowUp) -> Turn:
        kind, state = followup.kind, self.state
        if kind is FollowUpKind.HELP:
            return self._turn(help_text(self.language), draft=self._draft)
        if kind is FollowUpKind.CANCEL:
            return self._cancel()
        if kind in _RECORDS:
            return self._records(followup)
        if state is ConversationState.ASKING:
            return self._answer(text, followup)
        if state is ConversationState.APPROVING and kind is FollowUpKind.YES:
            return self._approve()
        if kind is FollowUpKind.YES:
            return self._turn(say("nothing-to-approve", self.language))
        if kind is FollowUpKind.AGAIN:
            return self._again(text)
        if self.dialogue.options:
            if kind is FollowUpKind.SELECT:
                return self._choose(followup)
            if kind is FollowUpKind.COMPARE:
                return self._compare(followup.indices)
            if kind is FollowUpKind.REFINE:
                return self._refine(followup, text)
        elif kind is FollowUpKind.COMPARE and not find_items(text.lower()):
            return self._turn(say("compare-nothing", self.language))
        if state is ConversationState.APPROVING and not find_items(text.lower()):
            return self._turn(say("yes-or-no", self.language))
        return self._request_turn(text)

    def _recurring(self, text: str, followup: FollowUp) -> Turn | None:
        """A standing order proposed, signed, listed or stopped (``recurring_chat``), or None."""
        found = self.recurring.answer(text, followup, self.dialogue) if self.recurring else None
        if found is not None and found.action == "proposed":  # what was shown is dropped
            self._forget_options()
            self._draft = self._intent_id = None
        return None if found is None else self._turn(found.message, **found.turn_values())

    def _focus_category(self) -> str | None:
        options = self.dialogue.options
        if options:
            return options[min(self.dialogue.focus, len(options) - 1)].lines[0].category
        draft = self._current()
        return None if draft is None or not draft.items else draft.items[0].category

    def _current(self) -> IntentDraft | None:
        """The standing request as a draft (parsed again after a resume)."""
        request = self.dialogue.request
        if self._draft is None and request is not None:
            self._intent_id, self._draft = self._parsed(request)
        return self._draft

    def _parsed(
        self, request: StandingRequest, *, options_shown: bool = False
    ) -> tuple[str, IntentDraft]:
        """The request's intent id and draft: its words parsed, its refinements applied."""
        intent_id, parsed = self.tools.parse(request.text, options_shown=options_shown)
        if not request.changes:
            return intent_id, parsed
        draft = refined(parsed, request.changes)
        return self.tools.register_intent(draft), draft

    def _current_delegated(self) -> bool:
        draft = self._current()
        return draft is not None and draft.delegated

    def _turn(self, message: str, **values: object) -> Turn:
        turn = Turn(message, language=self.language, session_id=self.session_id)
        for name, value in values.items():
            setattr(turn, name, value)
        return turn

    def _refused(self, key: str, refusal: ToolRefused) -> Turn:
        why = refusal_sentence(refusal.code, refusal.reasons, self.language)
        return self._turn(say(key, self.language, why=why), refusal=refusal, draft=self._draft)

    def _forget_options(self) -> None:
        self.dialogue.options, self.dialogue.focus, self.dialogue.pending = [], 0, None
        self._option_ids, self._proposal_id, self.dialogue.basket = {}, None, None

    # -- requests, answers and refinements -----------------------------------------------------

    def _request_turn(self, text: str, request: StandingRequest | None = None) -> Turn:
        basket = None if request is not None and request.changes else self._baskets.read(text)
        request = request or StandingRequest(text)
        if basket is not None:  # several items or a dish: one basket, one approval
            self._forget_options()
            self.dialogue.request, self._draft = request, None
            return self._baskets.show(basket, self.language)
        self._intent_id, draft = self._parsed(request, options_shown=bool(self.dialogue.options))
        self._draft = draft
        self.dialogue.request = request
        self._forget_options()
        if draft.questions:
            self.dialogue.move(Move.ASK)
            return self._asking(draft.questions, draft)
        try:
            plan = self.tools.plan(self._intent_id)
        except ToolRefused as refusal:
            self.dialogue.move(Move.NOTHING)
            return self._refused("marketplace-refused", refusal)
        if not plan.options:
            self.dialogue.move(Move.NOTHING)
            missing = self._shortfall(draft, plan)
            why = missing.text(self.language) if missing else self._explain(plan)
            return self._turn(
                say("nothing-fits", self.language, why=why), draft=draft, shortfall=missing
            )
        return self._show(plan, draft)

    def _show(self, plan: Plan, draft: IntentDraft, prefix: str = "") -> Turn:
        self.dialogue.move(Move.SHOW)
        self.dialogue.options, self.dialogue.focus = list(plan.options), 0
        message = prefix + say("options", self.language, count=len(plan.options))
        return self._turn(message, draft=draft, options=plan.options)

    def _asking(self, questions: tuple[Question, ...], draft: IntentDraft | None) -> Turn:
        message = " ".join(q.text for q in questions) + say("cancel-hint", self.language)
        return self._turn(message, draft=draft, questions=questions)

    def _explain(self, plan: Plan) -> str:
        if self.language == "zh":
            return "没有找到符合您要求的商品。"
        return f"I cannot find that: {plan.explain or 'nothing fits'}."

    def _shortfall(self, draft: IntentDraft, plan: Plan) -> Shortfall | None:
        """Ask once more without the person's limits, to say which one excluded what."""
        found: Shortfall | None = None
        for item in draft.items:
            found = shortfall(draft, item, self.tools.relaxed_offers(draft, item), plan.explain)
            if found.code != "other":
                return found
        return found

    def _answer(self, text: str, followup: FollowUp) -> Turn:
        draft = self._current()
        request = self.dialogue.request
        if draft is None or request is None:
            return self._request_turn(text)
        choice = next((q for q in draft.questions if q.code == "choice" and q.choices), None)
        if choice is not None:
            chosen = chosen_alternative(choice, text, followup)
            if chosen is not None and choice.span is not None:
                start, end = choice.span
                return self._request_turn(f"{request.text[:start]}{chosen}{request.text[end:]}")
            if find_items(text.lower()):
                return self._request_turn(text)  # not one of them: a new request
            return self._asking(draft.questions, draft)
        asked_items = {m.word.query for m in find_items(request.text.lower())}
        answered_items = {m.word.query for m in find_items(text.lower())}
        if answered_items:  # a whole request again, or another item altogether: a new request
            _, alone = self.tools.parse(text)
            if not alone.questions or not answered_items & asked_items:
                return self._request_turn(text)
        return self._request_turn(answered(request.text, draft.questions, text))

    def _refine(self, followup: FollowUp, text: str) -> Turn:
        assert followup.refinement is not None
        assert self.dialogue.request is not None
        focus = self.dialogue.options[min(self.dialogue.focus, len(self.dialogue.options) - 1)]
        if self.state is ConversationState.APPROVING:
            self.dialogue.move(Move.RECONSIDER)
            self.dialogue.pending, self._proposal_id = None, None
        try:
            change = resolve(followup.refinement, text, focus)
        except CannotRefine as e:
            key = "cannot-refine-brand" if e.what == "brand" else "cannot-refine-merchant"
            return self._turn(say(key, self.language, title=focus.lines[0].title_in(self.language)))
        request = self.dialogue.request.with_change(change)
        intent_id, draft = self._parsed(request)
        plan = self.tools.plan(intent_id)
        if plan.options:
            self._draft, self._intent_id, self.dialogue.request = draft, intent_id, request
            self._forget_options()
            return self._show(plan, draft, say("refined", self.language, change=text))
        if change.below_total is not None and not change.attributes:
            message = say("nothing-cheaper", self.language, total=change.below_total)
            return self._turn(message, draft=draft)
        if change.faster_than is not None and not change.attributes:
            message = say("nothing-faster", self.language, minutes=change.faster_than)
            return self._turn(message, draft=draft)
        missing = self._shortfall(draft, plan)
        why = missing.text(self.language) if missing else self._explain(plan)
        return self._turn(
            say("refine-failed", self.language, why=why), draft=draft, shortfall=missing
        )

    # -- choosing, comparing, approving, paying ------------------------------------------------

    def _index(self, followup: FollowUp) -> int | None:
        options = self.dialogue.options
        if followup.pick is not None:
            return picked(options, followup.pick)
        index = self.dialogue.focus if followup.index is None else followup.index
        index = len(options) - 1 if index == -1 else index
        return index if 0 <= index < len(options) else None

    def _choose(self, followup: FollowUp) -> Turn:
        index = self._index(followup)
        count = len(self.dialogue.options)
        if index is None:
            return self._turn(say("no-such-option", self.language, count=count))
        return self._propose(index)

    def _propose(self, index: int) -> Turn:
        draft = self._current()
        assert draft is not None
        assert self._intent_id is not None
        if self.state is ConversationState.APPROVING:
            self.dialogue.move(Move.RECONSIDER)
        option = self.dialogue.options[index]
        self.dialogue.focus = index
        if index not in self._option_ids:
            self._option_ids[index] = self.tools.register_option(self._intent_id, option)
        proposal = self.tools.propose_cart(self._option_ids[index])
        self._proposal_id = str(proposal["proposal_id"])
        standing = self.dialogue.standing_delegation
        if standing is not None and draft.delegated:
            return self._pay(standing)
        self.dialogue.move(Move.PROPOSE)
        self.dialogue.pending = index
        quoted = self.tools.proposal(self._proposal_id)  # a UCP line: its business's quote
        self.dialogue.options[index] = Option(quoted.lines, option.reason)  # shown as approved
        lines = lines_text(quoted.lines, self.language)
        if draft.delegated:
            message = say(
                "approve-standing",
                self.language,
                lines=lines,
                total=quoted.total,
                request=draft.text,
            )
        else:
            message = say("approve", self.language, lines=lines, total=quoted.total)
        return self._turn(message, draft=draft)

    def _compare(self, indices: tuple[int, ...]) -> Turn:
        text, rows = compare_shown(self.dialogue.options, indices, self.language)
        return self._turn(text, draft=self._draft if rows else None, comparison=rows)

    def _approve(self) -> Turn:
        if self.dialogue.basket is not None:
            return self._baskets.pay(self.language)
        pending = self.dialogue.pending
        assert pending is not None  # set whenever the state is "approving"
        if self._proposal_id is None:  # a resumed conversation: propose the same option again
            self.dialogue.move(Move.RECONSIDER)
            self._propose(pending)
        assert self._proposal_id is not None
        try:
            answer = self.tools.request_approval(self._proposal_id, approver=lambda _r: True)
        except ToolRefused as refusal:
            self.dialogue.move(Move.SETTLE)
            self._forget_options()
            return self._refused("not-authorized", refusal)
        delegation_id = str(answer["delegation_id"])
        if answer.get("mode") == "BOUNDED":
            self.dialogue.standing_delegation = delegation_id
            self.dialogue.standing_request = self.dialogue.request
        return self._pay(delegation_id)

    def _pay(self, delegation_id: str) -> Turn:
        assert self._proposal_id is not None
        proposal_id, draft = self._proposal_id, self._draft
        self.dialogue.move(Move.SETTLE)
        self._forget_options()
        try:
            paid = self.tools.pay(proposal_id, delegation_id)
        except ToolRefused as refusal:
            return self._refused("not-paid", refusal)
        orders = list(paid["orders"])
        total = Money.from_json(paid["total"])
        numbers = ", ".join(str(o["out_trade_no"]) for o in orders)
        message = say("paid", self.language, total=total, orders=numbers)
        return self._turn(message, orders=orders, draft=draft, paid=True)

    def _again(self, text: str) -> Turn:
        standing, request = self.dialogue.standing_delegation, self.dialogue.standing_request
        if standing is not None and request is not None:
            turn = self._request_turn(request.text, request)
            return self._propose(0) if turn.options else turn
        if find_items(text.lower()):
            return self._request_turn(text)
        if self.dialogue.request is not None:  # one more of what was just shopped for
            return self._request_turn(self.dialogue.request.text, self.dialogue.request)
        return self._turn(say("again-nothing", self.language))

    def _cancel(self) -> Turn:
        if self.state is ConversationState.IDLE:
            return self._turn(say("nothing-to-cancel", self.language))
        self.dialogue.move(Move.CANCEL)
        self._forget_options()
        self.dialogue.request, self._draft, self._intent_id = None, None, None
        return self._turn(say("cancelled", self.language))

    # -- the person's records ------------------------------------------------------------------

    def _records(self, followup: FollowUp) -> Turn:
        answer = answer_about_records(
            ShopperRecords(self.tools), followup, self.language, self.dialogue.standing_delegation
        )
        if answer.revoked is not None and answer.revoked == self.dialogue.standing_delegation:
            self.dialogue.standing_delegation = self.dialogue.standing_request = None
        return self._turn(
            answer.message,
            orders=answer.orders,
            delegations=answer.delegations,
            refusal=answer.refusal,
        )
