"""``trustcart web``: the shopper's pages and the merchant console, on loopback.

Everything runs in this process on the embedded defaults: the store in ``$TRUSTCART_HOME``
(seeded when empty), every role on free loopback ports, the web app on ``--host``/``--port``.
It prints the URL and the console's password (generated into
``$TRUSTCART_HOME/console-password.txt`` on first run, or ``$TRUSTCART_CONSOLE_PASSWORD``).
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

DEFAULT_PORT = 8700


def print_web(url: str, password: str, source: str) -> None:
    typer.echo(f"web: {url}/")
    typer.echo(f"merchant console: {url}/console  (password {password}, from {source})")


@app.command("web")
def web_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port of the web app.")
    ] = DEFAULT_PORT,
) -> None:
    """Serve the web app (shopper pages, merchant console) with every role behind it."""
    from trustcart.web.server import running_web

    home = trustcart_home()
    with running_web(home, default_database_url(home), host=host, port=port) as running:
        secrets = running.services.secrets
        print_web(running.url, secrets.console_password, secrets.password_source)
        typer.echo("press Ctrl+C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("stopping")
