"""A minimal OpenAI-compatible chat client (``/chat/completions`` with ``tools``).

Only what tool calling needs: messages in, one assistant message out. Network and answer
errors become ``LLMError``; the caller decides what to do (the assistant works without a model).
The answer is parsed with ``core.json_limits.loads_bounded``: an endpoint cannot crash the
assistant with deeply nested JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from trustcart.assistant.errors import LLMError
from trustcart.core.json_limits import loads_bounded


class ChatClient:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def complete(
        self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        """One assistant message (it may hold ``tool_calls``)."""
        body = {
            "model": self.model,
            "messages": list(messages),
            "tools": list(tools),
            "tool_choice": "auto",
            "temperature": 0,
        }
        try:
            response = self._http.post("/chat/completions", json=body)
        except httpx.HTTPError as e:
            raise LLMError(f"the chat endpoint failed: {e}") from e
        if response.status_code != 200:
            raise LLMError(f"the chat endpoint answered {response.status_code}")
        try:
            message = loads_bounded(response.content)["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise LLMError("the chat endpoint's answer has no message") from e
        if not isinstance(message, dict):
            raise LLMError("the chat endpoint's message is not an object")
        return message

    def close(self) -> None:
        self._http.close()
