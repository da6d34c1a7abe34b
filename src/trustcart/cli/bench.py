"""``trustcart bench ...``: benchmarks, one sub-command each, sharing one Typer sub-app.

Other benchmark modules add their own commands to ``bench_app``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from trustcart.cli.app import app

if TYPE_CHECKING:
    pass

bench_app = typer.Typer(help="Benchmarks", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(bench_app, name="bench")


@bench_app.command("tryon")
def bench_tryon(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    repeats: Annotated[int, typer.Option(min=1, max=50, help="Timed runs per case.")] = 5,
    size: Annotated[
        list[int] | None,
        typer.Option("--size", help="Photo size (long side, px); repeat for several."),
    ] = None,
) -> None:
    """Median time per virtual try-on at 512, 1024 and 2048 px (classical back end)."""
    from rich.console import Console
    from rich.table import Table

    from trustcart.bench.tryon import DEFAULT_SIZES, run_tryon_bench
    from trustcart.tryon.errors import TryOnError

    sizes = tuple(size) if size else DEFAULT_SIZES
    if any(not 128 <= side <= 4096 for side in sizes):
        raise typer.BadParameter("sizes must be between 128 and 4096", param_hint="--size")
    try:
        report = run_tryon_bench(sizes=sizes, repeats=repeats)
    except TryOnError as e:
        Console(stderr=True).print(f"error: {e}", markup=False, highlight=False)
        raise typer.Exit(2) from e
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(title=f"virtual try-on ({report['analyzer']}, {report['cpu']})")
    for column in ("size", "category", "pipeline ms", "end-to-end ms", "target ms"):
        table.add_column(column)
    rows = report["results"]
    assert isinstance(rows, list)
    for row in rows:
        target = row["target_ms"]
        table.add_row(
            str(row["size"]),
            str(row["category"]),
            str(row["pipeline_ms"]),
            str(row["end_to_end_ms"]),
            "" if target is None else f"≤ {target:g}",
        )
    Console().print(table)


@bench_app.command("startup")
def bench_startup(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    repeats: Annotated[int, typer.Option(min=1, max=50, help="Timed runs per command.")] = 7,
) -> None:
    """Start-up time of `trustcart --help` and one `trustcart search`, as ratios to baselines."""
    from trustcart.bench.startup import run_startup_bench
    from trustcart.core.home import trustcart_home

    report = run_startup_bench(trustcart_home(), repeats=repeats)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for name, seconds in report["median_seconds"].items():
        typer.echo(f"{seconds * 1000:8.1f} ms  {name}")
    typer.echo(f"trustcart --help: {report['help_vs_python']}x python -c pass")
    typer.echo(
        f"trustcart search: {report['search_vs_imports']}x importing numpy, tantivy, sqlalchemy"
    )
