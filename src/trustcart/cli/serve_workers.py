"""``trustcart serve --workers N`` (N > 1): every role's API served by N worker processes.

This process prepares the store and the keys exactly as ``serve`` does (migrate, seed, every
party's key, Alice's wallet, the console password), binds one socket per API role (a port in
use: exit 2 before any worker starts) and then hands the sockets to uvicorn's supervisor
(``local.worker_pool``), which runs N workers that each build the installation afresh on the
same store (``local.workers``). This process keeps four things of its own: the web app (its
sessions and signing desk live in memory, so it stays one process), the background relay and
expiry sweeps, the standing-order scheduler (``--standing-every``), and the supervisor. Ctrl+C
or SIGTERM stops every worker, then the rest.
"""

from __future__ import annotations

import typer


def serve_with_workers(host: str, base_port: int, workers: int, standing_every: float) -> None:
    """Run ``serve`` with the API roles on ``workers`` processes (see the module docstring)."""
    from rich.console import Console

    from trustcart.api.rate_limit import rate_limit_from_env
    from trustcart.cli.serve_setup import prepare, print_banner
    from trustcart.local.servers import Servers, ServerStartError
    from trustcart.local.standing_orders import standing_scheduler
    from trustcart.local.worker_pool import bind_sockets, supervise
    from trustcart.local.workers import WorkerSpec, limit_text, per_worker_limit

    console = Console()
    prepared = prepare(console, host, base_port)  # every key is written before any worker
    home, db, ports, deployment = prepared.home, prepared.db, prepared.ports, prepared.deployment
    web_app, web_port = prepared.web_app, prepared.web_port
    spec = WorkerSpec(
        str(home),
        db.url,
        ports,
        host=host,
        workers=workers,
        trust_rate_limit=limit_text(per_worker_limit(rate_limit_from_env(), workers)),
    )
    web = Servers({"web": web_app}, {"web": web_port}, host=host)
    try:
        sockets = bind_sockets(host, spec.ports)
        try:
            web.start()
        except ServerStartError:
            for sock in sockets.values():
                sock.close()
            raise
    except ServerStartError as e:
        deployment.close()
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    try:
        with deployment.background(), standing_scheduler(deployment, standing_every):
            print_banner(console, prepared, host, workers=workers, standing_every=standing_every)
            supervise(spec, sockets)  # until Ctrl+C or SIGTERM: uvicorn stops every worker
        console.print("stopping")
    finally:
        web.stop()
        for sock in sockets.values():
            sock.close()
        deployment.close()
