"""``trustcart bench risk``: precision and recall of the risk rules on generated days with
injected anomalies, and the rules' cost per payment on a filled store (see bench/risk.py)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from trustcart.cli.bench import bench_app


@bench_app.command("risk")
def bench_risk(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    seeds: Annotated[int, typer.Option(min=1, max=50, help="Generated days (seeds 1..N).")] = 3,
    payments: Annotated[
        int, typer.Option(min=100, max=2_000_000, help="Payments in the store for the cost.")
    ] = 50_000,
    samples: Annotated[int, typer.Option(min=10, max=100_000, help="Timed payments.")] = 500,
) -> None:
    """Replay generated days through the risk rules ($TRUSTCART_HOME/risk.toml, else the
    defaults) and print precision and recall per rule; time the history read per payment."""
    from rich.console import Console
    from rich.table import Table

    from trustcart.bench.risk import cost_report, replay_report
    from trustcart.core.home import trustcart_home
    from trustcart.payments.errors import RiskConfigError
    from trustcart.payments.risk.config import load_risk_config

    try:
        config = load_risk_config(trustcart_home())
    except RiskConfigError as e:
        Console(stderr=True).print(f"error: {e}", markup=False, highlight=False)
        raise typer.Exit(2) from e
    report = {
        "replay": replay_report(tuple(range(1, seeds + 1)), config),
        "cost": cost_report(
            payments=payments, agents=max(10, payments // 50), samples=samples, config=config
        ),
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    replayed = report["replay"]
    table = Table(
        title=f"risk rules on {seeds} generated days ({replayed['attempts']} payment attempts)"
    )
    for column in ("rule", "fired", "true pos.", "incidents", "caught", "precision", "recall"):
        table.add_column(column)
    for row in replayed["summed"]:
        table.add_row(
            row["rule"],
            str(row["fired"]),
            str(row["true_positives"]),
            str(row["incidents"]),
            str(row["caught"]),
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
        )
    console = Console()
    console.print(table)
    cost = report["cost"]
    console.print(
        f"history read + rules per payment ({cost['store']}, {cost['payments']} payments, "
        f"{cost['agents']} agents): median {cost['median_ms']} ms, p95 {cost['p95_ms']} ms",
        markup=False,
        highlight=False,
    )
