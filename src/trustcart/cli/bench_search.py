"""``trustcart bench search``: the catalog search benchmark (see bench/search.py)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from trustcart.cli.bench import bench_app


@bench_app.command("search")
def bench_search(
    items: Annotated[
        int, typer.Option(min=1_000, max=50_000_000, help="Synthetic offers to ingest.")
    ] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    distinct_texts: Annotated[
        bool,
        typer.Option(
            "--distinct-texts",
            help="Give every offer a title of its own (a model code), so every text is embedded.",
        ),
    ] = False,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Where to build the index (default: a temporary folder, removed after)."),
    ] = None,
) -> None:
    """Ingest N synthetic offers into the embedded index; time lexical, semantic, filtered
    and hybrid queries; measure ANN recall@10 and peak memory; time raw tantivy BM25 and an
    exact numpy scan in the same process and print the ratios to them."""
    from rich.console import Console
    from rich.progress import Progress

    from trustcart.bench.search import run_search_bench
    from trustcart.search.embedded import EmbeddedCatalogIndex
    from trustcart.search.embedding import default_embedder

    folder = workdir or Path(tempfile.mkdtemp(prefix="trustcart-bench-"))
    index = EmbeddedCatalogIndex(folder / "catalog", default_embedder())
    try:
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("ingesting", total=items)
            report = run_search_bench(
                index,
                items,
                distinct_texts=distinct_texts,
                progress=lambda n: progress.advance(task, n),
            )
    finally:
        index.close()
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console = Console()
    console.print(
        f"ingest: {report['ingest_items_per_s']} items/s; "
        f"recall@10 {report['recall_at_10']}; peak {report['peak_memory_mib']} MiB"
    )
    for kind in ("lexical", "semantic", "filtered", "hybrid"):
        console.print(f"{kind:9} {report[kind]}")
    baseline = report["baseline"]
    console.print(f"baseline raw BM25 {baseline['bm25']}")
    console.print(f"baseline exact scan of {baseline['exact_scan_rows']} {baseline['exact_scan']}")
    for name, ratio in report["ratios"].items():
        console.print(f"{name:22} p50 {ratio['p50']}x  p99 {ratio['p99']}x")
