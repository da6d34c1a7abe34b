"""The ROI figures from ledger and log facts: known answers, and totals that add up by day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.insights.roi import LedgerPayment, LedgerRefund, LogFact, roi_report
from trustcart.trust.events import EventType

D1, D2 = date(2026, 12, 1), date(2026, 12, 2)


def _fact(kind: EventType, intent: str, day: date = D1, **extra: Any) -> LogFact:
    body = extra.pop("body", {})
    return LogFact(str(kind), intent, extra.get("order"), extra.get("merchant"), day, body)


def _options(intent: str, shown: int, ms: str, merchants: list[str], day: date = D1) -> LogFact:
    body = {"stage": "options-presented", "options": shown, "candidates": 9,
            "merchants": merchants, "assistant_ms": ms}  # fmt: skip
    return _fact(EventType.DECISION_LOGGED, intent, day, body=body)


FACTS = [
    _fact(EventType.INTENT_CREATED, "int_1"),
    _options("int_1", 3, "40.0", ["m_a", "m_b"]),
    _fact(EventType.CART_CONFIRMED, "int_1", order="ord_1", merchant="m_a"),
    _fact(EventType.TRANSACTION_COMPLETED, "int_1", order="ord_1"),
    _fact(EventType.INTENT_CREATED, "int_2", D2),
    _options("int_2", 0, "25.5", [], D2),
    _fact(EventType.INTENT_CREATED, "int_3", D2),
    _options("int_3", 2, "10.0", ["m_b"], D2),
    _fact(EventType.CART_CONFIRMED, "int_3", D2, order="ord_3", merchant="m_b"),
    _fact(
        EventType.DECISION_LOGGED,
        "int_3",
        D2,
        body={"stage": "refused", "reasons": ["over-budget"], "merchants": ["m_b"]},
    ),
]
PAYMENTS = [LedgerPayment("trd_1", "ord_1", "m_a", "agent:a", Money(1800, "CNY"), D1)]
REFUNDS = [LedgerRefund("trd_1", "m_a", Money(500, "CNY"), D2)]


def test_the_whole_marketplace() -> None:
    report = roi_report(PAYMENTS, REFUNDS, FACTS, days=[D1, D2], currency="CNY").to_json()
    totals = report["totals"]
    assert totals["gmv"] == {"amount": "18.00", "currency": "CNY"}
    assert totals["orders"] == 1
    assert totals["average_order_value"]["amount"] == "18.00"
    assert totals["refunds"] == {"amount": {"amount": "5.00", "currency": "CNY"}, "count": 1}
    assert totals["net"]["amount"] == "13.00"
    assert totals["funnel"] == {
        "intents": 3,
        "options_shown": 2,  # int_2 was shown nothing
        "carts_confirmed": 2,
        "paid": 1,
        "conversion": "0.3333",
    }
    assert totals["refusals"] == {"over-budget": 1}
    assert totals["compute"] == {
        "assistant_ms": "75.5",
        "assistant_ms_per_order": "75.5",
        "llm_tokens": None,
        "llm_tokens_per_order": None,
    }
    assert set(report["unavailable"]) == {"abandoned_intents", "llm_tokens"}
    day1, day2 = report["by_day"]
    assert (day1["day"], day1["orders"], day1["funnel"]["intents"]) == ("2026-12-01", 1, 1)
    assert (day2["refunds"]["count"], day2["funnel"]["carts_confirmed"]) == (1, 1)


def test_one_merchant() -> None:
    report = roi_report(PAYMENTS, REFUNDS, FACTS, days=[D1, D2], currency="CNY", merchant_id="m_b")
    totals = report.to_json()["totals"]
    assert (totals["orders"], totals["gmv"]["amount"], totals["refunds"]["count"]) == (0, "0.00", 0)
    assert totals["funnel"]["intents"] == 2  # its offers were shown for int_1 and int_3
    assert totals["funnel"]["carts_confirmed"] == 1
    assert totals["funnel"]["paid"] == 0
    assert totals["refusals"] == {"over-budget": 1}


def test_tokens_are_summed_where_events_carry_them() -> None:
    facts = [
        _fact(EventType.DECISION_LOGGED, "int_9", body={"stage": "options-presented",
              "options": 1, "assistant_ms": "5", "llm_tokens": 1200}),
        _fact(EventType.DECISION_LOGGED, "int_9", body={"stage": "options-presented",
              "options": 1, "assistant_ms": "5", "llm_tokens": 800}),
    ]  # fmt: skip
    report = roi_report(PAYMENTS, [], facts, days=[D1], currency="CNY")
    assert report.totals.llm_tokens == 2000
    assert report.to_json()["totals"]["compute"]["llm_tokens_per_order"] == "2000.0"
    assert "llm_tokens" not in report.unavailable


def test_other_currencies_days_and_unattributed_payments_are_left_out() -> None:
    payments = [
        LedgerPayment("trd_u", "ord_u", "m_a", "agent:a", Money(100, "USD"), D1),
        LedgerPayment("trd_x", "ord_x", "m_a", "", Money(100, "CNY"), D1),  # no agent
        LedgerPayment("trd_o", "ord_o", "m_a", "agent:a", Money(100, "CNY"), D1 - timedelta(1)),
    ]
    assert roi_report(payments, [], [], days=[D1], currency="CNY").totals.orders == 0


def test_days_must_be_in_order() -> None:
    with pytest.raises(ValidationError):
        roi_report([], [], [], days=[D2, D1], currency="CNY")


_days = st.sampled_from([D1, D2, D2 + timedelta(1)])


@given(
    st.lists(st.tuples(_days, st.integers(0, 10**7)), max_size=30),
    st.lists(st.tuples(_days, st.integers(1, 10**6)), max_size=10),
)
def test_totals_are_the_sum_of_the_days(
    paid: list[tuple[date, int]], refunded: list[tuple[date, int]]
) -> None:
    payments = [
        LedgerPayment(f"trd_{n}", f"ord_{n}", "m_a", "agent:a", Money(minor, "CNY"), day)
        for n, (day, minor) in enumerate(paid)
    ]
    refunds = [LedgerRefund("trd_0", "m_a", Money(minor, "CNY"), day) for day, minor in refunded]
    days = [D1, D2, D2 + timedelta(1)]
    report = roi_report(payments, refunds, [], days=days, currency="CNY")
    assert (
        report.totals.gmv.minor
        == sum(f.gmv.minor for f in report.by_day)
        == sum(m for _, m in paid)
    )
    assert report.totals.orders == sum(f.orders for f in report.by_day) == len(paid)
    assert report.totals.refunds.minor == sum(f.refunds.minor for f in report.by_day)
    average = report.totals.average_order
    if not paid:
        assert average is None
    else:
        assert average is not None
        assert average.minor * len(paid) <= report.totals.gmv.minor
