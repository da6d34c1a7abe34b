"""Reading standing orders from the person's words (English and Chinese): item, period, the
per-period cap, the total cap over the periods and the end date; what is not one is None."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trustcart.assistant.standing_words import MAX_LIFETIME, read_standing_order

NOW = datetime(2026, 12, 2, 13, 52, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "item", "period", "cap", "total", "end"),
    [
        (
            "restock printer paper every month under 40",
            "printer paper",
            "P1M",
            "40.00",
            "480.00",
            "2027-12-02T13:52:00+00:00",
        ),
        (
            "每月补货打印纸，40元以内",
            "打印纸",
            "P1M",
            "40.00",
            "480.00",
            "2027-12-02T13:52:00+00:00",
        ),
        (
            "restock milk tea powder every 2 weeks under 40",
            "milk tea powder",
            "P2W",
            "40.00",
            "480.00",
            "2027-05-19T13:52:00+00:00",
        ),
        (
            "weekly bananas under 10",
            "bananas",
            "P1W",
            "10.00",
            "120.00",
            "2027-02-24T13:52:00+00:00",
        ),
        (
            "restock tapioca pearls every week under 20 until June",
            "tapioca pearls",
            "P1W",
            "20.00",
            "620.00",
            "2027-06-30T23:59:59+00:00",
        ),
        (
            "每两周补货奶茶粉，40元以内",
            "milk tea powder",
            "P2W",
            "40.00",
            "480.00",
            "2027-05-19T13:52:00+00:00",
        ),
        (
            "每月补货奶茶粉，40元以内，到6月",
            "milk tea powder",
            "P1M",
            "40.00",
            "280.00",
            "2027-06-30T23:59:59+00:00",
        ),
        (
            "restock bananas every 3 days under 10 until 2026-12-31",
            "bananas",
            "P3D",
            "10.00",
            "100.00",
            "2026-12-31T23:59:59+00:00",
        ),
    ],
)
def test_standing_orders_are_read(
    text: str, item: str, period: str, cap: str, total: str, end: str
) -> None:
    order = read_standing_order(text, now=NOW)
    assert order is not None
    assert (order.item, order.period, order.period_cap.amount_str()) == (item, period, cap)
    assert order.max_total.amount_str() == total
    assert order.end.isoformat() == end
    # the total is the cap times the periods that start before the end
    periods = sum(1 for k in range(400) if order.recurrence.boundary(NOW, k) < order.end)
    assert order.max_total == order.period_cap * periods


@pytest.mark.parametrize(
    "text",
    [
        "printer paper under 40",  # no recurrence: a one-off purchase
        "restock printer paper every month",  # no cap
        "every month under 40",  # no item
        "restock printer paper every month under 40 until 2026-01-01",  # ended already
        "",
    ],
)
def test_what_is_not_a_standing_order(text: str) -> None:
    assert read_standing_order(text, now=NOW) is None


def test_an_end_date_far_away_is_clamped_never_widened() -> None:
    order = read_standing_order("restock bananas weekly under 10 until 2099-01-01", now=NOW)
    assert order is not None
    assert order.end == NOW + MAX_LIFETIME
