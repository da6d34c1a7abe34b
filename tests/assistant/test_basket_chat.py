"""Baskets in the conversation on the seeded store (every role on loopback, SQLite).

A two-merchant basket is shown with its split and paid after ONE yes: one IAC, one approval,
one all-or-nothing payment, the PSP balance down by exactly the delivered total. Over the cap
nothing is asked and nothing paid; an edited snapshot that would have the person approve less
than the carts cost is refused by the checks, nothing paid; what no shop sells is named; the
CLI prints a ``basket`` object next to the existing keys and goes on with ``--session``.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.assistant.conversation import Conversation
from trustcart.assistant.dialogue import ConversationState
from trustcart.assistant.tools import ShoppingTools
from trustcart.cli.app import app
from trustcart.core.money import Money
from trustcart.local.deployment import Deployment
from trustcart.local.persona import ACCOUNT_ID

TEAS = "2 pearl milk teas and a cheese tea, under 60 in total"


def test_a_two_merchant_basket_is_paid_with_one_approval(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    signed_before = set(tools.delegations)
    chat = Conversation(tools)
    shown = chat.say(TEAS)
    assert shown.basket is not None
    assert chat.state is ConversationState.APPROVING
    carts = shown.basket["carts"]
    assert len({c["merchant_id"] for c in carts}) == 2  # the seeded prices split it in two
    total = Money.from_json(shown.basket["total"])
    assert total.minor == sum(Money.from_json(c["total"]).minor for c in carts)
    assert total <= Money.parse("60", "CNY")
    assert shown.basket["within_cap"] is True
    assert shown.basket["separate_total"] is not None
    assert Money.from_json(shown.basket["saving"]).minor >= 0
    for cart in carts:  # the message shows each merchant's lines, shipping and total
        assert cart["merchant_name"] in shown.message
        assert Money.from_json(cart["total"]).to_json()["amount"] in shown.message
    assert "one approval" in shown.message
    assert not shown.orders
    assert deployment.psp.balance(ACCOUNT_ID) == before  # nothing paid before the yes

    paid = chat.say("yes")
    assert paid.paid, paid.message
    assert len(paid.orders) == 2
    assert chat.dialogue.state is ConversationState.IDLE
    assert deployment.psp.balance(ACCOUNT_ID) == before - total
    signed = set(tools.delegations) - signed_before
    assert len(signed) == 1  # one IAC for the whole basket
    purchases = [tools.purchases[str(o["out_trade_no"])] for o in paid.orders]
    assert {p.iac.delegation_id for p in purchases} == signed
    assert purchases[0].iac.delegation_mode == "BOUNDED"
    assert purchases[0].iac.max_total == total  # exactly the basket, not the person's cap
    assert {p.cart.merchant_id for p in purchases} == {c["merchant_id"] for c in carts}
    assert paid.basket is not None
    assert [o["out_trade_no"] for o in paid.basket["orders"]] == [
        o["out_trade_no"] for o in paid.orders
    ]
    assert chat.say("yes").orders == []  # paid once: nothing left to approve


def test_chinese_basket_replies_in_chinese_and_pays(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    chat = Conversation(tools)
    shown = chat.say("两杯珍珠奶茶和一杯芋泥奶茶，总共60元以内")
    assert shown.basket is not None
    assert "一次授权" in shown.message
    paid = chat.say("确认")
    assert paid.paid
    assert "一次付款" in paid.message
    total = Money.from_json(shown.basket["total"])
    assert deployment.psp.balance(ACCOUNT_ID) == before - total


def test_over_the_cap_is_refused_and_nothing_is_paid(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    signed_before = set(tools.delegations)
    chat = Conversation(tools)
    shown = chat.say("2 pearl milk teas and a cheese tea, 30 max")
    assert shown.basket is not None
    assert shown.basket["within_cap"] is False
    assert Money.from_json(shown.basket["total"]) > Money.parse("30", "CNY")
    assert "over your cap of 30.00 CNY" in shown.message
    assert "I will not pay it" in shown.message
    assert chat.state is ConversationState.IDLE
    after = chat.say("yes")
    assert not after.paid
    assert after.orders == []
    assert deployment.psp.balance(ACCOUNT_ID) == before
    assert set(tools.delegations) == signed_before  # nothing was signed either


def test_an_edited_snapshot_cannot_lower_what_is_approved(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    """The kept basket says 1.00 less than the carts cost: the IAC is signed for what it
    says, the merchants confirm what they charge, and the agent refuses before paying."""
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    chat = Conversation(tools)
    shown = chat.say(TEAS)
    assert shown.basket is not None
    kept = chat.dialogue.basket
    assert kept is not None
    first = kept["carts"][0]
    lowered = Money.from_json(first["total"]) - Money.parse("1", "CNY")
    first["total"] = lowered.to_json()
    kept["total"] = (Money.from_json(kept["total"]) - Money.parse("1", "CNY")).to_json()
    refused = chat.say("yes")
    assert not refused.paid
    assert refused.refusal is not None
    assert refused.orders == []
    assert refused.message.startswith("I paid nothing")
    assert refused.refusal.code == "over-total-budget"  # the agent's own check, before the PSP
    assert deployment.psp.balance(ACCOUNT_ID) == before


def test_no_drops_the_basket_and_pays_nothing(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    chat = Conversation(tools)
    assert chat.say(TEAS).basket is not None
    chat.say("no")
    assert chat.dialogue.basket is None
    assert chat.dialogue.state is ConversationState.IDLE
    assert chat.say("yes").orders == []
    assert deployment.psp.balance(ACCOUNT_ID) == before


def test_a_resumed_conversation_pays_the_kept_basket(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    first = Conversation(tools)
    shown = first.say("a pearl milk tea and a taro milk tea, 80 in total")
    assert shown.basket is not None
    later = Conversation(tools, session_id=first.session_id)
    assert later.state is ConversationState.APPROVING
    paid = later.say("yes")
    assert paid.paid
    assert deployment.psp.balance(ACCOUNT_ID) == before - Money.from_json(shown.basket["total"])


def test_a_dish_is_one_basket_of_its_ingredients_within_the_cap(tools: ShoppingTools) -> None:
    shown = Conversation(tools).say("everything for hotpot for four, under 200")
    assert shown.basket is not None
    assert shown.basket["unsold"] == []  # the seeded pantry sells every hotpot ingredient
    titles = [line["title"].lower() for c in shown.basket["carts"] for line in c["items"]]
    for ingredient in ("hotpot base", "lamb slices", "tofu", "napa cabbage", "enoki"):
        assert any(ingredient in title for title in titles), ingredient
    assert Money.from_json(shown.basket["total"]) <= Money.parse("200", "CNY")
    assert shown.basket["within_cap"] is True
    assert shown.message.startswith("For hotpot for 4")


def test_a_basket_names_what_no_shop_sells(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    shown = chat.say("hotpot base, durian and saffron under 100")
    assert shown.basket is not None
    unsold = shown.basket["unsold"]
    assert set(unsold) == {"durian", "saffron"}
    for name in unsold:
        assert name in shown.message
    assert "No shop sells" in shown.message
    for cart in shown.basket["carts"]:
        for line in cart["items"]:  # nothing unsold was replaced by something else
            assert not any(word in line["title"].lower() for word in ("durian", "saffron"))
    chat.say("cancel")
    assert chat.dialogue.basket is None


def test_nothing_sold_at_all_is_said_and_nothing_asked(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    turn = chat.say("durian and saffron")
    assert turn.basket is not None
    assert turn.basket["carts"] == []
    assert turn.message == "No shop sells any of it: durian, saffron."
    assert chat.state is ConversationState.IDLE
    zh = Conversation(tools).say("榴莲和藏红花")
    assert "没有商店卖" in zh.message


def test_a_single_item_stays_on_its_own_path(tools: ShoppingTools) -> None:
    turn = Conversation(tools).say("order me a pearl milk tea under 30 CNY")
    assert turn.basket is None
    assert turn.options


def _cli(home: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:  # type: ignore[type-arg]
    monkeypatch.setenv("TRUSTCART_HOME", str(home))
    monkeypatch.setenv("TRUSTCART_DATABASE_URL", f"sqlite:///{home / 'trustcart.db'}")
    result = CliRunner().invoke(app, ["chat", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_chat_once_json_has_a_basket_next_to_the_existing_keys(
    market: tuple[ShoppingTools, Deployment],
    market_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    shown = _cli(market_home, monkeypatch, "--once", TEAS)
    existing = {"intent", "questions", "options", "message", "awaiting_approval", "orders"}
    assert existing | {"refusal", "language", "session", "evidence", "basket"} <= set(shown)
    basket = shown["basket"]
    assert basket["awaiting_approval"] is True
    assert {"carts", "total", "separate_total", "saving", "unsold", "max_total"} <= set(basket)
    assert len(basket["carts"]) == 2
    for cart in basket["carts"]:
        assert {"merchant_id", "items", "coupons", "shipping", "total"} <= set(cart)
    assert shown["orders"] == []
    paid = _cli(market_home, monkeypatch, "--once", "yes", "--session", shown["session"])
    assert len(paid["orders"]) == 2
    assert paid["basket"]["orders"] == paid["orders"]
    assert len(paid["evidence"]) == 2
    for path in paid["evidence"]:
        assert Path(path).exists()
    assert deployment.psp.balance(ACCOUNT_ID) == before - Money.from_json(basket["total"])
