"""Standing orders in a conversation on the seeded store (every role on loopback, SQLite):
proposed with what would be bought now, signed on one yes (the first period bought at once),
listed, stopped by name, told afterwards; refused and dropped proposals sign nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.assistant.conversation import Conversation
from trustcart.assistant.proposals import ApprovalRequest
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.tools import ShoppingTools
from trustcart.cli.app import app
from trustcart.core.money import Money
from trustcart.local.deployment import Deployment
from trustcart.local.persona import ACCOUNT_ID
from trustcart.local.standing_book import SqlStandingBook
from trustcart.local.standing_orders import create_standing_order, recurring_chat, run_due


def chat(tools: ShoppingTools, deployment: Deployment, session: str | None = None) -> Conversation:
    conversation = Conversation(tools, session_id=session)
    conversation.recurring = recurring_chat(tools, deployment.db)
    return conversation


def recurring_ids(tools: ShoppingTools) -> set[str]:
    return {d.iac.delegation_id for d in tools.all_delegations() if d.iac.commerce.recurrence}


def test_printer_paper_says_nothing_matches_and_still_offers(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    talk = chat(tools, deployment)
    before = recurring_ids(tools)
    proposed = talk.say("restock printer paper every month under 40")
    body = proposed.to_json()["standing_order"]
    assert body["action"] == "proposed"
    assert body["terms"]["item"] == "printer paper"
    assert (body["terms"]["period"], body["terms"]["period_cap"]["amount"]) == ("P1M", "40.00")
    assert body["terms"]["max_total"]["amount"] == "480.00"  # 12 months by default
    assert body["now"] is None
    assert "no shop in the catalog sells printer paper" in proposed.message
    assert "Sign it? (yes/no)" in proposed.message
    assert recurring_ids(tools) == before  # nothing signed before the yes
    signed = talk.say("yes")
    answer = signed.to_json()
    assert answer["standing_order"]["action"] == "signed"
    [order] = answer["standing_order"]["orders"]
    assert order["status"] == "Active"
    assert recurring_ids(tools) == before | {order["delegation_id"]}
    [run] = answer["standing_order"]["runs"]
    assert (run["outcome"], run["reason"]) == ("skipped", "nothing-found")
    assert answer["orders"] == []
    assert not signed.paid
    assert "Nothing bought for printer paper" in signed.message


def test_zh_proposal_names_the_offer_and_yes_buys_the_first_period(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    balance = deployment.psp.balance(ACCOUNT_ID)
    talk = chat(tools, deployment)
    proposed = talk.say("每月补货奶茶粉，40元以内")
    now = proposed.to_json()["standing_order"]["now"]
    assert now["fits"]
    assert Decimal(now["total"]["amount"]) <= 40
    assert now["title"] in proposed.message
    assert "要签署吗" in proposed.message
    signed = talk.say("确认")
    answer = signed.to_json()
    [run] = answer["standing_order"]["runs"]
    assert run["outcome"] == "paid"
    assert run["amount"] == now["total"]  # what was shown is what was bought
    assert signed.paid
    assert [o["out_trade_no"] for o in answer["orders"]] == [run["out_trade_no"]]
    assert answer["orders"][0]["mode"] == "L2"
    assert "已购买" in signed.message
    assert run["out_trade_no"] in signed.message
    assert deployment.psp.balance(ACCOUNT_ID) == balance - Money.from_json(run["amount"])
    # The scheduler's pass right after: this period ran, nothing is bought again.
    order_id = answer["standing_order"]["orders"][0]["order_id"]
    assert [r for r in run_due(tools, deployment.db) if r.order_id == order_id] == []


def test_no_signs_nothing_and_another_message_drops_the_proposal(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    before = recurring_ids(tools)
    talk = chat(tools, deployment)
    talk.say("restock tapioca pearls every week under 30")
    declined = talk.say("no")
    assert declined.to_json()["standing_order"]["action"] == "declined"
    assert "Nothing signed" in declined.message
    assert talk.say("yes").to_json()["standing_order"] is None  # nothing pending any more
    talk.say("restock tapioca pearls every week under 30")
    other = talk.say("order me a pearl milk tea under 30 CNY")  # not yes: the proposal lapses
    assert other.options
    assert other.to_json()["standing_order"] is None
    assert talk.dialogue.recurring is None
    assert recurring_ids(tools) == before


def test_words_with_a_total_budget_stay_the_budgeted_delegation(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    talk = chat(tools, market[1])
    turn = talk.say("every week buy me a pearl milk tea under 25, 100 in total")
    assert turn.options
    assert turn.draft is not None
    assert turn.draft.delegated
    assert turn.to_json()["standing_order"] is None


def test_the_yes_may_come_in_a_later_session(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    first = chat(tools, deployment)
    first.say("weekly bananas under 10")
    later = chat(tools, deployment, session=first.session_id)
    signed = later.say("yes")
    assert signed.to_json()["standing_order"]["action"] == "signed"
    assert signed.to_json()["standing_order"]["terms"]["item"] == "bananas"


def test_list_then_stop_by_name_revokes_only_that_order(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    talk = chat(tools, deployment)
    talk.say("restock green tea leaves every 2 weeks under 60")
    tea = talk.say("yes").to_json()["standing_order"]["orders"][0]
    talk.say("restock coffee beans every 2 weeks under 90")
    coffee = talk.say("yes").to_json()["standing_order"]["orders"][0]
    listed = talk.say("my standing orders")
    body = listed.to_json()["standing_order"]
    assert body["action"] == "listed"
    assert {tea["order_id"], coffee["order_id"]} <= {o["order_id"] for o in body["orders"]}
    assert "every 2 weeks" in listed.message
    stopped = talk.say("stop the green tea order")
    assert stopped.to_json()["standing_order"]["action"] == "stopped"
    assert stopped.to_json()["standing_order"]["orders"][0]["order_id"] == tea["order_id"]
    records = ShopperRecords(tools)
    status = {d.iac.delegation_id: records.credential_status(d) for d in tools.all_delegations()}
    assert status[tea["delegation_id"]] == "Revoked"
    assert status[coffee["delegation_id"]] == "Active"
    again = talk.say("stop the green tea order")
    assert again.to_json()["standing_order"]["action"] == "not-stopped"
    assert "No active standing order matches" in again.message


def test_zh_stop_by_period_asks_which_when_several_match(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    talk = chat(tools, deployment)
    made = []
    for words in ("每天补货圣女果，20元以内", "restock roasted peanuts daily under 20"):
        talk.say(words)
        made.append(talk.say("确认").to_json()["standing_order"]["orders"][0]["order_id"])
    which = talk.say("取消每天的订单")
    body = which.to_json()["standing_order"]
    assert body["action"] == "not-stopped"
    assert sorted(o["order_id"] for o in body["orders"]) == sorted(made)  # the daily ones
    assert "请说明是哪一个" in which.message
    stopped = talk.say("停止圣女果的订单")
    assert stopped.to_json()["standing_order"]["action"] == "stopped"
    assert stopped.to_json()["standing_order"]["orders"][0]["order_id"] == made[0]
    assert "已停止" in stopped.message
    assert talk.say("取消每天的订单").to_json()["standing_order"]["action"] == "stopped"


def test_runs_by_the_scheduler_are_told_once_in_the_next_turn(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    asked: list[ApprovalRequest] = []

    def yes(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    tools.approver = yes
    order, _ = create_standing_order(
        tools, deployment.db, "restock free-range eggs weekly under 40"
    )
    runs = [r for r in run_due(tools, deployment.db) if r.order_id == order.order_id]
    assert [r.outcome.value for r in runs] == ["paid"]
    talk = chat(tools, deployment)
    told = talk.say("help")
    assert told.message.startswith("Since we last talked:")
    assert f"(order {runs[0].out_trade_no})" in told.message
    news = told.to_json()["standing_order"]["news"]
    assert runs[0].run_id in {n["run_id"] for n in news}
    assert runs[0].run_id not in json.dumps(talk.say("help").to_json())  # told once
    book = SqlStandingBook(deployment.db)
    assert [r.run_id for r in book.runs("user:alice") if r.order_id == order.order_id] == [
        runs[0].run_id
    ]


def test_chat_once_json_proposes_and_a_later_yes_signs(
    market: tuple[ShoppingTools, Deployment],
    market_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTCART_HOME", str(market_home))
    monkeypatch.setenv("TRUSTCART_DATABASE_URL", f"sqlite:///{market_home / 'trustcart.db'}")

    def once(*args: str) -> dict:  # type: ignore[type-arg]
        result = CliRunner().invoke(
            app, ["chat", "--once", *args, "--json", "--standing-every", "0"]
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    proposed = once("restock printer paper every month under 40")
    assert proposed["standing_order"]["action"] == "proposed"
    assert proposed["options"] == []
    assert proposed["orders"] == []
    signed = once("yes", "--session", proposed["session"])
    assert signed["standing_order"]["action"] == "signed"
    assert signed["standing_order"]["orders"][0]["item"] == "printer paper"
