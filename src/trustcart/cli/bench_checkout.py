"""``trustcart bench checkout`` and ``trustcart bench payments`` (see bench/checkout.py and
bench/payments.py).

Both start their own installation on loopback (a throwaway SQLite store unless
``--database-url`` names one, which the bench then writes to: use a throwaway database) and
print throughput, p50 and p99 of the verified path and of the bench-only unchecked one, and
their ratios. ``--workers N`` serves the apps from N worker processes, as ``trustcart serve
--workers N`` does (default 0: threads of the bench process). Exit codes: 0 done; 2 bad
arguments (a duration, a concurrency or a database URL out of range, or a database that an
earlier bench run already used).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from trustcart.cli.bench import bench_app

MAX_SECONDS = 3600.0
MAX_CONCURRENCY = 64

Seconds = Annotated[
    float,
    typer.Option(min=0.5, max=MAX_SECONDS, help="Timed seconds, shared by both variants."),
]
Concurrency = Annotated[
    int, typer.Option(min=1, max=MAX_CONCURRENCY, help="Workers, each with its own delegation.")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="A throwaway sqlite:// or postgresql:// database (default: a temporary SQLite).",
    ),
]
Workers = Annotated[
    int,
    typer.Option(
        min=0,
        max=64,
        help="Serve the apps from N worker processes (serve --workers N); 0: threads here.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


def _checked_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("sqlite:///", "postgresql://", "postgresql+")):
        raise typer.BadParameter(
            "must be a sqlite:/// or postgresql:// URL", param_hint="--database-url"
        )
    return url


def _run(run: Any, **arguments: Any) -> dict[str, Any]:
    from trustcart.bench.checkout_setup import BenchStoreInUse

    try:
        report: dict[str, Any] = run(progress=_progress, **arguments)
    except BenchStoreInUse as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    return report


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{report['bench']} on {report['database']}, {report['concurrency']} client(s), "
        f"{report.get('workers') or 'in-process'} server worker(s), {report['seconds']:g} s"
    )
    for column in ("variant", "done", "errors", "per s", "p50 ms", "p99 ms", "CPU ms/op"):
        table.add_column(column)
    for variant in ("verified", "unchecked", "raw_verify"):
        row = report.get(variant)
        if row is None:
            continue
        table.add_row(
            variant,
            str(row.get("completed", row.get("payments"))),
            str(row.get("errors", 0)),
            str(row["per_second"]),
            str(row.get("p50_ms", "")),
            str(row.get("p99_ms", "")),
            str(row["cpu_ms_per_op"]),
        )
    console = Console()
    console.print(table)
    for name, value in report["ratios"].items():
        console.print(f"{name}: {value}", markup=False, highlight=False)
    for variant in ("verified", "unchecked"):
        if report[variant]["first_error"]:
            console.print(f"first {variant} error: {report[variant]['first_error']}", markup=False)


def _progress(message: str) -> None:
    typer.echo(message, err=True)


@bench_app.command("checkout")
def bench_checkout(
    seconds: Seconds = 10.0,
    concurrency: Concurrency = 4,
    database_url: DatabaseUrl = None,
    workers: Workers = 0,
    as_json: AsJson = False,
) -> None:
    """The full L2 purchase over HTTP, verified and with the trust checks off (bench only)."""
    from trustcart.bench.checkout import run_checkout_bench

    url = _checked_url(database_url)
    report = _run(
        run_checkout_bench,
        seconds=seconds,
        concurrency=concurrency,
        database_url=url,
        workers=workers,
    )
    _print(report, as_json)


@bench_app.command("payments")
def bench_payments(
    seconds: Seconds = 10.0,
    concurrency: Concurrency = 4,
    database_url: DatabaseUrl = None,
    workers: Workers = 0,
    as_json: AsJson = False,
) -> None:
    """The PSP's L2 payments over HTTP, verified, unchecked and against raw verification."""
    from trustcart.bench.payments import run_payments_bench

    url = _checked_url(database_url)
    report = _run(
        run_payments_bench,
        seconds=seconds,
        concurrency=concurrency,
        database_url=url,
        workers=workers,
    )
    _print(report, as_json)
