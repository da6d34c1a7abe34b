"""``trustcart import | search | compare``: the catalog on the default store ($TRUSTCART_HOME).

The store is migrated and seeded with the demo catalog when empty, and the embedded search
index under ``$TRUSTCART_HOME/index/catalog`` is brought up to date (built on first use,
updated incrementally by each import), so every command works on a fresh folder.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

if TYPE_CHECKING:
    from rich.console import Console

    from trustcart.search.index import CatalogIndex
    from trustcart.store.db import Database


@cache
def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _open() -> tuple[Database, CatalogIndex]:
    from trustcart.commerce.catalog_search import ensure_indexed, open_embedded_index
    from trustcart.local.seed import seed_if_empty
    from trustcart.store.db import Database

    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    db.migrate()
    seed_if_empty(db, lambda m: _err().print(m, markup=False, highlight=False))
    index = open_embedded_index(home)
    ensure_indexed(db, index)
    return db, index


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)  # one line, never wrapped
    return typer.Exit(2)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    merchant: Annotated[str | None, typer.Option(help="Merchant id for every row.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import a catalog (CSV, JSONL, Parquet or an ACP feed); bad rows are reported."""
    from rich.progress import Progress

    from trustcart.commerce.catalog_search import index_catalog
    from trustcart.commerce.ingest import import_catalog
    from trustcart.core.clock import SystemClock
    from trustcart.core.errors import ValidationError

    db, index = _open()
    try:
        with Progress(console=_err(), transient=True) as progress:
            task = progress.add_task(f"importing {file.name}", total=None)
            report = import_catalog(
                db,
                file,
                now=SystemClock().now(),
                merchant_id=merchant,
                progress=lambda n: progress.advance(task, n),
            )
            if report.changed_ids:
                index_catalog(db, index, report.changed_ids)
    except ValidationError as e:
        raise _fail(str(e)) from e
    finally:
        index.close()
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(
            f"{report.inserted} inserted, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.issues)} rejected"
        )
        for issue in report.issues:
            typer.echo(f"  line {issue.line}: {issue.reason}")
    if report.issues and not (report.inserted or report.updated or report.unchanged):
        raise typer.Exit(1)


@app.command("search")
def search_command(  # noqa: PLR0917 - one parameter per CLI option
    query: Annotated[str, typer.Argument(help='What to look for: "pearl milk tea", "珍珠奶茶".')],
    max_price: Annotated[str | None, typer.Option(help="Highest price, e.g. 30 or 29.90.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of --max-price.")] = "CNY",
    category: Annotated[str | None, typer.Option(help="Category prefix, e.g. drinks.")] = None,
    near: Annotated[str | None, typer.Option(help="LAT,LON of the buyer.")] = None,
    radius_km: Annotated[str | None, typer.Option(help="Only offers within R km.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 10,
    mode: Annotated[str, typer.Option(help="hybrid, lexical or semantic.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Hybrid (BM25 + embeddings) search with exact filters."""
    from trustcart.core.errors import ValidationError
    from trustcart.core.geo import GeoPoint
    from trustcart.core.money import Money
    from trustcart.search.query import SearchMode, SearchQuery

    try:
        location = None
        if near is not None:
            lat, _, lon = near.partition(",")
            location = GeoPoint.parse(lat.strip(), lon.strip())
        search_query = SearchQuery(
            query,
            max_price=Money.parse(max_price, currency) if max_price else None,
            category_prefix=category,
            location=location,
            radius_km=Decimal(radius_km) if radius_km is not None else None,
            limit=limit,
        )
        search_mode = SearchMode(mode)
    except (ValidationError, ValueError, InvalidOperation) as e:
        raise _fail(str(e)) from e
    from trustcart.commerce.catalog_search import catalog_search

    db, index = _open()
    reason = None
    try:
        # The same engine the merchant service answers agents with: the same ranking.
        engine = catalog_search(db, index)
        result = engine.search(search_query, search_mode)
        if not as_json:
            from trustcart.search.explain import explain_empty

            reason = explain_empty(engine, search_query, search_mode, result)
    finally:
        index.close()
    if as_json:
        typer.echo(json.dumps([h.to_json() for h in result.hits], ensure_ascii=False, indent=2))
        return
    from trustcart.cli.catalog_output import search_lines

    for line in search_lines(query, search_mode.value, result, reason):
        typer.echo(line)


@app.command("compare")
def compare_command(
    product_id: Annotated[str, typer.Argument(help="A product id, e.g. from search.")],
    near: Annotated[str | None, typer.Option(help="LAT,LON: only shops delivering there.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print offers as JSON.")] = False,
) -> None:
    """The same product across merchants: total after shipping and best coupons, best first."""
    from trustcart.cli.catalog_output import compare_lines
    from trustcart.commerce.compare import compare_product
    from trustcart.commerce.errors import NotFound
    from trustcart.core.clock import SystemClock
    from trustcart.core.errors import ValidationError
    from trustcart.core.geo import GeoPoint

    try:
        location = None
        if near is not None:
            lat, _, lon = near.partition(",")
            location = GeoPoint.parse(lat.strip(), lon.strip())
    except ValidationError as e:
        raise _fail(str(e)) from e
    db, index = _open()
    index.close()
    try:
        comparison = compare_product(db, product_id, now=SystemClock().now(), location=location)
    except NotFound as e:
        raise _fail(f"no product {product_id}") from e
    if as_json:
        offers = [o.to_json() for o in comparison.offers]
        typer.echo(json.dumps(offers, ensure_ascii=False, indent=2))
        return
    for line in compare_lines(comparison):
        typer.echo(line)
