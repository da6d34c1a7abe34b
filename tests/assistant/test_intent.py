"""Intent structuring: English and Chinese, several items, delegation, questions, robustness."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.assistant.intent import parse_intent
from trustcart.assistant.isr_draft import build_isr
from trustcart.core.money import Money
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.terms import DelegationMode

MERCHANTS = [("m_leaf_and_cup", "Leaf & Cup 叶与杯"), ("m_bobo_cha", "Bobo Cha 波波茶")]
WANDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "wands" / "query.csv"


def cny(amount: str) -> Money:
    return Money.parse(amount, "CNY")


def test_single_item_with_cap() -> None:
    draft = parse_intent("order me a pearl milk tea under 30 CNY")
    assert (draft.item, draft.category, draft.quantity) == ("pearl milk tea", "drinks/milk-tea", 1)
    assert draft.max_unit_price == cny("30")
    assert draft.max_total == cny("30")
    assert draft.complete
    assert not draft.delegated


def test_chinese_quantity_attributes_and_cap() -> None:
    draft = parse_intent("两件M码的黑色T恤，每件不超过100元")
    assert draft.items[0].quantity == 2
    assert dict(draft.items[0].attributes) == {"size": "M", "colour": "black"}
    assert draft.max_unit_price == cny("100")
    assert draft.max_total == cny("200")
    assert draft.language == "zh"


def test_several_items_keep_their_own_attributes() -> None:
    draft = parse_intent("a black t-shirt, size M, and a white cap under 100")
    assert [(i.description, dict(i.attributes)) for i in draft.items] == [
        ("t-shirt", {"colour": "black", "size": "M"}),
        ("baseball cap", {"colour": "white"}),
    ]
    drinks = parse_intent("2 large taro milk teas half sugar and a mango pomelo sago")
    assert [(i.quantity, i.attribute("size"), i.attribute("sugar")) for i in drinks.items] == [
        (2, "large", "half"),
        (1, None, None),
    ]


def test_delegation_words() -> None:
    draft = parse_intent("up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total")
    assert draft.delegated
    assert draft.max_quantity == 3
    assert draft.period is not None
    assert (draft.max_unit_price, draft.max_total) == (cny("30"), cny("80"))
    weekly = parse_intent("每周帮我买一杯珍珠奶茶，每杯不超过25元，总共100元")
    assert weekly.delegated
    assert weekly.recurring
    assert weekly.max_total == cny("100")


def test_merchants_and_delivery_time() -> None:
    draft = parse_intent("order a pearl milk tea from Leaf & Cup", merchants=MERCHANTS)
    assert draft.allowed_merchants == ("m_leaf_and_cup",)
    avoid = parse_intent("不要波波茶，来一杯奶茶", merchants=MERCHANTS)
    assert avoid.forbidden_merchants == ("m_bobo_cha",)
    assert not avoid.allowed_merchants
    fast = parse_intent("coffee delivered within 30 minutes under 25")
    assert fast.max_delivery_minutes == 30
    assert fast.max_unit_price == cny("25")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("buy a t-shirt", "size"),
        ("the cheap one", "reference"),
        ("选它", "reference"),
        ("a hat or sunglasses", "choice"),
        ("buy something nice", "item"),
        ("买点东西", "item"),
        ("every week buy me a milk tea", "budget"),
    ],
)
def test_what_is_missing_becomes_a_question(text: str, code: str) -> None:
    draft = parse_intent(text)
    assert code in draft.missing
    assert not draft.complete
    assert draft.questions[0].text


def test_reference_is_not_a_question_once_options_are_shown() -> None:
    assert "reference" not in parse_intent("the cheap one", options_shown=True).missing


def test_build_isr_instant_and_delegated() -> None:
    now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    instant = build_isr(
        parse_intent("2 pearl milk teas under 30 each"),
        intent_id="int_1",
        agent_id="agent:a",
        now=now,
    )
    assert instant.delegation_mode is DelegationMode.SPECIFIED
    assert instant.max_total == cny("60")
    assert instant.items[0].quantity == 2
    bounded = build_isr(
        parse_intent("up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total"),
        intent_id="int_2",
        agent_id="agent:a",
        now=now,
    )
    assert bounded.delegation_mode is DelegationMode.BOUNDED
    assert bounded.commerce.max_total_quantity == 3
    assert bounded.commerce.max_single == cny("30")
    narrowed = build_isr(
        parse_intent("a pearl milk tea"),
        intent_id="int_3",
        agent_id="agent:a",
        now=now,
        max_total=cny("13"),
        allowed_merchants=("m_leaf_and_cup",),
    )
    assert narrowed.max_total == cny("13")
    assert narrowed.commerce.allowed_merchants == ("m_leaf_and_cup",)


def test_build_isr_refuses_an_incomplete_intent() -> None:
    now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    with pytest.raises(InvalidCredential):
        build_isr(parse_intent("buy a t-shirt under 100"), intent_id="i", agent_id="a", now=now)
    with pytest.raises(InvalidCredential):  # no budget and none given: nothing to authorize
        build_isr(parse_intent("a pearl milk tea"), intent_id="i", agent_id="a", now=now)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parser_never_raises_and_always_answers(text: str) -> None:
    draft = parse_intent(text, merchants=MERCHANTS)
    assert draft.items or draft.questions


def test_every_wands_query_yields_an_intent_or_a_question() -> None:
    lines = WANDS.read_text(encoding="utf-8").splitlines()[1:]
    queries = [line.split("\t")[1] for line in lines]
    assert len(queries) == 480
    for query in queries:
        draft = parse_intent(query)
        assert draft.items or draft.questions, query
