"""The installation's upkeep: stock held by unpaid carts comes back when the price lock ends
(to the second, on SQLite and PostgreSQL), from the in-process scheduler and from
``trustcart maintenance``; the scheduler stops cleanly and survives a failing job."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.helpers.search import catalog_search
from trustcart.cli import commands  # noqa: F401  (registers the commands)
from trustcart.cli.app import app
from trustcart.commerce.errors import StockError
from trustcart.commerce.orders import OrderStatus
from trustcart.commerce.service import MerchantService
from trustcart.core.clock import Clock, FixedClock, SystemClock
from trustcart.delivery.relay import OutboxRelay
from trustcart.local.scheduler import Job, Scheduler
from trustcart.local.seed import seed_catalog
from trustcart.local.seed_merchants import demo_merchant_keys
from trustcart.local.upkeep import Upkeep
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

MERCHANT = "m_leaf_and_cup"
LOCK = timedelta(minutes=15)


class Shop:
    def __init__(self, db: Database, clock: Clock, price_lock: timedelta = LOCK) -> None:
        catalog = seed_catalog(db, random.Random(5), product_count=150)
        keys = demo_merchant_keys([m.merchant_id for m in catalog.merchants], random.Random(6))
        self.db = db
        self.service = MerchantService(
            db,
            keys,
            clock,
            psp_endpoint="http://127.0.0.1:1/payments",
            psp_id="psp:trustcart",
            search=catalog_search(db),
            price_lock=price_lock,
        )
        with db.transaction() as session:
            self.pearl = session.scalars(
                select(ProductRow.product_id).where(
                    ProductRow.merchant_id == MERCHANT, ProductRow.title == "Pearl Milk Tea"
                )
            ).one()

    def stock(self) -> int:
        with self.db.transaction() as session:
            row = session.get(ProductRow, self.pearl)
            assert row is not None
            return row.stock

    def set_stock(self, stock: int) -> None:
        with self.db.transaction() as session:
            row = session.get(ProductRow, self.pearl)
            assert row is not None
            row.stock = stock

    def hold(self, quantity: int = 1) -> str:
        """An agent confirms a cart (stock is reserved) and never pays it."""
        confirmed = self.service.confirm_cart(
            {
                "merchant_id": MERCHANT,
                "items": [{"product_id": self.pearl, "quantity": quantity}],
                "intent_id": "int_hoard",
                "delegation_id": "dlg_hoard",
                "agent_id": "agent:hoarder",
                "payment_method": "trustcart-balance",
            }
        )
        return confirmed.out_trade_no

    def upkeep(self, clock: Clock) -> Upkeep:
        return Upkeep(
            OutboxRelay(self.db, clock, {}),
            expire_holds=self.service.expire_due,
            expire_credentials=list,
        )


def test_holds_are_released_exactly_when_the_price_lock_ends(
    db: Database, clock: FixedClock
) -> None:
    shop = Shop(db, clock)
    upkeep = shop.upkeep(clock)
    shop.set_stock(3)
    held = [shop.hold(), shop.hold(), shop.hold()]
    assert shop.stock() == 0
    with pytest.raises(StockError):  # the hoarder holds everything
        shop.hold()
    clock.advance(LOCK - timedelta(seconds=1))
    assert upkeep.run_once().expired_orders == []  # one second before: still held
    assert shop.stock() == 0
    clock.advance(timedelta(seconds=1))  # the lock's end, when the PSP stops accepting
    report = upkeep.run_once()
    assert sorted(report.expired_orders) == sorted(held)
    assert shop.stock() == 3
    assert {shop.service.order(o).status for o in held} == {OrderStatus.EXPIRED}
    assert upkeep.run_once().expired_orders == []
    assert shop.hold() != ""  # someone who pays can buy again
    assert shop.stock() == 2


def test_the_scheduler_releases_holds_in_the_background_and_stops_cleanly(
    db: Database, clock: FixedClock
) -> None:
    shop = Shop(db, clock)
    stock = shop.stock()
    order = shop.hold(2)
    clock.advance(LOCK)
    scheduler = shop.upkeep(clock).scheduler(relay_every=0.05, expiry_every=0.05)
    with scheduler:
        deadline = time.monotonic() + 20
        while shop.service.order(order).status is not OrderStatus.EXPIRED:
            assert time.monotonic() < deadline, "the scheduler never ran the expiry"
            time.sleep(0.05)
        assert scheduler.running
    assert not scheduler.running
    assert shop.stock() == stock
    assert scheduler.runs["expiry"] >= 1
    assert scheduler.runs["relay"] >= 1


def test_a_failing_job_is_logged_and_the_others_keep_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran = threading.Event()

    def broken() -> None:
        raise RuntimeError("a bug in one job")

    scheduler = Scheduler([Job("broken", 0.01, broken), Job("fine", 0.01, ran.set)])
    with caplog.at_level("ERROR"), scheduler:
        assert ran.wait(10)
        while scheduler.runs["broken"] < 3:
            time.sleep(0.01)
    assert "scheduled job broken failed" in caplog.text
    started = time.monotonic()
    slow = Scheduler([Job("hourly", 3600, lambda: None)])
    with slow:
        time.sleep(0.05)
    assert time.monotonic() - started < 5  # stop wakes the thread: no waiting out the hour
    with pytest.raises(ValueError, match="positive"):
        Job("never", 0, lambda: None)


def test_maintenance_from_cron_releases_lapsed_holds(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = Database(f"sqlite:///{home / 'trustcart.db'}")
    db.migrate()
    try:
        shop = Shop(db, SystemClock(), price_lock=timedelta(seconds=1))
        stock = shop.stock()
        order = shop.hold()
        time.sleep(1.1)  # the real clock: the command knows no other
        env = {"TRUSTCART_HOME": str(home), "TRUSTCART_DATABASE_URL": db.url}
        runner = CliRunner()
        result = runner.invoke(app, ["maintenance", "--json"], env=env)
        assert result.exit_code == 0, result.output
        report: dict[str, Any] = json.loads(result.output)
        assert report["expired_orders"] == [order]
        assert report["relay"] == {"delivered": 0, "retrying": 0, "refused": 0}
        assert shop.stock() == stock
        status = runner.invoke(app, ["relay", "--status", "--json"], env=env)
        assert status.exit_code == 0, status.output
        assert json.loads(status.output)["oldest_pending"] is None
    finally:
        db.dispose()
