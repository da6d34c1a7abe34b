"""The conversation's state machine and its snapshot (pure): the table refuses illegal moves
and changes nothing; a snapshot reads back exactly; a damaged one is refused, not guessed."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.offers import offer, option
from trustcart.assistant.dialogue import (
    TRANSITIONS,
    ConversationState,
    DialogueError,
    DialogueState,
    Move,
    StandingRequest,
    Turn,
    next_state,
)
from trustcart.assistant.refinements import Change
from trustcart.core.money import Money

S = ConversationState


@pytest.mark.parametrize(
    ("state", "move", "after"),
    [
        (S.IDLE, Move.SHOW, S.CHOOSING),
        (S.IDLE, Move.ASK, S.ASKING),
        (S.ASKING, Move.SHOW, S.CHOOSING),
        (S.CHOOSING, Move.PROPOSE, S.APPROVING),
        (S.APPROVING, Move.RECONSIDER, S.CHOOSING),
        (S.APPROVING, Move.SETTLE, S.IDLE),
        (S.CHOOSING, Move.SETTLE, S.IDLE),
        (S.APPROVING, Move.CANCEL, S.IDLE),
        (S.CHOOSING, Move.NOTHING, S.IDLE),
    ],
)
def test_legal_moves(state: ConversationState, move: Move, after: ConversationState) -> None:
    assert next_state(state, move) is after


@pytest.mark.parametrize(
    ("state", "move"),
    [
        (S.IDLE, Move.PROPOSE),  # nothing shown to choose from
        (S.ASKING, Move.PROPOSE),
        (S.IDLE, Move.SETTLE),  # nothing to pay
        (S.ASKING, Move.SETTLE),
        (S.IDLE, Move.CANCEL),
        (S.CHOOSING, Move.RECONSIDER),
        (S.IDLE, Move.RECONSIDER),
    ],
)
def test_illegal_moves_raise_and_change_nothing(state: ConversationState, move: Move) -> None:
    dialogue = DialogueState(state=state)
    with pytest.raises(DialogueError):
        dialogue.move(move)
    assert dialogue.state is state


def test_only_a_chosen_option_can_be_settled() -> None:
    # Paying (settle) is reachable only from states where an option was chosen.
    assert {s for (s, m) in TRANSITIONS if m is Move.SETTLE} == {S.CHOOSING, S.APPROVING}


def _state() -> DialogueState:
    shown = [
        option(offer("p1", "m_leaf", "19.00", "13.00", coupons=("满15减6",), brand="Leaf")),
        option(offer("p2", "m_pearl", "16.00", attributes={"size": "large"}, distance=None)),
    ]
    request = StandingRequest(
        "a pearl milk tea under 30",
        (
            Change("make it large", attributes=(("size", "large"),), category="drinks/milk-tea"),
            Change("cheaper", below_total=Money.parse("16.00", "CNY")),
        ),
    )
    return DialogueState(
        state=S.APPROVING,
        language="zh",
        request=request,
        options=shown,
        focus=1,
        pending=1,
        standing_delegation="dlg_x",
        standing_request=request,
    )


def test_a_snapshot_reads_back_exactly_through_json_text() -> None:
    state = _state()
    text = json.dumps(state.to_json(), ensure_ascii=False)
    assert DialogueState.from_json(json.loads(text)) == state


@pytest.mark.parametrize(
    "damage",
    [
        {"version": 99},
        {"state": "paying"},
        {"pending": 5},
        {"options": [{"lines": [{"product_id": "p1"}], "reason": ""}]},
        {"request": {"changes": []}},
    ],
)
def test_a_damaged_snapshot_is_refused(damage: dict[str, object]) -> None:
    snapshot = {**_state().to_json(), **damage}
    with pytest.raises(DialogueError):
        DialogueState.from_json(snapshot)


@given(st.sampled_from(list(S)), st.integers(0, 1), st.sampled_from(["en", "zh"]))
def test_any_state_round_trips(state: ConversationState, focus: int, language: str) -> None:
    dialogue = _state()
    dialogue.state, dialogue.focus, dialogue.language = state, focus, language
    assert DialogueState.from_json(dialogue.to_json()) == dialogue


def test_a_jsonl_turn_has_the_documented_shape() -> None:
    tea = offer("p1", "m_leaf", "19.00", "13.00")
    turn = Turn("为1份珍珠奶茶支付13.00元？", language="zh", options=(option(tea),))
    turn.awaiting = option(tea)
    line = turn.to_jsonl()
    assert list(line)[:5] == ["reply", "intent", "questions", "options", "awaiting_approval"]
    assert line["options"][0]["items"][0]["title"] == "珍珠奶茶"  # the shop's Chinese title
    assert line["options"][0]["reason"] == "券后总价最低"
    approval = line["awaiting_approval"]
    assert set(approval["items"][0]) >= {
        "product_id",
        "title",
        "merchant_id",
        "quantity",
        "unit_price",
    }
    assert approval["total"] == {"amount": "13.00", "currency": "CNY"}
    assert Turn("hi").to_jsonl()["awaiting_approval"] is None
