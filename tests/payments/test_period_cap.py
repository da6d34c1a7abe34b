"""The payment provider enforces a standing order's per-period cap under the budget row lock:
over the cap is ``over-period-cap`` with nothing written, even with room in the total; a new
period (from the exact boundary instant on) starts fresh; concurrent payments never pass it.
SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.helpers.payments import World, make_iac, make_world
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.delegation.recurrence import Recurrence
from trustcart.delegation.terms import CommerceConstraints
from trustcart.store.db import Database
from trustcart.store.standing import PeriodSpendRow

MONTHLY = {"period": "P1M", "period_cap": "40.00"}


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def standing_terms(cap: str = "40.00", period: str = "P1M") -> dict[str, Any]:
    recurrence = Recurrence.from_json({"period": period, "period_cap": cap}, "CNY")
    return {
        "commerce": CommerceConstraints(
            max_single=cny(cap), allowed_categories=("drinks/milk-tea",), recurrence=recurrence
        ),
        "max_total": cny("100.00"),
        "validity_end": None,  # filled in by the fixture: a year of monthly periods
    }


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    terms = standing_terms()
    terms["validity_end"] = clock.now() + timedelta(days=365)
    return make_world(db, clock, balance="500.00", **terms)


def anchor(world: World) -> datetime:
    return world.iac.validity_start


def next_boundary(world: World) -> datetime:
    recurrence = world.iac.commerce.recurrence
    assert recurrence is not None
    return recurrence.boundary(anchor(world), 1)


def test_over_the_period_cap_is_refused_though_the_total_has_room(world: World) -> None:
    assert world.pay(world.request(world.cart(unit_price="30.00"))).status == 200
    before = world.snapshot()
    refused = world.pay(world.request(world.cart(unit_price="10.01")))
    assert refused.status == 403
    assert refused.body["code"] == "over-period-cap"
    assert world.snapshot() == before  # nothing charged, no budget counted
    # exactly the rest of the cap fits
    assert world.pay(world.request(world.cart(unit_price="10.00"))).status == 200
    assert world.provider.balance("acc_alice") == cny("460.00")


def test_the_last_instant_of_a_period_still_counts_in_it(world: World) -> None:
    assert world.pay(world.request(world.cart(unit_price="40.00"))).status == 200
    world.clock.set(next_boundary(world) - timedelta(microseconds=1))
    refused = world.pay(world.request(world.cart(unit_price="1.00")))
    assert refused.body["code"] == "over-period-cap"


def test_a_payment_exactly_at_the_boundary_starts_the_new_period(world: World) -> None:
    assert world.pay(world.request(world.cart(unit_price="40.00"))).status == 200
    world.clock.set(next_boundary(world))
    assert world.pay(world.request(world.cart(unit_price="40.00"))).status == 200
    with world.db.transaction() as session:
        rows = session.execute(
            select(PeriodSpendRow.period_index, PeriodSpendRow.spent_minor).order_by(
                PeriodSpendRow.period_index
            )
        ).all()
    assert [tuple(r) for r in rows] == [(0, 4000), (1, 4000)]


def test_the_total_cap_still_binds_across_periods(world: World) -> None:
    for month in range(2):
        world.clock.set(world.iac.commerce.recurrence.boundary(anchor(world), month))  # type: ignore[union-attr]
        assert world.pay(world.request(world.cart(unit_price="40.00"))).status == 200
    world.clock.set(world.iac.commerce.recurrence.boundary(anchor(world), 2))  # type: ignore[union-attr]
    refused = world.pay(world.request(world.cart(unit_price="30.00")))
    assert refused.body["code"] == "over-budget"  # 80 + 30 > 100 though the period is empty


def test_concurrent_payments_never_pass_the_period_cap(world: World) -> None:
    carts = [world.cart(unit_price="25.00") for _ in range(4)]
    bodies = [world.request(cart) for cart in carts]
    results: list[Any] = []
    lock = threading.Lock()

    def pay(index: int) -> None:
        outcome = world.provider.submit_payment(
            agent_id="agent:trustcart-assistant",
            idempotency_key=f"idem_c{index}",
            request=bodies[index],
        )
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(str(r.body.get("code", r.status)) for r in results)
    assert codes == ["200", "over-period-cap", "over-period-cap", "over-period-cap"]
    assert world.provider.balance("acc_alice") == cny("475.00")


def test_property_at_the_boundary(db: Database, clock: FixedClock) -> None:
    """Pay ``first`` at a period's start, then ``second`` around the next boundary: refused
    exactly when it is still in the first period and the two together pass the cap."""
    terms = standing_terms()
    start = clock.now()
    terms["validity_end"] = start + timedelta(days=365)
    world = make_world(db, clock, balance="100000.00", **terms)
    examples = iter(range(1_000))

    @settings(max_examples=12, deadline=None)
    @given(
        first=st.integers(1, 4000),
        second=st.integers(1, 4000),
        offset_us=st.integers(-2, 2),
    )
    def check(first: int, second: int, offset_us: int) -> None:
        clock.set(start)
        iac = make_iac(start, delegation_id=f"dlg_p{next(examples)}", **terms)
        world.iac, world.token = iac, world.bind(iac)
        cart = world.cart(
            unit_price=Money(first, "CNY").amount_str(), delegation_id=iac.delegation_id
        )
        assert world.pay(world.request(cart)).status == 200
        clock.set(next_boundary(world) + timedelta(microseconds=offset_us))
        cart = world.cart(
            unit_price=Money(second, "CNY").amount_str(), delegation_id=iac.delegation_id
        )
        outcome = world.pay(world.request(cart))
        if offset_us < 0 and first + second > 4000:
            assert outcome.body["code"] == "over-period-cap"
        else:
            assert outcome.status == 200, outcome.body

    check()
