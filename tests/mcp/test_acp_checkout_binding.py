"""ACP's MCP binding over the real checkout: the pinned examples' tool calls, through an MCP client.

The client is the ``mcp`` package's (in process, the same protocol as stdio); the server is
``mcp.acp_checkout`` over the installation's own ``AcpCheckoutHandler``, so a session created
through MCP is the same session REST sees, and it is paid with a vault token minted over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
from mcp.shared.exceptions import MCPError

from mcp import Client
from tests.helpers.acp import HttpAcp, acp_installation
from trustcart.conformance.acp_world import MERCHANT_ID
from trustcart.conformance.web_bot_auth import conformance_dir
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.mcp.acp_checkout import ACP_TOOL_ERROR, create_acp_checkout_server
from trustcart.payments.ledger_store import entry_count
from trustcart.store.db import Database

EXAMPLES = json.loads(
    (conformance_dir() / "acp/examples/2026-04-17/examples.mcp.agentic_checkout.json").read_text()
)
TOOLS = {
    "create_checkout_session", "get_checkout_session", "update_checkout_session",
    "complete_checkout_session", "cancel_checkout_session",
}  # fmt: skip


def _arguments(name: str) -> dict[str, Any]:
    arguments: dict[str, Any] = json.loads(
        json.dumps(EXAMPLES[f"{name}_request"]["params"]["arguments"])
    )
    return arguments


async def _flow(acp: HttpAcp) -> dict[str, Any]:
    assert acp.deployment.acp is not None
    server = create_acp_checkout_server(acp.deployment.acp.handler, MERCHANT_ID, acp.api_key)
    seen: dict[str, Any] = {}
    async with Client(server) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        created = (
            await client.call_tool("create_checkout_session", _arguments("create_checkout_session"))
        ).structured_content
        assert created is not None
        session_id = created["id"]
        get = _arguments("get_checkout_session") | {"id": session_id}
        fetched = (await client.call_tool("get_checkout_session", get)).structured_content
        assert fetched is not None
        assert fetched["id"] == session_id
        update = _arguments("update_checkout_session") | {"id": session_id}
        option = created["fulfillment_options"][0]
        update["payload"]["selected_fulfillment_options"][0]["shipping"]["option_id"] = option["id"]
        update["meta"]["idempotency_key"] = "mcp-update-1"
        updated = (await client.call_tool("update_checkout_session", update)).structured_content
        assert updated is not None
        total = next(t["amount"] for t in updated["totals"] if t["type"] == "total")
        token = await anyio.to_thread.run_sync(acp.mint, session_id, Money(total, "USD"))
        complete = _arguments("complete_checkout_session") | {"id": session_id}
        complete["payload"]["payment_data"]["instrument"] = {
            "type": "card",
            "credential": {"type": "spt", "token": token},
        }
        complete["payload"]["payment_data"]["handler_id"] = "trustcart_delegated_card"
        seen["completed"] = (
            await client.call_tool("complete_checkout_session", complete)
        ).structured_content
        try:  # the same token again, on a new session: the vault refuses, as JSON-RPC error
            again = _arguments("create_checkout_session")
            again["meta"]["idempotency_key"] = "mcp-create-2"
            second = (await client.call_tool("create_checkout_session", again)).structured_content
            assert second is not None
            seen["second"] = second["id"]
            complete["id"] = second["id"]
            complete["meta"]["idempotency_key"] = "mcp-complete-2"
            await client.call_tool("complete_checkout_session", complete)
        except MCPError as e:
            seen["declined"] = e
        broken = _arguments("create_checkout_session")
        del broken["payload"]["currency"]
        broken["meta"]["idempotency_key"] = "mcp-create-3"
        try:
            await client.call_tool("create_checkout_session", broken)
        except MCPError as e:
            seen["invalid"] = e
        cancel = _arguments("cancel_checkout_session") | {"id": seen["second"]}
        cancel["meta"]["idempotency_key"] = "mcp-cancel-1"
        seen["canceled"] = (
            await client.call_tool("cancel_checkout_session", cancel)
        ).structured_content
    return seen


def test_the_binding_examples_check_out_on_the_real_checkout(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    with acp_installation(db, tmp_path / "home", clock) as acp:
        with db.read() as session:
            before = entry_count(session)
        seen = anyio.run(_flow, acp)
        with db.read() as session:
            after = entry_count(session)
        rest = acp.send(
            "GET",
            f"/checkout_sessions/{seen['completed']['id']}",
            {"Authorization": f"Bearer {acp.api_key}", "API-Version": "2026-04-17"},
            b"",
        )
    assert seen["completed"]["status"] == "completed"
    assert seen["completed"]["order"]["id"]
    assert after == before + 1  # one payment posted, the declined one nothing
    assert rest.status == 200
    assert rest.body["status"] == "completed"  # REST sees the very session MCP paid
    declined, invalid = seen["declined"], seen["invalid"]
    assert declined.code == invalid.code == ACP_TOOL_ERROR
    assert declined.data["code"] == "payment_declined"
    assert declined.data["type"] == EXAMPLES["error_payment_declined"]["error"]["data"]["type"]
    assert invalid.data["type"] == "invalid_request"
    assert seen["canceled"]["status"] == "canceled"
