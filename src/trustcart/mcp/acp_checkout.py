"""ACP's MCP binding: one merchant's agentic checkout as MCP tools (ACP 2026-04-17).

Tools, as ``examples.mcp.agentic_checkout.json`` calls them: ``create_checkout_session``
(``meta``, ``payload``), ``get_checkout_session`` (``meta``, ``id``),
``update_checkout_session`` / ``complete_checkout_session`` / ``cancel_checkout_session``
(``meta``, ``id``, ``payload``). Each call becomes the very ``AcpRequest`` the REST endpoint
would get and goes through the same ``AcpCheckoutHandler`` (so the same checkout machine,
pricing, idempotency, vault charge and ACT gate: no second implementation). ``meta`` carries
what REST puts in headers: ``api_version`` → ``API-Version``, ``idempotency_key`` →
``Idempotency-Key``, ``request_id`` → ``Request-Id``, ``user_agent`` → ``User-Agent``,
``signature`` / ``timestamp`` → ``Signature`` / ``Timestamp``, and the trustcart addition
``act_intent_credential`` → ``ACT-Intent-Credential`` (docs/acp.md).

Rules: the server is bound to one merchant and one registered platform key (``Authorization``
is never taken from the caller's arguments); a success is the ACP object as the tool's
structured result; a refusal is the JSON-RPC error the binding shows, code ``-32000``, the
ACP error's message, and the ACP error object ``{type, code, message, param}`` as ``data``.
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError

from trustcart.commerce.acp.handler import AcpCheckoutHandler, AcpRequest, AcpResponse

ACP_TOOL_ERROR = -32000  # the binding's JSON-RPC error code for an ACP error
ACP_PREFIX = "/acp"
_META_HEADERS = {
    "api_version": "api-version",
    "idempotency_key": "idempotency-key",
    "request_id": "request-id",
    "user_agent": "user-agent",
    "signature": "signature",
    "timestamp": "timestamp",
    "act_intent_credential": "act-intent-credential",
}
INSTRUCTIONS = (
    "ACP 2026-04-17 agentic checkout of one merchant: create_checkout_session, "
    "update_checkout_session, get_checkout_session, complete_checkout_session (with a "
    "delegated payment token), cancel_checkout_session. meta holds api_version and, on every "
    "call that changes state, an idempotency_key."
)


def acp_request(
    merchant_id: str,
    api_key: str,
    method: str,
    path: str,
    *,
    meta: dict[str, Any] | None,
    payload: dict[str, Any] | None,
) -> AcpRequest:
    """The REST request an MCP tool call stands for.

    >>> meta = {"api_version": "2026-04-17", "idempotency_key": "k1"}
    >>> r = acp_request("m_shop", "acp_sk_x", "POST", "/checkout_sessions", meta=meta,
    ...                 payload={"currency": "usd"})
    >>> r.full_path, r.headers["idempotency-key"], r.body
    ('/acp/m_shop/checkout_sessions', 'k1', b'{"currency": "usd"}')
    """
    headers = {"authorization": f"Bearer {api_key}", "content-type": "application/json"}
    for name, header in _META_HEADERS.items():
        value = (meta or {}).get(name)
        if isinstance(value, str):
            headers[header] = value
    body = b"" if method == "GET" else json.dumps(payload or {}, ensure_ascii=False).encode()
    return AcpRequest(
        merchant_id=merchant_id,
        method=method,
        path=path,
        full_path=f"{ACP_PREFIX}/{merchant_id}{path}",
        headers=headers,
        body=body,
    )


def _answer(response: AcpResponse) -> dict[str, Any]:
    if response.status < 300:
        return response.body
    message = str(response.body.get("message", "request refused"))
    raise MCPError(ACP_TOOL_ERROR, message, data=response.body)


def create_acp_checkout_server(
    handler: AcpCheckoutHandler, merchant_id: str, api_key: str
) -> MCPServer:
    """The MCP server of ``merchant_id``'s ACP checkout, acting as the platform of ``api_key``."""
    server: MCPServer = MCPServer(
        name=f"acp-checkout-{merchant_id}", instructions=INSTRUCTIONS, log_level="WARNING"
    )

    async def call(
        method: str, path: str, meta: dict[str, Any] | None, payload: dict[str, Any] | None
    ) -> dict[str, Any]:
        request = acp_request(merchant_id, api_key, method, path, meta=meta, payload=payload)
        return _answer(await anyio.to_thread.run_sync(handler.handle, request))

    @server.tool()
    async def create_checkout_session(
        payload: dict[str, Any], meta: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Create an ACP checkout session (CheckoutSessionCreateRequest)."""
        return await call("POST", "/checkout_sessions", meta, payload)

    @server.tool()
    async def get_checkout_session(id: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """Retrieve an ACP checkout session."""
        return await call("GET", f"/checkout_sessions/{id}", meta, None)

    @server.tool()
    async def update_checkout_session(
        id: str,
        payload: dict[str, Any],
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Update an ACP checkout session (CheckoutSessionUpdateRequest)."""
        return await call("POST", f"/checkout_sessions/{id}", meta, payload)

    @server.tool()
    async def complete_checkout_session(
        id: str,
        payload: dict[str, Any],
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Complete (pay) an ACP checkout session with a delegated payment token."""
        return await call("POST", f"/checkout_sessions/{id}/complete", meta, payload)

    @server.tool()
    async def cancel_checkout_session(
        id: str,
        payload: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Cancel an ACP checkout session."""
        return await call("POST", f"/checkout_sessions/{id}/cancel", meta, payload)

    return server
