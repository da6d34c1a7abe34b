"""Whole conversations on the seeded store (every role on loopback): the issue's examples.

Each conversation checks what was shown against the words said, not against fixed products:
"make it large" shows only large ones within the cap, "in white" only white ones of the same
kind, "cheaper" only lower delivered totals (or says honestly there are none), and so on.
"""

import re
from decimal import Decimal

import pytest

from trustcart.assistant.conversation import Conversation, Turn
from trustcart.assistant.tools import ShoppingTools

CJK = re.compile(r"[\u3400-\u9fff]")


def _lines(turn: Turn) -> list[dict[str, object]]:
    return [line for option in turn.to_json()["options"] for line in option["items"]]


def _offers(turn: Turn):  # type: ignore[no-untyped-def]
    return [line for option in turn.options for line in option.lines]


def _is_search_result(turn: Turn) -> bool:
    return bool(turn.options) or turn.shortfall is not None


def test_make_it_large_proposes_only_large_ones_within_the_cap(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    assert chat.say("a pearl milk tea under 30").options
    large = chat.say("make it large")
    assert large.options
    for line in _offers(large):
        assert line.attributes["size"] == "large"
        assert line.unit_price.minor <= 3000
        assert line.category == "drinks/milk-tea"
    assert large.draft is not None
    assert large.draft.max_unit_price is not None
    assert large.draft.max_unit_price.amount_str() == "30.00"


def test_large_in_chinese_too(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    first = chat.say("一杯30元以内的珍珠奶茶")
    assert first.options
    assert CJK.search(first.message)
    large = chat.say("大杯")
    assert large.options
    assert all(line.attributes["size"] == "large" for line in _offers(large))
    assert all(line.unit_price.minor <= 3000 for line in _offers(large))
    assert all("大杯" in str(line["title"]) for line in _lines(large))  # title_zh shown


def test_in_white_keeps_the_t_shirts_and_the_closest_one_proposes_a_t_shirt(
    tools: ShoppingTools,
) -> None:
    chat = Conversation(tools)
    shirts = chat.say("a t-shirt size L under 200")
    assert shirts.options
    white = chat.say("in white please")
    assert white.options, white.message
    for line in _offers(white):
        assert line.category == "apparel/t-shirt"
        assert line.attributes["colour"] == "white"
        assert line.attributes["size"] == "l"
    proposal = chat.say("the closest one")
    assert proposal.awaiting is not None, proposal.message
    assert proposal.awaiting.lines[0].category == "apparel/t-shirt"
    assert "Phone Case" not in proposal.message
    assert chat.say("cancel").message.startswith("Cancelled")


@pytest.mark.parametrize("cheaper", ["有没有更便宜的？", "cheaper one please"])
def test_cheaper_searches_again_and_the_options_stay_referable(
    tools: ShoppingTools, cheaper: str
) -> None:
    chat = Conversation(tools)
    first = chat.say("a large pearl milk tea under 30")
    assert len(first.options) >= 2
    cheapest_shown = min(o.total.minor for o in first.options)
    answer = chat.say(cheaper)
    assert "not found" not in answer.message.lower()
    assert "Nothing has been shown" not in answer.message
    if answer.options:  # a cheaper delivered total than the option in focus
        assert all(o.total.minor < first.options[0].total.minor for o in answer.options)
    else:
        assert str(Decimal(cheapest_shown) / 100) in answer.message.replace("元", " CNY")
    shown = answer.options or first.options
    second = chat.say("the second one" if len(shown) > 1 else "the first one")
    assert second.awaiting is not None, second.message
    assert second.awaiting.lines == shown[1 if len(shown) > 1 else 0].lines


@pytest.mark.parametrize("compare", ["compare the first two", "比较一下前两个"])
def test_compare_the_first_two_side_by_side(tools: ShoppingTools, compare: str) -> None:
    chat = Conversation(tools)
    first = chat.say("a pearl milk tea under 30")
    assert len(first.options) >= 2
    side = chat.say(compare)
    assert [row["option"] for row in side.comparison] == [1, 2]
    for row, shown in zip(side.comparison, first.options, strict=False):
        assert row["total"] == shown.total.to_json()
        assert row["delivery_minutes"] == shown.lines[0].delivery_minutes
        assert row["merchants"] == [shown.lines[0].merchant_id]
    for shown in first.options[:2]:
        line = shown.lines[0]
        assert line.merchant_name in side.message
        assert line.total.amount_str() in side.message
        assert str(line.delivery_minutes) in side.message
    assert bool(CJK.search(side.message.split("\n")[0])) == compare.startswith("比")
    after = chat.say("the second one")
    assert after.awaiting is not None
    assert after.awaiting.lines == first.options[1].lines


def test_ordinals_in_both_languages(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    first = chat.say("a pearl milk tea under 30")
    assert len(first.options) == 3
    cheapest = min(first.options, key=lambda o: o.total.minor)
    for said, wanted in (
        ("第二个", first.options[1]),
        ("last one", first.options[2]),
        ("the cheapest one", cheapest),
    ):
        proposed = chat.say(said).awaiting
        assert proposed is not None, said
        assert proposed.lines == wanted.lines, said
    assert chat.say("no").message.startswith("Cancelled")


@pytest.mark.parametrize("answer", ["sunglasses", "the second", "墨镜"])
def test_an_answer_to_a_choice_is_taken_as_that_answer(tools: ShoppingTools, answer: str) -> None:
    chat = Conversation(tools)
    asked = chat.say("a hat or sunglasses")
    assert [q.code for q in asked.questions] == ["choice"]
    assert "cancel" in asked.message
    chosen = chat.say(answer)
    assert not chosen.questions, chosen.message
    assert chosen.draft is not None
    assert [item.description for item in chosen.draft.items] == ["sunglasses"]
    assert all(line.category == "accessories/eyewear" for line in _offers(chosen))


def test_a_question_offers_cancel_in_chinese_and_cancel_gets_out(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    asked = chat.say("帽子还是墨镜")
    assert "取消" in asked.message
    assert chat.say("嗯").questions  # not an answer: the question stands
    assert chat.say("取消").message == "已取消，没有购买任何东西。"


@pytest.mark.parametrize(
    ("text", "words"),
    [("help", "You can say"), ("帮助", "您可以说"), ("what can I say?", "compare the first two")],
)
def test_help_lists_what_one_can_say(tools: ShoppingTools, text: str, words: str) -> None:
    turn = Conversation(tools).say(text)
    assert words in turn.message
    assert not _is_search_result(turn)


@pytest.mark.parametrize(
    "text",
    ["revoke", "撤销授权", "show my orders", "what is the status of my order?", "my delegations"],
)
def test_records_are_not_product_searches(tools: ShoppingTools, text: str) -> None:
    turn = Conversation(tools).say(text)
    assert not _is_search_result(turn), turn.message
    assert turn.draft is None
    assert not turn.questions


def test_chinese_request_gets_chinese_replies_titles_and_prompts(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    first = chat.say("帮我点两杯芋泥奶茶，每杯不超过25元")
    assert first.options
    assert CJK.search(first.message)
    assert "Say" not in first.message
    assert all(CJK.search(str(line["title"])) for line in _lines(first))
    assert all(CJK.search(option["reason"]) for option in first.to_json()["options"])
    approve = chat.say("选它")
    assert "确认" in approve.message
    assert "Say" not in approve.message
    assert chat.say("取消").language == "zh"


def test_nothing_fits_says_which_limit_excluded_what(tools: ShoppingTools) -> None:
    english = Conversation(tools).say("a pearl milk tea under 5 yuan")
    assert not english.options
    assert re.search(r"\d shops sell pearl milk tea; the cheapest is [\d.]+ CNY", english.message)
    assert "above your 5.00 CNY" in english.message
    assert english.shortfall is not None
    assert english.shortfall.code == "price-each"
    chinese = Conversation(tools).say("一杯5元以内的珍珠奶茶")
    assert re.search(r"有\d家店卖珍珠奶茶，最便宜的是", chinese.message)
    water = Conversation(tools).say("two bottles of sparkling water")
    assert "is does" not in water.message
    assert not water.options


def test_faster_another_shop_and_not_that_brand(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    first = chat.say("a pearl milk tea under 30")
    focus = first.options[0].lines[0]
    faster = chat.say("faster delivery")
    assert faster.options, faster.message
    assert all(line.delivery_minutes < focus.delivery_minutes for line in _offers(faster))
    focus = faster.options[0].lines[0]
    elsewhere = chat.say("换一家")
    if elsewhere.options:
        assert all(line.merchant_id != focus.merchant_id for line in _offers(elsewhere))
        assert all(
            line.delivery_minutes < first.options[0].lines[0].delivery_minutes
            for line in _offers(elsewhere)
        )
    shirts = Conversation(tools)
    shown = shirts.say("a black t-shirt size M under 200")
    brand = shown.options[0].lines[0].brand
    assert brand
    other = shirts.say("not that brand")
    assert other.options, other.message
    assert all(line.brand != brand for line in _offers(other))
    assert all(line.attributes["colour"] == "black" for line in _offers(other))


def test_a_refusal_is_explained_in_words_and_keeps_its_code(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    chat.say("up to 2 pearl milk teas this week, at most 25 each, 60 in total")
    assert chat.say("the first one").awaiting is not None
    assert chat.say("yes").orders
    assert chat.say("again").orders
    third = chat.say("again")
    assert not third.orders
    assert third.refusal is not None
    assert third.refusal.code == "outside-authorization"
    assert "over-quantity" in third.refusal.reasons
    assert "over-quantity" not in third.message
    assert "number of items allowed" in third.message
    assert third.to_json()["refusal"]["reasons"] == list(third.refusal.reasons)
    revoked = chat.say("revoke the standing order")
    assert revoked.message.startswith("Revoked dlg_")
    delegation_id = revoked.message.split()[1]
    listed = chat.say("my delegations").delegations
    assert next(d for d in listed if d["delegation_id"] == delegation_id)["status"] == "Revoked"
    spent = next(d for d in listed if d["delegation_id"] == delegation_id)
    assert spent["purchases"] == 2
    assert spent["budget_from"] is not None  # the PSP's own signed figure


def test_a_conversation_goes_on_in_a_new_session_object(tools: ShoppingTools) -> None:
    first = Conversation(tools)
    shown = first.say("a pearl milk tea under 30")
    assert first.say("make it large").options
    again = Conversation(tools, session_id=first.session_id)
    assert again.resumed
    proposal = again.say("the second one")
    assert proposal.awaiting is not None
    assert proposal.awaiting.lines[0].attributes["size"] == "large"
    resumed = Conversation(tools, session_id=first.session_id)
    assert resumed.state.value == "approving"
    assert resumed.say("no").message.startswith("Cancelled")
    assert shown.options


@pytest.mark.parametrize(
    ("request_text", "answer"), [("每周帮我买一杯奶茶", "80"), ("a milk tea every week", "80 yuan")]
)
def test_a_budget_answer_is_a_total(tools: ShoppingTools, request_text: str, answer: str) -> None:
    chat = Conversation(tools)
    assert [q.code for q in chat.say(request_text).questions] == ["budget"]
    answered = chat.say(answer)
    assert not answered.questions, answered.message
    assert answered.draft is not None
    assert answered.draft.delegated
    assert answered.draft.max_total is not None
    assert answered.draft.max_total.amount_str() == "80.00"


def test_a_whole_new_request_replaces_the_open_question(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    assert chat.say("a pearl milk tea under 30 USD").questions
    again = chat.say("a pearl milk tea under 30 yuan")
    assert not again.questions
    assert again.draft is not None
    assert [item.description for item in again.draft.items] == ["pearl milk tea"]
    assert again.options
