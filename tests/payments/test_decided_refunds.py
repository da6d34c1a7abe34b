"""Refunds decided by a dispute: capped at what was paid, once per decision, on both stores."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.helpers.clock import T0
from tests.helpers.disputes import TRADE, balances, seed_purchase
from trustcart.core.money import Money
from trustcart.payments.decided_refunds import RefundPayer, apply_decided_refund
from trustcart.payments.errors import PaymentRefused
from trustcart.store.db import Database
from trustcart.store.payments import LedgerPostingRow, PaymentRow


@pytest.fixture
def store(db: Database) -> Database:
    seed_purchase(db)
    return db


def refund(
    db: Database, minor: int, decision: str, payer: RefundPayer = RefundPayer.MERCHANT
) -> None:
    with db.transaction() as s:
        apply_decided_refund(
            s, trade_no=TRADE, amount=Money(minor, "CNY"), payer=payer, decision_id=decision, now=T0
        )


def test_a_decision_refunds_once_and_never_above_the_payment(store: Database) -> None:
    refund(store, 1000, "dec_a", RefundPayer.PSP)
    after = balances(store)
    refund(store, 1000, "dec_a", RefundPayer.PSP)  # the same decision again: found, not posted
    assert balances(store) == after
    with pytest.raises(PaymentRefused) as caught:
        refund(store, 901, "dec_b")
    assert caught.value.code == "refund-exceeds-payment"
    refund(store, 900, "dec_b")
    with store.read() as s:
        row = s.get(PaymentRow, TRADE)
        assert row is not None
        assert (row.refunded_minor, row.status) == (1900, "REFUNDED")
        assert s.execute(select(func.sum(LedgerPostingRow.signed_minor))).scalar_one() == 0


def test_an_unknown_payment_and_another_currency_are_refused(store: Database) -> None:
    with store.transaction() as s, pytest.raises(PaymentRefused):
        apply_decided_refund(
            s,
            trade_no="tr_x",
            amount=Money(1, "CNY"),
            payer=RefundPayer.PSP,
            decision_id="d",
            now=T0,
        )
    with store.transaction() as s, pytest.raises(PaymentRefused):
        apply_decided_refund(
            s,
            trade_no=TRADE,
            amount=Money(1, "USD"),
            payer=RefundPayer.PSP,
            decision_id="d",
            now=T0,
        )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(st.integers(min_value=1, max_value=2500), min_size=1, max_size=6))
def test_refunds_never_sum_above_what_was_paid(sqlite_db: Database, amounts: list[int]) -> None:
    if not _seeded(sqlite_db):
        seed_purchase(sqlite_db)
    with sqlite_db.transaction() as s:
        row = s.get(PaymentRow, TRADE)
        assert row is not None
        row.refunded_minor, row.status = 0, "SUCCESS"
    total = 0
    for number, minor in enumerate(amounts):
        try:
            refund(sqlite_db, minor, f"dec_{number}_{minor}_{len(amounts)}_{id(amounts)}")
            total += minor
        except PaymentRefused:
            assert total + minor > 1900
    with sqlite_db.read() as s:
        row = s.get(PaymentRow, TRADE)
        assert row is not None
        assert row.refunded_minor == total <= 1900


def _seeded(db: Database) -> bool:
    with db.read() as s:
        return s.get(PaymentRow, TRADE) is not None
