"""The MCP server, driven by MCP client sessions: in process, over stdio and over HTTP."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types

from mcp import Client, StdioServerParameters
from trustcart.assistant.tools import ShoppingTools
from trustcart.local.deployment import Deployment
from trustcart.local.persona import ACCOUNT_ID
from trustcart.local.servers import free_port
from trustcart.mcp.server import create_server

LAUNCH = "from trustcart.cli.main import main; main()"
TOOLS = {
    "structure_intent",
    "search",
    "compare",
    "propose_cart",
    "request_approval",
    "pay",
    "order_status",
    "revoke",
}


def person(answer: bool) -> Any:
    async def elicit(_context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert "Pay" in params.message
        return types.ElicitResult(action="accept", content={"approve": answer})

    return elicit


def test_mcp_client_shops_with_the_persons_approval(
    tools: ShoppingTools,
    market: tuple[ShoppingTools, Deployment],
) -> None:
    server = create_server(tools)
    deployment = market[1]
    before = deployment.psp.balance(ACCOUNT_ID)

    async def session(approve: bool) -> tuple[bool, Any]:
        async with Client(server, mode="legacy", elicitation_callback=person(approve)) as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
            assert listed == TOOLS
            compared = (
                await client.call_tool(
                    "compare", {"text": "order me a pearl milk tea under 30 CNY"}
                )
            ).structured_content
            assert compared is not None
            assert compared["options"]
            proposal = (
                await client.call_tool(
                    "propose_cart", {"option_id": compared["options"][0]["option_id"]}
                )
            ).structured_content
            assert proposal is not None
            early = await client.call_tool("pay", {"proposal_id": proposal["proposal_id"]})
            assert early.is_error
            assert "no-valid-iac" in str(early.content)
            await client.call_tool("request_approval", {"proposal_id": proposal["proposal_id"]})
            paid = await client.call_tool("pay", {"proposal_id": proposal["proposal_id"]})
            if paid.is_error:
                return False, paid.content
            assert paid.structured_content is not None
            order = paid.structured_content["orders"][0]
            status = await client.call_tool("order_status", {"out_trade_no": order["out_trade_no"]})
            assert status.structured_content is not None
            return True, (paid.structured_content, status.structured_content)

    refused, content = anyio.run(session, False)
    assert not refused
    assert "no-valid-iac" in str(content)
    assert deployment.psp.balance(ACCOUNT_ID) == before
    paid, (payment, status) = anyio.run(session, True)
    assert paid
    assert status["status"] == "PAID"
    assert deployment.psp.balance(ACCOUNT_ID) == before - Money_of(payment["total"])


def Money_of(obj: dict[str, str]) -> Any:  # noqa: N802
    from trustcart.core.money import Money

    return Money.from_json(obj)


def _environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TRUSTCART_HOME": str(home),
        "TRUSTCART_DATABASE_URL": f"sqlite:///{home / 'trustcart.db'}",
    }


def test_trustcart_mcp_over_stdio(
    market: tuple[ShoppingTools, Deployment],
    market_home: Path,
) -> None:
    parameters = StdioServerParameters(
        command=sys.executable, args=["-c", LAUNCH, "mcp"], env=_environment(market_home)
    )

    async def session() -> tuple[set[str], Any]:
        async with Client(parameters, mode="legacy") as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
            searched = await client.call_tool("search", {"query": "pearl milk tea", "limit": 3})
            return listed, searched.structured_content

    listed, searched = anyio.run(session)
    assert listed == TOOLS
    assert searched is not None
    assert 1 <= len(searched["candidates"]) <= 3


def test_trustcart_mcp_over_streamable_http(
    market: tuple[ShoppingTools, Deployment],
    market_home: Path,
) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "mcp", "--transport", "http", "--port", str(port)],
        env=_environment(market_home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)

        async def session() -> tuple[set[str], Any]:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                listed = {tool.name for tool in (await client.list_tools()).tools}
                paid = await client.call_tool("pay", {"proposal_id": "prp_none"})
                return listed, paid

        listed, paid = anyio.run(session)
        assert listed == TOOLS
        assert paid.is_error
        assert "unknown-proposal" in str(paid.content)
    finally:
        process.terminate()
        process.wait(timeout=10)
