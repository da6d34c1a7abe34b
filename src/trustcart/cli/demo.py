"""``trustcart demo`` and ``trustcart serve``."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home


@app.command()
def demo(
    out: Path = typer.Option(Path("trustcart-demo"), "--out", help="where evidence goes"),  # noqa: B008
) -> None:
    """Run an instant and a delegated purchase end to end, then verify every evidence bundle."""
    from rich.console import Console

    from trustcart.local.demo import run_demo

    console = Console()
    home = trustcart_home()
    result = run_demo(home=home, database_url=default_database_url(home), out=out, console=console)
    console.rule()
    console.print(
        f"{len(result.bundles)} evidence bundles written to {out / 'evidence'}, "
        f"{len(result.verified)} verified; {len(result.refusals)} refusals shown"
    )
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    base_port: int = typer.Option(8701, help="status, trust, merchant and psp take 4 ports"),
) -> None:
    """Start every role as its own uvicorn server (status, trust, merchant, psp)."""
    from rich.console import Console

    from trustcart.local.deployment import build
    from trustcart.local.seed import seed_if_empty
    from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers
    from trustcart.store.db import Database

    console = Console()
    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    db.migrate()
    seed_if_empty(db, console.print)
    ports = {role: base_port + offset for offset, role in enumerate(ROLE_NAMES)}
    endpoints = Endpoints.on_ports(ports, host)
    deployment = build(db, home, endpoints)
    with Servers(deployment.apps, ports, host=host), deployment.background():
        for role in ROLE_NAMES:
            console.print(f"{role:>9}: {getattr(endpoints, role)}")
        console.print("outbox relay and hold expiry running in the background")
        console.print("press Ctrl+C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("stopping")
