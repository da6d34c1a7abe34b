"""The trustcart MCP server: the shopping tools for any MCP client (stdio or streamable HTTP).

Tools: ``structure_intent``, ``search``, ``compare``, ``propose_cart``, ``request_approval``,
``pay``, ``order_status``, ``revoke``. They are ``assistant.tools.ShoppingTools`` unchanged, so
an MCP client (an LLM agent) has exactly the powers of the built-in assistant and no more:
``pay`` is refused without an IAC the person signed, and every check runs before money moves.

``request_approval`` asks the *person* through MCP elicitation: the client shows them the
summary and returns accept/decline. A client that cannot elicit gets a refusal, never a silent
yes (with mcp 2.x the back-channel exists on a handshake session, ``mode="legacy"``
clients; elsewhere approval is refused, fail closed). A refusal is a tool error
(``is_error``) whose text starts with the stable code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.proposals import ApprovalRequest
from trustcart.assistant.tools import ShoppingTools

INSTRUCTIONS = (
    "Shop for the user on a marketplace with a trust layer. Call compare with the user's words "
    "to get options; ask the user any questions it returns; propose_cart with the chosen "
    "option_id; request_approval (the user confirms on their side); then pay. Pay only works "
    "within a credential the user signed."
)


class Approval(BaseModel):
    """What the person answers to an approval request."""

    approve: bool = Field(description="true to sign the authorization, false to refuse")


async def _call(function: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return await anyio.to_thread.run_sync(function)
    except ToolRefused as refusal:
        raise ToolError(f"{refusal.code}: {refusal.reason}") from refusal


def create_server(tools: ShoppingTools) -> MCPServer:
    server: MCPServer = MCPServer(name="trustcart", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    async def structure_intent(text: str) -> dict[str, Any]:
        """Structure a shopping request (English or Chinese) into an intent and open questions."""
        return await _call(lambda: tools.structure_intent(text))

    @server.tool()
    async def search(
        query: str,
        category: str | None = None,
        max_unit_price: str | None = None,
        quantity: int = 1,
        limit: int = 10,
    ) -> dict[str, Any]:
        """Search every merchant; each candidate is priced with its best coupons."""
        return await _call(
            lambda: {
                "candidates": tools.search(
                    query,
                    category=category,
                    max_unit_price=max_unit_price,
                    quantity=quantity,
                    limit=limit,
                )
            }
        )

    @server.tool()
    async def compare(text: str) -> dict[str, Any]:
        """Compare merchants for a request: 1 to 3 options with reasons, or questions to ask."""
        return await _call(lambda: tools.compare(text))

    @server.tool()
    async def propose_cart(option_id: str) -> dict[str, Any]:
        """Turn a chosen option into a proposal to approve and pay."""
        return await _call(lambda: tools.propose_cart(option_id))

    @server.tool()
    async def request_approval(proposal_id: str, ctx: Context) -> dict[str, Any]:
        """Ask the user to approve a proposal; on yes their wallet signs an IAC."""

        def ask_person(request: ApprovalRequest) -> bool:
            async def elicit() -> bool:
                try:
                    result = await ctx.elicit(request.summary, Approval)
                except Exception:
                    return False
                return result.action == "accept" and bool(getattr(result.data, "approve", False))

            return bool(anyio.from_thread.run(elicit))

        return await _call(lambda: tools.request_approval(proposal_id, approver=ask_person))

    @server.tool()
    async def pay(proposal_id: str, delegation_id: str | None = None) -> dict[str, Any]:
        """Pay an approved proposal (or one within a standing delegation)."""
        return await _call(lambda: tools.pay(proposal_id, delegation_id))

    @server.tool()
    async def order_status(out_trade_no: str) -> dict[str, Any]:
        """The merchant's status of an order this agent placed."""
        return await _call(lambda: tools.order_status(out_trade_no))

    @server.tool()
    async def revoke(delegation_id: str) -> dict[str, Any]:
        """Revoke a credential the user signed; nothing more can be paid under it."""
        return await _call(lambda: tools.revoke(delegation_id))

    return server
