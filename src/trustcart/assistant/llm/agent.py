"""``LLMShopper``: a tool-calling loop in which the model can only use the shopping tools.

The model sees the tools' JSON schemas; each call it makes is dispatched to ``ShoppingTools``
with its arguments checked; results (and refusals, as ``{"error", "reason"}``) go back to it as
``tool`` messages. It has no tool that takes an amount, a merchant key or a credential, so
whatever it says, money moves only through ``pay``, which runs every check against the IAC the
person signed. The loop stops after ``max_steps`` rounds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trustcart.assistant.errors import LLMError, ToolRefused
from trustcart.assistant.llm.client import ChatClient
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.json_limits import loads_bounded

SYSTEM_PROMPT = (
    "You are a shopping assistant. Use the tools: compare (with the user's words) to get "
    "options or questions; ask the user the questions; propose_cart with an option_id; "
    "request_approval; pay. Never invent products or prices. Answer in the user's language."
)


def _schema(description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "description": description,
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


_STRING = {"type": "string"}
TOOL_SCHEMAS: dict[str, dict[str, Any]] = {
    "structure_intent": _schema(
        "Structure a shopping request into an intent and questions.", {"text": _STRING}, ["text"]
    ),
    "search": _schema(
        "Search every merchant for a product.",
        {
            "query": _STRING,
            "category": _STRING,
            "max_unit_price": _STRING,
            "quantity": {"type": "integer", "minimum": 1},
        },
        ["query"],
    ),
    "compare": _schema(
        "Compare merchants for a request: options with reasons, or questions.",
        {"text": _STRING},
        ["text"],
    ),
    "propose_cart": _schema(
        "Make a proposal from an option_id returned by compare.",
        {"option_id": _STRING},
        ["option_id"],
    ),
    "request_approval": _schema(
        "Ask the user to approve a proposal.", {"proposal_id": _STRING}, ["proposal_id"]
    ),
    "pay": _schema(
        "Pay an approved proposal, or one within a standing delegation.",
        {"proposal_id": _STRING, "delegation_id": _STRING},
        ["proposal_id"],
    ),
    "order_status": _schema("Status of an order.", {"out_trade_no": _STRING}, ["out_trade_no"]),
    "revoke": _schema("Revoke a credential.", {"delegation_id": _STRING}, ["delegation_id"]),
}


def openai_tools() -> list[dict[str, Any]]:
    return [
        {"type": "function", "function": {"name": name, **schema}}
        for name, schema in TOOL_SCHEMAS.items()
    ]


@dataclass
class ToolCallRecord:
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]


@dataclass
class LLMShopper:
    client: ChatClient
    tools: ShoppingTools
    max_steps: int = 12
    calls: list[ToolCallRecord] = field(default_factory=list)

    def _dispatch(self) -> dict[str, Callable[..., Any]]:
        t = self.tools
        return {
            "structure_intent": lambda text: t.structure_intent(str(text)),
            "search": lambda query, category=None, max_unit_price=None, quantity=1: {
                "candidates": t.search(
                    str(query),
                    category=category,
                    max_unit_price=max_unit_price,
                    quantity=int(quantity),
                )
            },
            "compare": lambda text: t.compare(str(text)),
            "propose_cart": lambda option_id: t.propose_cart(str(option_id)),
            "request_approval": lambda proposal_id: t.request_approval(str(proposal_id)),
            "pay": lambda proposal_id, delegation_id=None: t.pay(
                str(proposal_id), None if delegation_id is None else str(delegation_id)
            ),
            "order_status": lambda out_trade_no: t.order_status(str(out_trade_no)),
            "revoke": lambda delegation_id: t.revoke(str(delegation_id)),
        }

    def call_tool(self, name: str, raw_arguments: str) -> dict[str, Any]:
        """Run one tool call the model asked for; every call and its answer is recorded."""
        try:
            arguments = loads_bounded(raw_arguments or "{}")
        except ValueError:  # not JSON, or nested past MAX_JSON_DEPTH
            arguments = None
        result = self._result(name, arguments)
        self.calls.append(
            ToolCallRecord(name, arguments if isinstance(arguments, dict) else {}, result)
        )
        return result

    def _result(self, name: str, arguments: Any) -> dict[str, Any]:
        dispatch = self._dispatch()
        if name not in dispatch:
            return {"error": "unknown-tool", "reason": f"no tool {name}"}
        allowed = set(TOOL_SCHEMAS[name]["parameters"]["properties"])
        if not isinstance(arguments, dict) or not set(arguments) <= allowed:
            return {"error": "invalid-arguments", "reason": f"{name} takes {sorted(allowed)}"}
        try:
            result: dict[str, Any] = dispatch[name](**arguments)
        except ToolRefused as refusal:
            return refusal.to_json()
        except (TypeError, ValueError) as e:
            return {"error": "invalid-arguments", "reason": str(e)}
        return result

    def run(self, text: str) -> str:
        """Let the model shop for ``text``; return its final words to the person."""
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": text},
        ]
        for _ in range(self.max_steps):
            message = self.client.complete(messages, openai_tools())
            messages.append(message)
            tool_calls = message.get("tool_calls") or []
            if not tool_calls:
                return str(message.get("content") or "")
            for call in tool_calls:
                try:
                    function = call["function"]
                    result = self.call_tool(
                        str(function["name"]), str(function.get("arguments") or "{}")
                    )
                    call_id = str(call["id"])
                except (KeyError, TypeError) as e:
                    raise LLMError("a tool call without id, name or arguments") from e
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": call_id,
                        "content": json.dumps(result, ensure_ascii=False),
                    }
                )
        return "I stopped: too many steps without an answer."
