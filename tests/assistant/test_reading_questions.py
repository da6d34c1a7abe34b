"""Questions about amounts and counts: documented codes, both languages, and answers that
take the place of the phrase asked about in a conversation."""

from pathlib import Path
from typing import Any

import pytest

from trustcart.assistant.conversation import Conversation
from trustcart.assistant.intent import IntentDraft, parse_intent
from trustcart.assistant.memory import InMemoryMemory
from trustcart.assistant.numerals import ReadingCode
from trustcart.assistant.planner import Plan

DOC = (Path(__file__).parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")


def test_every_reading_code_is_documented() -> None:
    assert [code.value for code in ReadingCode if f"`{code.value}`" not in DOC] == []


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("a pearl milk tea under 30 USD", "amount-currency-not-sold", "CNY"),
        ("一杯珍珠奶茶，不超过30美元", "amount-currency-not-sold", "人民币"),
        ("a pearl milk tea under -5", "amount-not-positive", "more than zero"),
        ("一杯珍珠奶茶，不超过负五元", "amount-not-positive", "大于零"),
        ("a pearl milk tea under 99999999999999999999 yuan", "amount-too-large", "1,000,000"),
        ("一杯珍珠奶茶，一亿元以内", "amount-too-large", "1,000,000"),
        ("0 pearl milk teas", "quantity-not-positive", "pearl milk tea"),
        ("零杯珍珠奶茶", "quantity-not-positive", "至少 1"),
        ("5000 pearl milk teas", "quantity-too-large", "1000"),
    ],
)
def test_questions_speak_the_persons_language(text: str, code: str, words: str) -> None:
    draft = parse_intent(text)
    assert draft.missing == (code,)
    question = draft.questions[0]
    assert words in question.text
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert chinese == (draft.language == "zh")
    assert question.to_json()["code"] == code
    assert "span" not in question.to_json()  # the span is for the conversation, not the wire


class _Tools:
    """Just enough of ShoppingTools for the conversation's asking step."""

    def __init__(self) -> None:
        self.parsed: list[str] = []
        self.memory = InMemoryMemory()

    def parse(self, text: str, *, options_shown: bool = False) -> tuple[str, IntentDraft]:
        self.parsed.append(text)
        return f"int_{len(self.parsed)}", parse_intent(text, options_shown=options_shown)

    def plan(self, intent_id: str) -> Plan:
        return Plan((), "nothing in this test market")

    def relaxed_offers(self, draft: IntentDraft, item: object) -> list[object]:
        return []  # nobody sells anything here


@pytest.mark.parametrize(
    ("first", "answer", "then"),
    [
        ("0 pearl milk teas", "2", (2, None)),
        ("99999999999999999999 pearl milk teas under 30 each", "3", (3, "30.00")),
        ("a pearl milk tea under 30 USD", "25", (1, "25.00")),
        ("a pearl milk tea under 30 USD", "25 yuan", (1, "25.00")),
        ("一杯珍珠奶茶，不超过30美元", "二十", (1, "20.00")),
        ("a pearl milk tea under -5", "under 40", (1, "40.00")),
    ],
)
def test_an_answer_takes_the_place_of_what_was_asked_about(
    first: str, answer: str, then: tuple[int, str | None]
) -> None:
    tools = _Tools()
    chat = Conversation(tools)  # type: ignore[arg-type]
    assert chat.say(first).questions
    turn = chat.say(answer)
    assert turn.draft is not None
    assert turn.questions == ()
    cap = turn.draft.max_unit_price
    assert (turn.draft.items[0].quantity, None if cap is None else cap.amount_str()) == then


def test_an_answer_that_is_not_an_amount_does_not_drop_the_question() -> None:
    chat = Conversation(_Tools())  # type: ignore[arg-type]
    assert chat.say("a pearl milk tea under 30 USD").questions
    again: Any = chat.say("a large one")
    assert [q.code for q in again.questions] == ["amount-currency-not-sold"]
