"""The ``StandingBook`` of ``assistant.standing`` in the database: ``SqlStandingBook``.

The assistant does not import the store; this composition-root module does. ``claim`` inserts
the (order, period) run row with ``INSERT ... ON CONFLICT DO NOTHING`` (``store.upsert``): of two
runners at once, or a rerun after a crash, exactly one gets the row, on SQLite and PostgreSQL,
so a period's purchase is attempted at most once. Each call is one transaction.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from trustcart.assistant.standing import RunOutcome, StandingOrder, StandingRun
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.delegation.recurrence import Period
from trustcart.store.db import Database
from trustcart.store.standing import StandingOrderRow, StandingRunRow
from trustcart.store.upsert import insert_or_ignore


def _run(row: StandingRunRow) -> StandingRun:
    amount = (
        None
        if row.amount_minor is None or row.currency is None
        else Money(row.amount_minor, row.currency)
    )
    return StandingRun(
        run_id=row.run_id,
        order_id=row.order_id,
        period=Period(row.period_index, row.period_start, row.period_end),
        outcome=RunOutcome(row.outcome),
        reason=row.reason,
        out_trade_no=row.out_trade_no,
        amount=amount,
        title=row.title,
    )


class SqlStandingBook:
    """Standing orders and their runs in a trustcart database."""

    def __init__(self, db: Database, random_bytes: RandomBytes = secrets.token_bytes) -> None:
        self._db = db
        self._random = random_bytes

    def add(self, order: StandingOrder) -> None:
        with self._db.transaction() as session:
            session.add(
                StandingOrderRow(
                    order_id=order.order_id,
                    owner=order.owner,
                    delegation_id=order.delegation_id,
                    item=order.item,
                    created_at=order.created_at,
                )
            )

    def orders(self, owner: str) -> list[StandingOrder]:
        with self._db.transaction() as session:
            rows = session.scalars(
                select(StandingOrderRow)
                .where(StandingOrderRow.owner == owner)
                .order_by(StandingOrderRow.created_at, StandingOrderRow.order_id)
            ).all()
            return [
                StandingOrder(r.order_id, r.owner, r.delegation_id, r.item, r.created_at)
                for r in rows
            ]

    def claim(self, order: StandingOrder, period: Period, now: datetime) -> str | None:
        run_id = new_id("run", self._random)
        with self._db.transaction() as session:
            inserted = insert_or_ignore(
                session,
                StandingRunRow,
                {
                    "run_id": run_id,
                    "order_id": order.order_id,
                    "period_index": period.index,
                    "period_start": period.start,
                    "period_end": period.end,
                    "outcome": RunOutcome.RUNNING.value,
                    "reason": "",
                    "started_at": now,
                },
                conflict_columns=("order_id", "period_index"),
            )
        return run_id if inserted else None

    def finish(self, run: StandingRun, now: datetime) -> None:
        with self._db.transaction() as session:
            row = session.get(StandingRunRow, run.run_id)
            if row is None:  # pragma: no cover - claimed by this runner just before
                raise LookupError(f"no standing-order run {run.run_id}")
            row.outcome = run.outcome.value
            row.reason = run.reason
            row.out_trade_no = run.out_trade_no
            row.amount_minor = None if run.amount is None else run.amount.minor
            row.currency = None if run.amount is None else run.amount.currency
            row.title = run.title
            row.finished_at = now

    def runs(self, owner: str) -> list[StandingRun]:
        with self._db.transaction() as session:
            rows = session.scalars(
                select(StandingRunRow)
                .join(StandingOrderRow, StandingOrderRow.order_id == StandingRunRow.order_id)
                .where(StandingOrderRow.owner == owner)
                .order_by(StandingRunRow.started_at, StandingRunRow.period_index)
            ).all()
            return [_run(r) for r in rows]
