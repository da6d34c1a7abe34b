"""``insert_or_ignore`` on both databases: the first insert wins, the second changes nothing."""

from datetime import UTC, datetime

from sqlalchemy import select

from trustcart.store.db import Database
from trustcart.store.payments import DelegationBudgetRow
from trustcart.store.upsert import insert_or_ignore


def test_the_first_insert_wins(db: Database) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    values = {
        "delegation_id": "dlg_1",
        "currency": "CNY",
        "spent_minor": 0,
        "payment_count": 0,
        "quantity": 0,
        "updated_at": now,
    }
    with db.transaction() as session:
        assert insert_or_ignore(session, DelegationBudgetRow, values) is True
    with db.transaction() as session:
        assert insert_or_ignore(session, DelegationBudgetRow, {**values, "spent_minor": 5}) is False
    with db.transaction() as session:
        rows = session.scalars(select(DelegationBudgetRow)).all()
        assert [(r.delegation_id, r.spent_minor) for r in rows] == [("dlg_1", 0)]
