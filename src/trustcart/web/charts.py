"""Charts as server-rendered SVG: no script, no CDN, readable by a screen reader. Pure.

``bar_chart`` draws one bar per label, scaled to the largest value, with the value printed on
each bar. Colours and sizes are presentation attributes and classes, never ``style=`` (the CSP
allows no inline style). Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>``
listing every value, and the page shows the same numbers in a table, so nothing is only in the
picture. Text is escaped: a label is data, never markup.

>>> svg = bar_chart("Orders", [("12-01", 3), ("12-02", 0)], unit="orders")
>>> svg.count("<rect class=\\"bar\\""), "12-01: 3 orders" in svg
(2, True)
>>> "<script" in bar_chart("<script>", [("<b>", 1)])
False
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

WIDTH = 640
BAR_AREA = 170
TOP = 24
LABEL_SPACE = 44
Number = int | float | Decimal


def _fmt(value: Number) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{Decimal(str(value)):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bar_chart(
    title: str,
    points: Sequence[tuple[str, Number]],
    *,
    unit: str = "",
    chart_id: str = "chart",
) -> Markup:
    """A vertical bar chart of ``points`` (label, value >= 0) as inline SVG markup."""
    count = max(len(points), 1)
    largest = max((float(v) for _, v in points), default=0.0) or 1.0
    slot = (WIDTH - 20) / count
    bar_width = max(min(slot * 0.7, 60), 2)
    height = TOP + BAR_AREA + LABEL_SPACE
    described = "; ".join(f"{label}: {_fmt(value)} {unit}".rstrip() for label, value in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(described or "no data")}</desc>',
        f'<line class="axis" x1="10" y1="{TOP + BAR_AREA}" x2="{WIDTH - 10}" '
        f'y2="{TOP + BAR_AREA}"/>',
    ]
    label_every = max(1, round(count / 10))
    for n, (label, value) in enumerate(points):
        bar_height = BAR_AREA * float(value) / largest
        x = 10 + n * slot + (slot - bar_width) / 2
        y = TOP + BAR_AREA - bar_height
        centre = x + bar_width / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
            f'height="{bar_height:.1f}"><title>{escape(label)}: {escape(_fmt(value))} '
            f"{escape(unit)}</title></rect>"
        )
        if float(value) > 0 and count <= 31:
            parts.append(
                f'<text class="value" x="{centre:.1f}" y="{y - 4:.1f}" '
                f'text-anchor="middle">{escape(_fmt(value))}</text>'
            )
        if n % label_every == 0:
            parts.append(
                f'<text class="label" x="{centre:.1f}" y="{TOP + BAR_AREA + 18}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of data above is escaped
