"""The service runs standing orders: ``standing_scheduler`` (what ``trustcart serve`` and
``trustcart chat`` start beside their servers) buys a due period over real HTTP on loopback,
and two schedulers plus a cron pass at once still buy a period once (SQLite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from trustcart.assistant.proposals import ApprovalRequest
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.standing import RunOutcome, StandingRun
from trustcart.assistant.tools import ShoppingTools
from trustcart.local.deployment import Deployment
from trustcart.local.standing_book import SqlStandingBook
from trustcart.local.standing_orders import create_standing_order, run_due, standing_scheduler

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
