"""``trustcart chat --once --json`` and whole conversations on the seeded store (loopback)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.assistant.conversation import Conversation
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.tools import ShoppingTools
from trustcart.cli.app import app
from trustcart.local.deployment import Deployment
from trustcart.local.persona import ACCOUNT_ID


def once(home: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> dict:  # type: ignore[type-arg]
    monkeypatch.setenv("TRUSTCART_HOME", str(home))
    monkeypatch.setenv("TRUSTCART_DATABASE_URL", f"sqlite:///{home / 'trustcart.db'}")
    result = CliRunner().invoke(app, ["chat", "--once", text, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("text", "unit_cap", "quantity"),
    [
        ("order me a pearl milk tea under 30 CNY", "30", 1),
        ("帮我点两杯芋泥奶茶，每杯不超过25元", "25", 2),
        ("3 black t-shirts size L under 150 each", "150", 3),
    ],
)
def test_once_json_options_keep_caps_and_quantity(
    market: tuple[ShoppingTools, Deployment],
    market_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    unit_cap: str,
    quantity: int,
) -> None:
    answer = once(market_home, text, monkeypatch)
    assert answer["questions"] == []
    assert 1 <= len(answer["options"]) <= 3
    for option in answer["options"]:
        assert set(option) >= {"items", "total", "reason"}
        assert option["reason"]
        assert sum(line["quantity"] for line in option["items"]) == quantity
        for line in option["items"]:
            assert set(line) >= {"product_id", "title", "merchant_id", "quantity", "unit_price"}
            assert Decimal(line["unit_price"]["amount"]) <= Decimal(unit_cap)
        assert Decimal(option["total"]["amount"]) <= Decimal(unit_cap) * quantity


@pytest.mark.parametrize("text", ["buy a t-shirt", "the cheap one", "每周帮我买一杯奶茶"])
def test_once_json_ambiguous_request_asks(
    market: tuple[ShoppingTools, Deployment],
    market_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
) -> None:
    answer = once(market_home, text, monkeypatch)
    assert answer["questions"]
    assert answer["options"] == []


def test_instant_purchase_asks_then_pays(
    tools: ShoppingTools,
    market: tuple[ShoppingTools, Deployment],
) -> None:
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)
    chat = Conversation(tools)
    first = chat.say("order me a pearl milk tea under 30 CNY")
    assert first.options
    second = chat.say("the second one")
    assert "yes/no" in second.message
    assert not second.orders
    paid = chat.say("yes")
    assert paid.orders, paid.message
    chosen = first.options[1]
    assert paid.orders[0]["merchant_id"] == chosen.lines[0].merchant_id
    assert deployment.psp.balance(ACCOUNT_ID) == before - chosen.total
    status = tools.order_status(paid.orders[0]["out_trade_no"])
    assert status["status"] == "PAID"


def test_a_question_then_the_answer(tools: ShoppingTools) -> None:
    chat = Conversation(tools)
    assert chat.say("a black t-shirt under 120").questions[0].code == "size"
    answered = chat.say("M")
    assert answered.options
    assert all(line.attributes["size"] == "m" for o in answered.options for line in o.lines)


def test_standing_order_buys_again_without_asking_and_stops_when_revoked(
    tools: ShoppingTools,
) -> None:
    chat = Conversation(tools)
    chat.say("up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total")
    assert "长期委托" in chat.say("选它").message  # a Chinese message gets a Chinese reply
    first = chat.say("确认")
    assert first.orders
    assert first.orders[0]["mode"] == "L2"
    again = chat.say("再来一杯")
    assert again.orders, again.message
    assert again.orders[0]["mode"] == "L2"
    delegation_id = next(
        iter(
            d
            for d in tools.delegations
            if tools.delegations[d].isr.delegation_mode.value == "BOUNDED"
            and tools.delegations[d].spent.count == 2
        )
    )
    tools.revoke(delegation_id)
    refused = chat.say("one more")
    assert refused.refusal is not None
    assert refused.refusal.code == "iac-revoked"
    assert not refused.orders


def test_pay_without_the_persons_approval_is_refused(tools: ShoppingTools) -> None:
    compared = tools.compare("a pearl milk tea under 30")
    proposal = tools.propose_cart(compared["options"][0]["option_id"])
    with pytest.raises(ToolRefused) as refused:
        tools.pay(proposal["proposal_id"])
    assert refused.value.code == "no-valid-iac"
    declined = tools.request_approval(proposal["proposal_id"])  # nobody says yes
    assert declined["approved"] is False
    with pytest.raises(ToolRefused):
        tools.pay(proposal["proposal_id"])


def test_a_purchase_outside_a_standing_order_is_refused(tools: ShoppingTools) -> None:
    tools.approver = lambda _request: True
    standing = tools.compare(
        "up to 2 pearl milk teas from Leaf & Cup this week, at most 25 each, 50 in total"
    )
    granted = tools.request_approval(
        tools.propose_cart(standing["options"][0]["option_id"])["proposal_id"]
    )
    delegation_id = granted["delegation_id"]
    elsewhere = tools.compare("a pearl milk tea from Pearl House under 30")
    other = tools.propose_cart(elsewhere["options"][0]["option_id"])
    with pytest.raises(ToolRefused) as refused:
        tools.pay(other["proposal_id"], delegation_id)
    assert "merchant-not-allowed" in refused.value.reasons
    shirt = tools.compare("a black t-shirt size M under 200")
    dear = tools.propose_cart(shirt["options"][0]["option_id"])
    with pytest.raises(ToolRefused) as refused:
        tools.pay(dear["proposal_id"], delegation_id)
    assert refused.value.code == "outside-authorization"
