"""``trustcart roi``: what agents brought, by day, from the ledger and the transparency log.

The same report as the web console's ROI page (``insights.sources.load_roi``); ``--json``
prints ``RoiReport.to_json`` (README: contracts; docs/roi.md).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home


@app.command("roi")
def roi_command(
    days: Annotated[int, typer.Option(min=1, max=366, help="Days back, today included.")] = 14,
    merchant: Annotated[str | None, typer.Option(help="Only this merchant's figures.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of the figures.")] = "CNY",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Agent-attributed GMV, orders, funnel, refusals, refunds and compute per order, by day."""
    from trustcart.core.clock import SystemClock
    from trustcart.core.errors import TrustcartError
    from trustcart.core.money import Money
    from trustcart.insights.sources import load_roi
    from trustcart.store.db import Database

    try:
        Money.zero(currency.upper())  # an unknown currency is a bad argument, not a crash
    except (TrustcartError, ValueError) as e:
        typer.echo(f"error: {currency!r} is not a currency trustcart knows", err=True)
        raise typer.Exit(2) from e
    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    try:
        db.migrate()
        report = load_roi(
            db, SystemClock(), days=days, currency=currency.upper(), merchant_id=merchant
        )
    finally:
        db.dispose()
    body = report.to_json()
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    totals = body["totals"]
    funnel = totals["funnel"]
    typer.echo(
        f"{body['from']} .. {body['to']}  ({body['currency']}, {merchant or 'all merchants'})"
    )
    typer.echo(
        f"GMV {totals['gmv']['amount']}  orders {totals['orders']}  "
        f"average {(totals['average_order_value'] or {}).get('amount', '-')}  "
        f"refunds {totals['refunds']['amount']['amount']} ({totals['refunds']['count']})"
    )
    typer.echo(
        f"funnel: {funnel['intents']} intents -> {funnel['options_shown']} options shown -> "
        f"{funnel['carts_confirmed']} carts confirmed -> {funnel['paid']} paid"
    )
    refusals = ", ".join(f"{code} {n}" for code, n in totals["refusals"].items()) or "none"
    typer.echo(f"refusals: {refusals}")
    compute = totals["compute"]
    typer.echo(
        f"assistant time per order: {compute['assistant_ms_per_order'] or '-'} ms; "
        f"tokens: {compute['llm_tokens'] if compute['llm_tokens'] is not None else 'unavailable'}"
    )
