"""``trustcart mcp``: serve the shopping tools over MCP (stdio, or streamable HTTP).

Over HTTP the MCP app runs behind the same limits as every trustcart server: the request-head
deadline, header size and connection count of ``local.http_limits`` and the body deadline of
``api.body_timeout`` (the MCP library caps the body size and parses JSON with a depth limit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

if TYPE_CHECKING:
    import uvicorn
    from mcp.server.mcpserver import MCPServer

    from trustcart.local.http_limits import ServerLimits


@app.command("mcp")
def mcp_server(
    transport: str = typer.Option("stdio", help="stdio or http (streamable HTTP)"),
    host: str = typer.Option("127.0.0.1", help="address for --transport http"),
    port: int = typer.Option(8710, min=1, max=65535, help="port for --transport http"),
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
            mcp_http_server(server, host, port).run()


def mcp_http_server(
    server: MCPServer,
    host: str,
    port: int,
    *,
    limits: ServerLimits | None = None,
    body_timeout: float | None = None,
) -> uvicorn.Server:
    """The MCP streamable-HTTP app as a uvicorn server with trustcart's limits (not started)."""
    import uvicorn

    from trustcart.api.body_timeout import BODY_TIMEOUT_SECONDS, BodyTimeoutMiddleware
    from trustcart.local.http_limits import uvicorn_config

    guarded = BodyTimeoutMiddleware(
        server.streamable_http_app(host=host), timeout=body_timeout or BODY_TIMEOUT_SECONDS
    )
    config = uvicorn_config(guarded, host=host, port=port, limits=limits, lifespan="on")
    return uvicorn.Server(config)
