"""What ``serve`` does before it serves, and the banner it prints: one place for both modes.

``serve`` (every role in this process) and ``serve --workers N`` (the roles in N processes,
``cli.serve_workers``) prepare the same installation: the store migrated and seeded, the ports
P..P+6, every party's key and Alice's wallet, the web app on P+4. Both print the same URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from trustcart.local.deployment import Deployment
    from trustcart.local.servers import Endpoints
    from trustcart.store.db import Database


@dataclass(frozen=True)
class Prepared:
    """The installation ``serve`` is about to serve (nothing listens yet)."""

    home: Path
    db: Database
    ports: dict[str, int]
    endpoints: Endpoints
    deployment: Deployment  # every key is written here, before any server or worker starts
    web_port: int
    web_app: Any
    services: Any


def prepare(console: Console, host: str, base_port: int) -> Prepared:
    """Migrate and seed the store under ``$TRUSTCART_HOME`` and build the installation."""
    from trustcart.core.home import default_database_url, trustcart_home
    from trustcart.local import persona
    from trustcart.local.deployment import build
    from trustcart.local.seed import seed_if_empty
    from trustcart.local.servers import ROLE_NAMES, Endpoints
    from trustcart.store.db import Database
    from trustcart.web.server import web_server_app

    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    db.migrate()
    seed_if_empty(db, console.print)
    ports = {role: base_port + offset for offset, role in enumerate(ROLE_NAMES)}
    ports["ucp"] = base_port + len(ROLE_NAMES) + 1  # P+5: the UCP business (web is P+4)
    ports["witness"] = base_port + len(ROLE_NAMES) + 2  # P+6: the witness (docs/witness.md)
    endpoints = Endpoints.on_ports(ports, host)
    deployment = build(db, home, endpoints)
    persona.ensure_account(deployment.psp, deployment.keys)
    web_port = base_port + len(ROLE_NAMES)
    web_app, services = web_server_app(deployment, home, host)
    return Prepared(home, db, ports, endpoints, deployment, web_port, web_app, services)


def print_banner(
    console: Console,
    prepared: Prepared,
    host: str,
    *,
    workers: int = 1,
    standing_every: float = 0.0,
) -> None:
    """Every URL ``serve`` answers on, the console password, and how to stop it."""
    from trustcart.cli.web import print_web
    from trustcart.local.servers import ROLE_NAMES
    from trustcart.local.ucp_platform import platform_profile_url
    from trustcart.local.ucp_platform_webhooks import order_webhook_url
    from trustcart.web.server import web_url

    endpoints, acp = prepared.endpoints, prepared.deployment.acp
    served_by = f"  ({workers} workers)" if workers > 1 else ""
    for role in ROLE_NAMES:
        console.print(f"{role:>9}: {getattr(endpoints, role)}{served_by}")
    if acp is not None:
        console.print(f"      acp: {acp.merchant_base}/<merchant_id>  (ACP 2026-04-17)")
    console.print(f"      ucp: {endpoints.ucp}/.well-known/ucp (UCP 2026-04-08 business)")
    console.print(
        f" platform: {platform_profile_url(endpoints.trust)} (our agent's UCP platform profile)"
    )
    console.print(f"  webhook: {order_webhook_url(endpoints.trust)} (its UCP order webhooks)")
    console.print(f"  witness: {endpoints.witness}/anchors (TSD-ATT-OCA anchors of the log)")
    secrets = prepared.services.secrets
    print_web(web_url(host, prepared.web_port), secrets.console_password, secrets.password_source)
    console.print("outbox relay and hold expiry running in the background")
    if standing_every > 0:
        console.print(f"standing orders: due ones bought every {standing_every:g} s")
    if workers > 1:
        console.print("press Ctrl+C to stop (SIGHUP replaces the workers one by one)")
    else:
        console.print("press Ctrl+C to stop")
