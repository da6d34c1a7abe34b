"""Errors of the assistant package::

    AssistantError
     ├── ToolRefused     a shopping tool refused: bad input, no valid IAC, a failed check, or a
     │                   service's refusal (``code`` is stable, ``reason`` is for people)
     └── LLMError        the LLM back end failed or answered something unusable

``agent.PurchaseRefused`` (the buyer agent's refusals) is wrapped into ``ToolRefused`` by the
tools, keeping its code.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of the assistant's errors."""


class ToolRefused(AssistantError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason

    def to_json(self) -> dict[str, str]:
        return {"error": self.code, "reason": self.reason}


class LLMError(AssistantError):
    """The chat endpoint failed, or its answer was not a usable message."""
