"""The state of a conversation: a transition table, what was shown, what is pending; and turns.

    idle ──ask──> asking ──ask/show/nothing──> ...
    any ──show──> choosing (options shown; ordinals, compare and refinements refer to them)
    choosing ──propose──> approving (an option awaits the person's yes or no)
    approving ──reconsider──> choosing (another option, a comparison or a refinement instead)
    choosing/approving ──settle──> idle (paid, or refused after the person's yes)
    asking/choosing/approving ──cancel──> idle
    any ──nothing──> idle (a new request found nothing)

An illegal move raises ``DialogueError`` and changes nothing. ``DialogueState`` is everything a
later session needs to go on (``to_json``/``from_json``, explicit JSON): the standing request
as the person's words plus the refinements resolved so far (``refinements.Change``), the
options shown (full offers), which one is in focus, the option awaiting approval, the standing
order bought "again". Ids handed out by the tools (intent, option, proposal) are not kept: they
are made again from this state when needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from trustcart.assistant.errors import AssistantError, ToolRefused
from trustcart.assistant.intent import IntentDraft
from trustcart.assistant.offers import Offer
from trustcart.assistant.planner import Option
from trustcart.assistant.questions import Question
from trustcart.assistant.refinements import Change
from trustcart.assistant.replies import reason_in
from trustcart.assistant.shortfall import Shortfall

SNAPSHOT_VERSION = 1


class DialogueError(AssistantError):
    """An illegal move of the conversation's state machine, or an unreadable snapshot."""


class ConversationState(StrEnum):
    IDLE = "idle"
    ASKING = "asking"  # questions are open
    CHOOSING = "choosing"  # options are shown
    APPROVING = "approving"  # a proposal awaits the person's yes or no


class Move(StrEnum):
    ASK = "ask"
    SHOW = "show"
    NOTHING = "nothing"
    PROPOSE = "propose"
    RECONSIDER = "reconsider"
    SETTLE = "settle"
    CANCEL = "cancel"


_S = ConversationState
TRANSITIONS: dict[tuple[ConversationState, Move], ConversationState] = {
    **{(state, Move.ASK): _S.ASKING for state in _S},
    **{(state, Move.SHOW): _S.CHOOSING for state in _S},
    **{(state, Move.NOTHING): _S.IDLE for state in _S},
    (_S.CHOOSING, Move.PROPOSE): _S.APPROVING,
    (_S.APPROVING, Move.PROPOSE): _S.APPROVING,
    (_S.APPROVING, Move.RECONSIDER): _S.CHOOSING,
    (_S.CHOOSING, Move.SETTLE): _S.IDLE,  # a standing order pays without asking
    (_S.APPROVING, Move.SETTLE): _S.IDLE,
    (_S.ASKING, Move.CANCEL): _S.IDLE,
    (_S.CHOOSING, Move.CANCEL): _S.IDLE,
    (_S.APPROVING, Move.CANCEL): _S.IDLE,
}


def next_state(state: ConversationState, move: Move) -> ConversationState:
    """The state after ``move``; ``DialogueError`` if the table does not allow it."""
    try:
        return TRANSITIONS[(state, move)]
    except KeyError:
        raise DialogueError(f"a conversation that is {state} cannot {move}") from None


@dataclass(frozen=True)
class StandingRequest:
    """The request being shopped for: the person's words and the refinements since."""

    text: str
    changes: tuple[Change, ...] = ()

    def with_change(self, change: Change) -> StandingRequest:
        return replace(self, changes=(*self.changes, change))

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "changes": [c.to_json() for c in self.changes]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StandingRequest:
        return cls(str(obj["text"]), tuple(Change.from_json(c) for c in obj.get("changes", [])))


def _option_json(option: Option) -> dict[str, Any]:
    return {"lines": [line.to_record() for line in option.lines], "reason": option.reason}


def _option_from_json(obj: Mapping[str, Any]) -> Option:
    return Option(tuple(Offer.from_record(line) for line in obj["lines"]), str(obj["reason"]))


