"""Standing orders end to end on a running local market (every role on loopback, SQLite): the
person signs one recurring IAC, a due run buys the cheapest fitting offer under it (L2), a
period runs once however many runners, and what does not fit is skipped with its reason."""

from __future__ import annotations

import threading

import pytest

from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.proposals import ApprovalRequest
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.standing import RunOutcome
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.money import Money
from trustcart.local.deployment import Deployment
from trustcart.local.standing_book import SqlStandingBook
from trustcart.local.standing_orders import create_standing_order, run_due


def approve(asked: list[ApprovalRequest]) -> object:
    def yes(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    return yes


def test_one_approval_then_one_purchase_per_period(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    _, deployment = market
    asked: list[ApprovalRequest] = []
    tools.approver = approve(asked)  # type: ignore[assignment]
    order, delegation = create_standing_order(
        tools, deployment.db, "restock milk tea powder every month under 40"
    )
    assert len(asked) == 1
    assert "at most 40.00 CNY per period" in asked[0].summary
    recurrence = delegation.iac.commerce.recurrence
    assert recurrence is not None
    assert recurrence.period == "P1M"
    assert delegation.iac.delegation_mode.value == "BOUNDED"
    tools.approver = approve([])  # type: ignore[assignment]
    first = run_due(tools, deployment.db)
    assert [r.outcome for r in first] == [RunOutcome.PAID]
    assert first[0].amount is not None
    assert first[0].amount <= Money.parse("40.00", "CNY")
    assert run_due(tools, deployment.db) == []  # the period has run: nothing bought again
    runs = SqlStandingBook(deployment.db).runs("user:alice")
    mine = [r for r in runs if r.order_id == order.order_id]
    assert [(r.outcome, r.period.index) for r in mine] == [(RunOutcome.PAID, 0)]
    report = next(
        d
        for d in ShopperRecords(tools).delegations()
        if d["delegation_id"] == delegation.iac.delegation_id
    )
    assert report["recurrence"]["period"] == "P1M"
    assert report["recurrence"]["spent_this_period"] == first[0].amount.to_json()
    remaining = Money.parse("40.00", "CNY") - first[0].amount
    assert report["recurrence"]["remaining_this_period"] == remaining.to_json()


def test_two_runners_at_once_buy_a_period_once(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    _, deployment = market
    tools.approver = approve([])  # type: ignore[assignment]
    order, _ = create_standing_order(
        tools, deployment.db, "restock tapioca pearls every week under 30"
    )
    results: list[list[object]] = []

    def runner() -> None:
        results.append(list(run_due(tools, deployment.db)))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = [
        r for r in SqlStandingBook(deployment.db).runs("user:alice") if r.order_id == order.order_id
    ]
    assert len(runs) == 1


def test_nothing_within_the_cap_is_skipped_with_the_reason(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    _, deployment = market
    tools.approver = approve([])  # type: ignore[assignment]
    order, _ = create_standing_order(
        tools, deployment.db, "restock longjing green tea leaves every week under 5"
    )
    runs = [r for r in run_due(tools, deployment.db) if r.order_id == order.order_id]
    assert [(r.outcome, r.reason) for r in runs] == [(RunOutcome.SKIPPED, "price-above-cap")]


def test_words_without_a_recurrence_are_not_a_standing_order(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    _, deployment = market
    tools.approver = approve([])  # type: ignore[assignment]
    with pytest.raises(ToolRefused) as refused:
        create_standing_order(tools, deployment.db, "milk tea powder under 40")
    assert refused.value.code == "not-a-standing-order"


def test_a_declined_standing_order_signs_nothing(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    _, deployment = market
    before = len(tools.all_delegations())
    with pytest.raises(ToolRefused) as refused:
        create_standing_order(tools, deployment.db, "restock bananas weekly under 10")
    assert refused.value.code == "declined"
    assert len(tools.all_delegations()) == before
