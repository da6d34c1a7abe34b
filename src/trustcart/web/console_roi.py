"""The ROI dashboard: ``insights.sources.load_roi``, the report ``trustcart roi --json`` prints,
drawn as server-side SVG charts with the same numbers in tables beside them.

Every figure is rendered from ``RoiReport.to_json()`` (the CLI's JSON), and each total carries
a ``data-figure`` attribute with the exact value, so the page, the CLI and the ledger can be
compared by a test rather than by eye.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from trustcart.insights.sources import load_roi
from trustcart.web.auth import require_console
from trustcart.web.charts import bar_chart
from trustcart.web.i18n import Translator
from trustcart.web.rendering import page_language, render
from trustcart.web.services import WebServices

router = APIRouter(prefix="/console")
Console = Annotated[WebServices, Depends(require_console)]


def _charts(report: dict[str, Any], t: Any) -> dict[str, Any]:
    days = report["by_day"]

    def label(day: dict[str, Any]) -> str:
        return str(day["day"])[5:]  # MM-DD

    funnel = report["totals"]["funnel"]
    refusals = report["totals"]["refusals"]
    return {
        "gmv": bar_chart(
            t("roi.chart.gmv"),
            [(label(d), Decimal(d["gmv"]["amount"])) for d in days],
            unit=report["currency"],
            chart_id="chart-gmv",
        ),
        "orders": bar_chart(
            t("roi.chart.orders"), [(label(d), d["orders"]) for d in days], chart_id="chart-orders"
        ),
        "funnel": bar_chart(
            t("roi.chart.funnel"),
            [
                (t("roi.funnel.intents"), funnel["intents"]),
                (t("roi.funnel.options"), funnel["options_shown"]),
                (t("roi.funnel.carts"), funnel["carts_confirmed"]),
                (t("roi.funnel.paid"), funnel["paid"]),
            ],
            chart_id="chart-funnel",
        ),
        "refusals": bar_chart(
            t("roi.chart.refusals"), list(refusals.items()), chart_id="chart-refusals"
        ),
        "compute": bar_chart(
            t("roi.chart.compute"),
            [(label(d), Decimal(d["compute"]["assistant_ms_per_order"] or "0")) for d in days],
            unit="ms",
            chart_id="chart-compute",
        ),
    }


@router.get("/roi", response_class=HTMLResponse)
async def roi(
    request: Request,
    services: Console,
    days: Annotated[int, Query(ge=1, le=366)] = 14,
    merchant: Annotated[str, Query(max_length=96)] = "",
) -> Any:
    report = await run_in_threadpool(
        lambda: load_roi(services.db, services.clock, days=days, merchant_id=merchant or None)
    )
    body = report.to_json()
    merchants = sorted(services.deployment.merchant_keys)
    return render(
        request,
        "console/roi.html",
        report=body,
        charts=_charts(body, Translator(page_language(request))),
        days=days,
        merchant=merchant,
        merchants=merchants,
    )
