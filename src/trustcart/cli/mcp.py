"""``trustcart mcp``: serve the shopping tools over MCP (stdio, or streamable HTTP)."""

from __future__ import annotations

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home


@app.command("mcp")
def mcp_server(
    transport: str = typer.Option("stdio", help="stdio or http (streamable HTTP)"),
    host: str = typer.Option("127.0.0.1", help="address for --transport http"),
    port: int = typer.Option(8710, help="port for --transport http"),
) -> None:
    """Run the MCP server on the default store (search, compare, cart, approval, pay...)."""
    from trustcart.local.market import local_market
    from trustcart.mcp.server import create_server

    if transport not in ("stdio", "http"):
        raise typer.BadParameter("--transport must be stdio or http")
    home = trustcart_home()
    with local_market(home, default_database_url(home)) as (tools, _deployment):
        server = create_server(tools)
        if transport == "stdio":
            server.run("stdio")
        else:
            server.run("streamable-http", host=host, port=port)
