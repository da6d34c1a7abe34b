"""Server-rendered charts: scaled bars, every value in the description, data always escaped."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from trustcart.web.charts import BAR_AREA, bar_chart


def _heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([0-9.]+)"', svg)]


def test_bars_are_scaled_to_the_largest_value() -> None:
    svg = bar_chart("GMV", [("a", Decimal("10.00")), ("b", Decimal("5.00")), ("c", 0)])
    assert _heights(svg) == [BAR_AREA, BAR_AREA / 2, 0.0]
    assert "a: 10 ; b: 5 ; c: 0" not in svg
    assert "a: 10; b: 5; c: 0" in svg


def test_the_chart_is_an_image_with_a_title_and_no_inline_style() -> None:
    svg = bar_chart("Orders", [("12-01", 3)], chart_id="orders")
    assert 'role="img"' in svg
    assert 'aria-labelledby="orders-title orders-desc"' in svg
    assert '<title id="orders-title">Orders</title>' in svg
    assert "style=" not in svg


def test_no_data_is_said_so() -> None:
    assert "no data" in bar_chart("Refusals", [])


@given(st.text(max_size=30), st.lists(st.tuples(st.text(max_size=20), st.integers(0, 10**6))))
def test_labels_and_titles_never_become_markup(title: str, points: list[tuple[str, int]]) -> None:
    svg = bar_chart(title, points)
    assert svg.count("<svg") == 1
    assert svg.endswith("</svg>")
    assert "<script" not in svg.lower()
    assert svg.count("<title") == 1 + len(points)
