"""``trustcart conformance``: run every known-answer suite and print a table (or JSON).

Exit status is 1 when any case failed or any suite could not run, so CI can gate on it.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from trustcart.cli.app import app


@app.command()
def conformance(
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"<suite>": {"passed": N, "failed": M}} only.')
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show every case and what it checked.")
    ] = False,
    suite: Annotated[
        list[str] | None,
        typer.Option("--suite", help="Run only this suite (repeatable; names as in --json)."),
    ] = None,
) -> None:
    """Run the conformance vectors (RFC 9421, Web Bot Auth, ...) against trustcart."""
    from rich.console import Console
    from rich.table import Table

    from trustcart.conformance.runner import run_all, summary

    try:
        results = run_all(suite or None)
    except KeyError as e:
        raise typer.BadParameter(str(e.args[0]), param_hint="--suite") from e
    failed = any(result.failed for result in results)
    if as_json:
        typer.echo(json.dumps(summary(results)))
        raise typer.Exit(1 if failed else 0)
    console = Console()
    table = Table(title="trustcart conformance")
    table.add_column("suite")
    table.add_column("passed", justify="right", style="green")
    table.add_column("failed", justify="right", style="red")
    table.add_column("note")
    for result in results:
        note = result.error or ""
        if result.not_applicable:
            note = note or f"{result.not_applicable} not applicable (see --verbose)"
        table.add_row(result.name, str(result.passed), str(result.failed), note)
    console.print(table)
    for result in results:
        for case in result.cases:
            if not case.applicable:
                if verbose:
                    console.print(
                        f"  [yellow]n/a[/yellow] {result.name} {case.case_id}: {case.detail}",
                        markup=True,
                        highlight=False,
                    )
                continue
            if verbose or not case.passed:
                mark = "[green]ok[/green]" if case.passed else "[red]FAIL[/red]"
                console.print(
                    f"  {mark} {result.name} {case.case_id}: {case.detail}",
                    markup=True,
                    highlight=False,
                )
    raise typer.Exit(1 if failed else 0)
