"""``trustcart demo`` and ``trustcart serve``.

Exit status: ``demo`` 0 when every bundle verifies, 1 when one does not, 2 when ``--out`` cannot
be written; ``serve`` 2 when a server cannot listen (a port in use, an address not this
machine's), with the reason on stderr.
"""

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
    """Run instant, delegated and autonomous (L3) purchases end to end; verify every bundle."""
    from rich.console import Console

    from trustcart.local.demo import run_demo

    try:  # before anything runs: a demo that cannot keep its evidence is not worth starting
        (out / "evidence").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        typer.echo(f"error: cannot write the evidence to {out}: {e.strerror or e}", err=True)
        raise typer.Exit(2) from e
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
    base_port: int = typer.Option(
        8701, min=1, max=65530, help="status, trust, merchant, psp, web and ucp take 6 ports"
    ),
    workers: int = typer.Option(
        1, min=1, max=64, help="worker processes for each API role (docs/workers.md)"
    ),
    standing_every: float = typer.Option(
        60.0, "--standing-every", min=0.0, help="seconds between standing-order passes (0: off)"
    ),
) -> None:
    """Start every role as its own uvicorn server (status, trust, merchant, psp) and the web."""
    if workers > 1:  # the API roles on N processes, on the same ports and store
        from trustcart.cli.serve_workers import serve_with_workers

        serve_with_workers(host, base_port, workers, standing_every)
        return
    from rich.console import Console

    from trustcart.cli.serve_setup import prepare, print_banner
    from trustcart.local.servers import Servers, ServerStartError
    from trustcart.local.standing_orders import standing_scheduler

    console = Console()
    prepared = prepare(console, host, base_port)
    deployment = prepared.deployment
    servers = Servers(
        {**deployment.apps, "web": prepared.web_app},
        {**prepared.ports, "web": prepared.web_port},
        host=host,
    )
    try:
        servers.start()
    except ServerStartError as e:
        deployment.close()
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    try:
        with deployment.background(), standing_scheduler(deployment, standing_every):
            print_banner(console, prepared, host, standing_every=standing_every)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        servers.stop()
