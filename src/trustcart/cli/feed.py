"""``trustcart feed export``: a merchant's catalog as an ACP product feed (schema.feed.json).

The feed is what ``trustcart import FILE --merchant ID`` reads back unchanged ("0 inserted,
0 updated"); the mapping and what a feed cannot carry are in ``commerce.acp_feed`` and
docs/catalog-format.md. Exit 0 written, 2 unknown merchant or an unwritable file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

feed_app = typer.Typer(help="ACP product feeds.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(feed_app, name="feed")


@feed_app.command("export")
def export_command(
    merchant: Annotated[str, typer.Option(help="The merchant whose catalog to export.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The feed file to write.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Write MERCHANT's products as an ACP product feed (2026-04-17) to OUTPUT."""
    from trustcart.commerce.errors import NotFound
    from trustcart.commerce.feed_export import export_feed
    from trustcart.local.seed import seed_if_empty
    from trustcart.store.db import Database

    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    db.migrate()
    seed_if_empty(db, lambda m: typer.echo(m, err=True))
    try:
        exported = export_feed(db, merchant)
    except NotFound as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    try:
        output.write_text(exported.text(), encoding="utf-8")
    except OSError as e:
        typer.echo(f"error: cannot write {output}: {e.strerror or e}", err=True)
        raise typer.Exit(2) from e
    summary = {**exported.summary(), "file": str(output)}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"{exported.products} products ({exported.variants} variants, "
        f"{exported.available} available) written to {output}; "
        f"read it back with: trustcart import {output} --merchant {merchant}"
    )