@dataclass
class DialogueState:
    state: ConversationState = ConversationState.IDLE
    language: str = "en"
    request: StandingRequest | None = None
    options: list[Option] = field(default_factory=list)
    focus: int = 0
    pending: int | None = None  # the option awaiting approval
    standing_delegation: str | None = None  # a standing order signed in this conversation
    standing_request: StandingRequest | None = None
    # A standing order awaiting yes: its words and the terms shown (``recurring_chat``).
    recurring: dict[str, Any] | None = None
    basket: dict[str, Any] | None = None  # a basket awaiting approval (``basket_talk``)

    def move(self, move: Move) -> None:
        self.state = next_state(self.state, move)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SNAPSHOT_VERSION,
            "state": self.state.value,
            "language": self.language,
            "request": None if self.request is None else self.request.to_json(),
            "options": [_option_json(o) for o in self.options],
            "focus": self.focus,
            "pending": self.pending,
            "standing_delegation": self.standing_delegation,
            "standing_request": None
            if self.standing_request is None
            else self.standing_request.to_json(),
            "recurring": self.recurring,
            "basket": self.basket,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> DialogueState:
        """Read a snapshot back; ``DialogueError`` if it is not one this version wrote."""
        try:
            if obj.get("version") != SNAPSHOT_VERSION:
                raise DialogueError(f"unknown snapshot version {obj.get('version')!r}")
            request, standing = obj.get("request"), obj.get("standing_request")
            options = [_option_from_json(o) for o in obj.get("options", [])]
            pending = obj.get("pending")
            focus = int(obj.get("focus", 0))
            if pending is not None and not 0 <= int(pending) < len(options):
                raise DialogueError("the pending option is not among those shown")
            return cls(
                state=ConversationState(obj["state"]),
                language="zh" if obj.get("language") == "zh" else "en",
                request=None if request is None else StandingRequest.from_json(request),
                options=options,
                focus=focus if 0 <= focus < max(1, len(options)) else 0,
                pending=None if pending is None else int(pending),
                standing_delegation=None
                if obj.get("standing_delegation") is None
                else str(obj["standing_delegation"]),
                standing_request=None if standing is None else StandingRequest.from_json(standing),
                recurring=None if obj.get("recurring") is None else dict(obj["recurring"]),
                basket=dict(obj["basket"]) if isinstance(obj.get("basket"), dict) else None,
            )
        except DialogueError:
            raise
        except (KeyError, TypeError, ValueError, AssistantError) as e:
            raise DialogueError(f"the conversation snapshot cannot be read: {e}") from e


def _awaiting(option: Option, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "items": [
            {
                "product_id": line.product_id,
                "title": line.title,
                "title_zh": line.title_zh,
                "merchant_id": line.merchant_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price.to_json(),
            }
            for line in option.lines
        ],
        "total": option.total.to_json(),
    }


@dataclass
class Turn:
    """What the assistant answers to one message."""

    message: str
    draft: IntentDraft | None = None
    questions: tuple[Question, ...] = ()
    options: tuple[Option, ...] = ()
    orders: list[dict[str, Any]] = field(default_factory=list)
    refusal: ToolRefused | None = None
    language: str = "en"
    awaiting: Option | None = None  # the option awaiting the person's yes or no
    awaiting_kind: str = "purchase"
    comparison: list[dict[str, Any]] = field(default_factory=list)
    delegations: list[dict[str, Any]] = field(default_factory=list)
    shortfall: Shortfall | None = None
    session_id: str = ""
    paid: bool = False  # this turn paid the orders in ``orders``
    standing_order: dict[str, Any] | None = None  # ``recurring_chat.RecurringAnswer.body``
    basket: dict[str, Any] | None = None  # a basket's split, totals and orders (``basket_talk``)

    def _common(self) -> dict[str, Any]:
        return {
            "intent": None if self.draft is None else self.draft.to_json(),
            "questions": [q.to_json() for q in self.questions],
            "options": [
                {**option.to_json(self.language), "reason": reason_in(option.reason, self.language)}
                for option in self.options
            ],
        }

    def _extras(self) -> dict[str, Any]:
        return {
            "awaiting_approval": None
            if self.awaiting is None
            else _awaiting(self.awaiting, self.awaiting_kind),
            "orders": self.orders,
            "refusal": None if self.refusal is None else self.refusal.to_json(),
            "language": self.language,
            "comparison": self.comparison,
            "delegations": self.delegations,
            "shortfall": None if self.shortfall is None else self.shortfall.to_json(),
            "session": self.session_id,
            "standing_order": self.standing_order,
            "basket": self.basket,
        }

    def to_json(self) -> dict[str, Any]:
        """The turn as ``chat --once --json`` prints it."""
        return {**self._common(), "message": self.message, **self._extras()}

    def to_jsonl(self) -> dict[str, Any]:
        """The turn as one line of ``chat --jsonl`` (see the README)."""
        return {"reply": self.message, **self._common(), **self._extras()}
