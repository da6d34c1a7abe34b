"""``trustcart serve --workers N`` (N > 1): every role's API served by N worker processes.

This process prepares the store and the keys exactly as ``serve`` does (migrate, seed, every
party's key, Alice's wallet, the console password), binds one socket per API role (a port in
use: exit 2 before any worker starts) and then hands the sockets to uvicorn's supervisor
(``local.worker_pool``), which runs N workers that each build the installation afresh on the
same store (``local.workers``). This process keeps three things of its own: the web app (its
sessions and signing desk live in memory, so it stays one process), the background relay and
expiry sweeps, and the supervisor. Ctrl+C or SIGTERM stops every worker, then the rest.
"""

from __future__ import annotations

import typer

from trustcart.core.home import default_database_url, trustcart_home


def serve_with_workers(host: str, base_port: int, workers: int) -> None:
    """Run ``serve`` with the API roles on ``workers`` processes (see the module docstring)."""
    from rich.console import Console

    from trustcart.api.rate_limit import rate_limit_from_env
    from trustcart.cli.web import print_web
    from trustcart.local import persona
    from trustcart.local.deployment import build
    from trustcart.local.seed import seed_if_empty
    from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, ServerStartError
    from trustcart.local.worker_pool import bind_sockets, supervise
    from trustcart.local.workers import WorkerSpec, limit_text, per_worker_limit
    from trustcart.store.db import Database
    from trustcart.web.server import web_server_app, web_url

    console = Console()
    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    db.migrate()
    seed_if_empty(db, console.print)
    ports = {role: base_port + offset for offset, role in enumerate(ROLE_NAMES)}
    ports["ucp"] = base_port + len(ROLE_NAMES) + 1  # P+5: the UCP business (web is P+4)
    endpoints = Endpoints.on_ports(ports, host)
    deployment = build(db, home, endpoints)  # every key is written here, before any worker
    persona.ensure_account(deployment.psp, deployment.keys)
    web_port = base_port + len(ROLE_NAMES)
    web_app, services = web_server_app(deployment, home, host)
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
        with deployment.background():
            for role in ROLE_NAMES:
                console.print(f"{role:>9}: {getattr(endpoints, role)}  ({workers} workers)")
            if deployment.acp is not None:
                console.print(
                    f"      acp: {deployment.acp.merchant_base}/<merchant_id>  (ACP 2026-04-17)"
                )
            console.print(f"      ucp: {endpoints.ucp}/.well-known/ucp (UCP 2026-04-08 business)")
            print_web(web_url(host, web_port), services.secrets.console_password,
                      services.secrets.password_source)  # fmt: skip
            console.print("outbox relay and hold expiry running in the background")
            console.print("press Ctrl+C to stop (SIGHUP replaces the workers one by one)")
            supervise(spec, sockets)  # until Ctrl+C or SIGTERM: uvicorn stops every worker
        console.print("stopping")
    finally:
        web.stop()
        for sock in sockets.values():
            sock.close()
        deployment.close()
