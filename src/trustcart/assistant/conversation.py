"""A shopping conversation: each message moves a small state machine over the tools.

    idle ──request──> asking (questions open) ──answer──> idle/choosing
    idle ──request──> choosing (options shown) ──"the second one"/"选它"──> approving
    approving ──"yes"/"确认"──> paid (under a new IAC the person's wallet signed)
    choosing ──pick, with a standing delegation that covers it──> paid without asking
    any ──"cancel"/"算了"──> idle

An answer to a question is read together with the request it answers ("a t-shirt" + "M" is
"a t-shirt size M"); an answer to a question about an amount or a count takes the place of the
phrase asked about ("0 pearl milk teas" + "2" is "2 pearl milk teas", "under 30 USD" + "100" is
"under 100"). Nothing here pays: ``ShoppingTools.pay`` does, after every check.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trustcart.assistant.amounts import read_amounts
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.intent import IntentDraft
from trustcart.assistant.numerals import read_numeral
from trustcart.assistant.planner import Option
from trustcart.assistant.questions import Question
from trustcart.assistant.tools import ShoppingTools

_ORDINALS = (
    (re.compile(r"\b(?:first|1st|1)\b|第一|第1|一号"), 0),
    (re.compile(r"\b(?:second|2nd|two|2)\b|第二|第2|二号"), 1),
    (re.compile(r"\b(?:third|3rd|three|3)\b|第三|第3|三号"), 2),
    (re.compile(r"\b(?:last)\b|最后"), -1),
    (re.compile(r"\b(?:cheap|cheapest|cheaper)\b|便宜"), 0),
)
_SELECT = re.compile(
    r"select|pick|choose|take|want|that one|this one|it\b|the \w+ one|^\s*\d\s*$|"
    r"选|要|就|这个|那个|第",
    re.I,
)
_END = r"\s*[.!。！]?\s*$"
_YES = re.compile(
    r"^\s*(?:y|yes|yep|ok|okay|sure|approve|approved|confirm|go ahead|do it|pay|"
    r"yes,? (?:pay|please|go ahead)|确认|好|好的|是|可以|同意|买吧|付款|行)" + _END,
    re.I,
)
_NO = re.compile(r"^\s*(?:n|no|nope|cancel|stop|never ?mind|不|不要|不用了|取消|算了)" + _END, re.I)
_AGAIN = re.compile(r"\bagain\b|another one|one more|order another|再来|再买|再点", re.I)
_BARE_SIZE = re.compile(r"^\s*(xxs|xs|s|m|l|xl|xxl)\s*(?:码|号)?\s*$", re.I)


class ConversationState(StrEnum):
    IDLE = "idle"
    ASKING = "asking"  # questions are open
    CHOOSING = "choosing"  # options are shown
    APPROVING = "approving"  # a proposal awaits the person's yes or no


@dataclass
class Turn:
    """What the assistant answers to one message."""

    message: str
    draft: IntentDraft | None = None
    questions: tuple[Question, ...] = ()
    options: tuple[Option, ...] = ()
    orders: list[dict[str, Any]] = field(default_factory=list)
    refusal: ToolRefused | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "intent": None if self.draft is None else self.draft.to_json(),
            "questions": [q.to_json() for q in self.questions],
            "options": [option.to_json() for option in self.options],
            "message": self.message,
            "orders": self.orders,
            "refusal": None if self.refusal is None else self.refusal.to_json(),
        }


class Conversation:
    def __init__(self, tools: ShoppingTools) -> None:
        self.tools = tools
        self.state = ConversationState.IDLE
        self._request = ""
        self._intent_id: str | None = None
        self._option_ids: list[str] = []
        self._options: list[Option] = []
        self._proposal_id: str | None = None
        self._standing: str | None = None  # delegation id of a standing order
        self._standing_text = ""
        self._questions: tuple[Question, ...] = ()

    def say(self, text: str) -> Turn:
        text = unicodedata.normalize("NFKC", text).strip()
        if not text:
            return Turn("Tell me what you would like to buy.")
        if _NO.match(text) and self.state is not ConversationState.IDLE:
            self.state = ConversationState.IDLE
            return Turn("Cancelled; nothing was bought.")
        if self.state is ConversationState.APPROVING:
            if _YES.match(text):
                return self._approve()
            return Turn("Please answer yes to pay, or no to cancel.")
        if self._standing and _AGAIN.search(text) and self.state is not ConversationState.ASKING:
            return self._repeat_standing_order()
        if self.state is ConversationState.CHOOSING:
            index = self._selection(text)
            if index is not None:
                return self._choose(index)
        if self.state is ConversationState.ASKING:
            return self._request_turn(self._answered(text))
        return self._request_turn(text)

    # -- steps ---------------------------------------------------------------------------------

    def _request_turn(self, text: str) -> Turn:
        intent_id, draft = self.tools.parse(text, options_shown=bool(self._options))
        if draft.missing and "reference" in draft.missing and self._options:
            index = self._selection(text)
            if index is not None:
                return self._choose(index)
        self._request, self._intent_id = text, intent_id
        if draft.questions:
            self.state, self._questions = ConversationState.ASKING, draft.questions
            return Turn(" ".join(q.text for q in draft.questions), draft, draft.questions)
        try:
            plan = self.tools.plan(intent_id)
        except ToolRefused as refusal:
            self.state = ConversationState.IDLE
            return Turn(f"The marketplace refused: {refusal.reason}", draft, refusal=refusal)
        self._options = list(plan.options)
        self._option_ids = [self.tools.register_option(intent_id, o) for o in plan.options]
        if not plan.options:
            self.state = ConversationState.IDLE
            return Turn(f"I cannot find that: {plan.explain}.", draft)
        self.state = ConversationState.CHOOSING
        message = (
            f"{len(plan.options)} option(s). Say 'select it' for the first, or 'the second one'."
        )
        return Turn(message, draft, (), plan.options)

    def _answered(self, answer: str) -> str:
        """The open request with the answer put in (see the module's docstring)."""
        if _BARE_SIZE.match(answer):
            return f"{self._request} size {answer}"
        number = read_numeral(answer.strip()) is not None
        amount = number or bool(read_amounts(answer).readings)
        for question in self._questions:
            if question.span is None or question.code == "amount-currency-mixed":
                continue
            start, end = question.span
            if end > len(self._request):
                continue
            if question.code.startswith("quantity-") and number:
                replacement = answer.strip()
            elif question.code.startswith("amount-") and amount:
                chinese = re.search(r"[\u3400-\u9fff]", self._request)
                replacement = (("不超过" if chinese else "under ") if number else "") + answer
            else:
                continue
            return f"{self._request[:start]} {replacement} {self._request[end:]}"
        return f"{self._request} {answer}"

    def _selection(self, text: str) -> int | None:
        lowered = text.lower()
        if not self._options or not _SELECT.search(lowered):
            return None
        for pattern, index in _ORDINALS:
            if pattern.search(lowered):
                return index if index < len(self._options) else None
        return 0  # "select it" / "选它": the first, recommended option

    def _choose(self, index: int) -> Turn:
        option_id = self._option_ids[index]
        proposal = self.tools.propose_cart(option_id)
        self._proposal_id = str(proposal["proposal_id"])
        draft = self.tools.intents[str(proposal["intent_id"])]
        if self._standing is not None and draft.delegated:
            return self._pay(self._standing)
        self.state = ConversationState.APPROVING
        option = self._options[index]
        what = ", ".join(f"{c.quantity} x {c.title} ({c.merchant_name})" for c in option.lines)
        if draft.delegated:
            return Turn(
                f"You chose {what} for {option.total}. Authorize this standing order "
                f"({draft.text!r}) so I can buy within it without asking? (yes/no)",
                draft,
            )
        return Turn(f"Pay {option.total} for {what}? (yes/no)", draft)

    def _approve(self) -> Turn:
        assert self._proposal_id is not None  # set by _choose before "approving"
        try:
            answer = self.tools.request_approval(self._proposal_id, approver=lambda _r: True)
        except ToolRefused as refusal:
            self.state = ConversationState.IDLE
            return Turn(f"Not authorized: {refusal.reason}", refusal=refusal)
        delegation_id = str(answer["delegation_id"])
        if answer.get("mode") == "BOUNDED":
            self._standing, self._standing_text = delegation_id, self._request
        return self._pay(delegation_id)

    def _pay(self, delegation_id: str) -> Turn:
        assert self._proposal_id is not None
        self.state = ConversationState.IDLE
        try:
            paid = self.tools.pay(self._proposal_id, delegation_id)
        except ToolRefused as refusal:
            return Turn(f"Refused before paying: {refusal.code}: {refusal.reason}", refusal=refusal)
        orders = list(paid["orders"])
        numbers = ", ".join(str(o["out_trade_no"]) for o in orders)
        return Turn(
            f"Paid {paid['total']['amount']} {paid['total']['currency']}; order(s) {numbers}.",
            orders=orders,
        )

    def _repeat_standing_order(self) -> Turn:
        turn = self._request_turn(self._standing_text)
        if not turn.options:
            return turn
        return self._choose(0)
