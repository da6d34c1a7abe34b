"""``trustcart relay`` and ``trustcart maintenance``: the installation's upkeep, from a shell.

    trustcart relay                     deliver the outbox until Ctrl+C (the relay as a worker)
    trustcart relay --once [--json]     one pass over what is due, then exit (cron)
    trustcart relay --once --now        the same, trying every pending message at once,
                                        whatever its retry schedule (after fixing an outage)
    trustcart relay --status [--json]   messages per kind and state; the oldest pending
    trustcart maintenance [--json]      release lapsed stock holds, expire credentials, then
                                        one relay pass (cron)

They work on the default store (``$TRUSTCART_HOME``, ``$TRUSTCART_DATABASE_URL``) whether or
not ``trustcart serve`` runs (which does the same in the background; two at once are safe).
Records go into the log in the store itself unless ``--log-url`` names the trust service;
notices go to ``--merchant-url`` (default: where ``trustcart serve`` puts the merchant
service); ACP and UCP order webhooks go to the agent platforms, the UCP ones signed as the
business at ``--ucp-url`` (default: where ``trustcart serve`` puts it). Exit status: 0 done
(what could not be delivered yet stays pending and is retried), 1 a message was refused for
good during the pass (see ``--status``; docs/reliability.md).
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

DEFAULT_MERCHANT_URL = "http://127.0.0.1:8703"  # trustcart serve's merchant port


def _service_url(value: str | None) -> str | None:
    """An http(s) URL with a host, refused before anything starts (exit 2) otherwise."""
    import httpx

    if value is None:
        return None
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError, ValueError) as e:
        raise typer.BadParameter(f"{value!r} is not a URL: {e}") from e
    if url.scheme not in ("http", "https") or not url.host:
        raise typer.BadParameter(f"{value!r} is not an http(s) URL with a host")
    return value


LogUrl = Annotated[
    str | None,
    typer.Option(
        "--log-url",
        callback=_service_url,
        help="trust service URL (default: the log in the store itself)",
    ),
]
MerchantUrl = Annotated[
    str,
    typer.Option(
        "--merchant-url", callback=_service_url, help="merchant service URL for payment notices"
    ),
]
UcpUrl = Annotated[
    str | None,
    typer.Option(
        "--ucp-url",
        callback=_service_url,
        help="UCP business URL named in UCP webhooks (default: serve's, port 8706)",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print the result as JSON")]


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, sort_keys=True))
    else:
        for name, value in result.items():
            typer.echo(f"{name}: {value}")


@app.command()
def relay(  # noqa: PLR0917 - one parameter per CLI option
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    now: Annotated[
        bool, typer.Option("--now", help="with --once: every pending message, not only due ones")
    ] = False,
    status: Annotated[bool, typer.Option("--status", help="show the outbox, deliver nothing")] = (
        False
    ),
    interval: Annotated[
        float, typer.Option(min=0.05, max=3600, help="seconds between passes")
    ] = 1.0,
    log_url: LogUrl = None,
    merchant_url: MerchantUrl = DEFAULT_MERCHANT_URL,
    ucp_url: UcpUrl = None,
    as_json: AsJson = False,
) -> None:
    """Deliver the outbox: records to the log, notices to merchants, webhooks to platforms."""
    from trustcart.local.upkeep import build_upkeep
    from trustcart.store.db import Database

    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    try:
        db.migrate()
        with build_upkeep(
            db, home, merchant_url=merchant_url, log_url=log_url, ucp_url=ucp_url
        ) as upkeep:
            if status:
                _print(upkeep.relay.status().to_json(), as_json)
                return
            if once:
                report = upkeep.relay.run_now() if now else upkeep.relay.run_once()
                _print(report.to_json(), as_json)
                if report.refused:
                    raise typer.Exit(1)
                return
            typer.echo("relaying the outbox; press Ctrl+C to stop")
            try:
                while True:
                    upkeep.relay.run_once()
                    time.sleep(interval)
            except KeyboardInterrupt:
                typer.echo("stopping")
    finally:
        db.dispose()


@app.command()
def maintenance(
    log_url: LogUrl = None,
    merchant_url: MerchantUrl = DEFAULT_MERCHANT_URL,
    ucp_url: UcpUrl = None,
    as_json: AsJson = False,
) -> None:
    """Release the stock of carts unpaid past their price lock, expire credentials, relay."""
    from trustcart.local.upkeep import build_upkeep
    from trustcart.store.db import Database

    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    try:
        db.migrate()
        with build_upkeep(
            db, home, merchant_url=merchant_url, log_url=log_url, ucp_url=ucp_url
        ) as upkeep:
            report = upkeep.run_once()
        _print(report.to_json(), as_json)
        if report.relay.refused:
            raise typer.Exit(1)
    finally:
        db.dispose()
