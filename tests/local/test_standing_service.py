"""The service runs standing orders: ``standing_scheduler`` (what ``trustcart serve`` and
``trustcart chat`` start beside their servers) buys a due period over real HTTP on loopback,
two schedulers plus a cron pass at once still buy a period once, the next period is bought at
its boundary instant and not one microsecond before (an injected clock shared by every party),
and a stopped order is not bought again (SQLite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from tests.helpers.clock import T0
from trustcart.assistant.conversation import Conversation
from trustcart.assistant.proposals import ApprovalRequest
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.standing import RunOutcome, StandingRun
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.clock import FixedClock
from trustcart.local.deployment import Deployment
from trustcart.local.market import local_market
from trustcart.local.scheduler import Scheduler
from trustcart.local.standing_book import SqlStandingBook
from trustcart.local.standing_orders import (
    create_standing_order,
    recurring_chat,
    run_due,
    standing_scheduler,
)

WAIT = 90.0  # seconds; a pass searches and pays over HTTP on a loaded 2-core machine


def say_yes(request: ApprovalRequest) -> bool:
    return True


def runs_of(deployment: Deployment, order_id: str) -> list[StandingRun]:
    return [r for r in SqlStandingBook(deployment.db).runs("user:alice") if r.order_id == order_id]


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the scheduler did not get there in time"
        time.sleep(0.2)


def test_the_running_service_buys_a_due_period(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    tools.approver = say_yes
    order, delegation = create_standing_order(
        tools, deployment.db, "restock milk tea powder every month under 40"
    )
    tools.approver = lambda _request: False  # the scheduler never asks
    with standing_scheduler(deployment, 0.5) as scheduler:
        assert scheduler is not None
        assert scheduler.running
        wait_for(
            lambda: any(
                r.outcome is not RunOutcome.RUNNING for r in runs_of(deployment, order.order_id)
            )
        )
    [run] = runs_of(deployment, order.order_id)
    assert run.outcome is RunOutcome.PAID
    assert run.period.index == 0
    assert not scheduler.running  # stopped with the service
    assert run.out_trade_no is not None
    purchase = ShopperRecords(tools).purchase(run.out_trade_no)
    assert purchase is not None  # the PSP's signed receipt is in Alice's records
    assert purchase.iac.delegation_id == delegation.iac.delegation_id
    assert purchase.receipt.amount == run.amount
    assert purchase.mode.value == "L2"


def test_two_services_and_cron_at_once_buy_a_period_once(
    tools: ShoppingTools, market: tuple[ShoppingTools, Deployment]
) -> None:
    deployment = market[1]
    tools.approver = say_yes
    order, delegation = create_standing_order(
        tools, deployment.db, "restock tapioca pearls every week under 30"
    )
    cron: list[list[StandingRun]] = []
    with (
        standing_scheduler(deployment, 0.2) as first,
        standing_scheduler(deployment, 0.2) as second,
    ):
        assert first is not None
        assert second is not None
        cron_pass = threading.Thread(target=lambda: cron.append(run_due(tools, deployment.db)))
        cron_pass.start()
        cron_pass.join()
        wait_for(
            lambda: any(
                r.outcome is not RunOutcome.RUNNING for r in runs_of(deployment, order.order_id)
            )
        )
        passes = first.runs["standing-orders"] + second.runs["standing-orders"]
        wait_for(
            lambda: first.runs["standing-orders"] + second.runs["standing-orders"] >= passes + 4
        )
    runs = runs_of(deployment, order.order_id)
    assert [(r.outcome, r.period.index) for r in runs] == [(RunOutcome.PAID, 0)]
    paid = [
        p
        for p in ShopperRecords(tools).purchases()
        if p.iac.delegation_id == delegation.iac.delegation_id
    ]
    assert len(paid) == 1  # one period, one purchase, whoever ran it


def test_every_zero_runs_no_scheduler(market: tuple[ShoppingTools, Deployment]) -> None:
    with standing_scheduler(market[1], 0) as scheduler:
        assert scheduler is None


# -- the period boundary, on an injected clock shared by every party ---------------------------


@pytest.fixture(scope="module")
def clocked(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ShoppingTools, Deployment, FixedClock]]:
    home = tmp_path_factory.mktemp("clocked")
    clock = FixedClock(T0)
    with local_market(home, f"sqlite:///{home / 'trustcart.db'}", clock=clock) as (tools, d):
        yield tools, d, clock


def passes_after(scheduler: Scheduler, count: int) -> Callable[[], bool]:
    start = scheduler.runs["standing-orders"]
    return lambda: scheduler.runs["standing-orders"] >= start + count


def test_the_service_buys_the_next_period_at_its_boundary_and_not_before(
    clocked: tuple[ShoppingTools, Deployment, FixedClock],
) -> None:
    tools, deployment, clock = clocked
    clock.set(T0)
    talk = Conversation(tools)
    talk.recurring = recurring_chat(tools, deployment.db)
    talk.say("restock milk tea powder every month under 40")
    signed = talk.say("yes").to_json()["standing_order"]
    order_id = signed["orders"][0]["order_id"]
    assert [r["outcome"] for r in signed["runs"]] == ["paid"]  # period 0, bought in the chat
    rule = tools.delegations[signed["orders"][0]["delegation_id"]].iac.commerce.recurrence
    assert rule is not None
    boundary = rule.boundary(T0, 1)  # one calendar month after the signing, UTC
    with standing_scheduler(deployment, 0.2) as scheduler:
        assert scheduler is not None
        clock.set(boundary - timedelta(microseconds=1))  # the last instant of period 0
        wait_for(passes_after(scheduler, 3))
        assert [r.period.index for r in runs_of(deployment, order_id)] == [0]
        clock.set(boundary)  # the boundary belongs to period 1 (half-open periods)
        wait_for(lambda: len(runs_of(deployment, order_id)) == 2)
        wait_for(lambda: runs_of(deployment, order_id)[-1].outcome is not RunOutcome.RUNNING)
        wait_for(passes_after(scheduler, 3))
    runs = runs_of(deployment, order_id)
    assert [(r.period.index, r.outcome) for r in runs] == [
        (0, RunOutcome.PAID),
        (1, RunOutcome.PAID),
    ]
    assert runs[1].period.start == boundary
    told = talk.say("help")  # the person hears of the scheduler's purchase, once
    assert told.message.startswith("Since we last talked: bought")
    assert f"(order {runs[1].out_trade_no})" in told.message


def test_a_stopped_order_is_not_bought_in_later_periods(
    clocked: tuple[ShoppingTools, Deployment, FixedClock],
) -> None:
    tools, deployment, clock = clocked
    clock.set(T0 + timedelta(days=200))
    talk = Conversation(tools)
    talk.recurring = recurring_chat(tools, deployment.db)
    talk.say("restock tapioca pearls every week under 30")
    order_id = talk.say("yes").to_json()["standing_order"]["orders"][0]["order_id"]
    assert talk.say("stop the tapioca pearls order").to_json()["standing_order"]["action"] == (
        "stopped"
    )
    clock.advance(timedelta(days=8))  # a new period is due, but the delegation is revoked
    with standing_scheduler(deployment, 0.2) as scheduler:
        assert scheduler is not None
        wait_for(passes_after(scheduler, 3))
    assert [r.period.index for r in runs_of(deployment, order_id)] == [0]


def test_a_yes_after_a_boundary_that_changed_the_terms_signs_nothing_and_shows_them_again(
    clocked: tuple[ShoppingTools, Deployment, FixedClock],
) -> None:
    tools, deployment, clock = clocked
    clock.set(T0)
    talk = Conversation(tools)
    talk.recurring = recurring_chat(tools, deployment.db)
    words = "restock roasted peanuts every month under 40 until 2027-03-31"
    shown = talk.say(words).to_json()["standing_order"]["terms"]
    assert shown["max_total"]["amount"] == "200.00"  # 29 Nov, Dec, Jan, Feb, Mar: 5 periods
    before = {d.iac.delegation_id for d in tools.all_delegations()}
    clock.set(T0 + timedelta(days=31))  # 30 Dec: only 4 periods are left before the end
    again = talk.say("yes")
    body = again.to_json()["standing_order"]
    assert body["action"] == "proposed"
    assert body["terms"]["max_total"]["amount"] == "160.00"
    assert "the terms changed" in again.message
    assert {
        d.iac.delegation_id for d in tools.all_delegations()
    } == before  # the 200.00 the person saw was not signed
    signed = talk.say("yes").to_json()["standing_order"]
    assert signed["action"] == "signed"
    assert signed["terms"]["max_total"]["amount"] == "160.00"
