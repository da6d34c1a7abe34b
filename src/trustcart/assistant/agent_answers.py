"""What the buyer agent makes of a service's answer: its refusal codes and the refusal itself.

A service's refusal keeps that service's stable code (and, for an autonomous payment, the stage
that stopped it); the agent's own codes (``AgentCode``) name what *it* found wrong. An answer
that is not JSON within ``MAX_JSON_DEPTH`` is ``bad-answer``: nothing is relied on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import httpx

from trustcart.assistant.errors import AssistantError
from trustcart.core.json_limits import loads_bounded

__all__ = ["AgentCode", "PurchaseRefused", "_answer", "_problem"]


class AgentCode(StrEnum):
    """The agent's own refusal codes (a service's refusal keeps that service's code)."""

    STATUS_UNAVAILABLE = "status-unavailable"
    NO_MATCH = "no-match"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    NEGOTIATION_INCOMPLETE = "negotiation-incomplete"
    CART_SIGNATURE_INVALID = "cart-signature-invalid"
    CART_MISMATCH = "cart-mismatch"
    PRICE_DEVIATION_CANCELLED = "price-deviation-cancelled"
    PRICE_DEVIATION_PAUSED = "price-deviation-paused"
    RECEIPT_INVALID = "receipt-invalid"
    RECEIPT_MISMATCH = "receipt-mismatch"
    BAD_ANSWER = "bad-answer"
    AUP_SELF_CHECK = "aup-self-check-failed"


class PurchaseRefused(AssistantError):
    """The agent (or a service it asked) refused a step; ``code`` is stable, ``reason`` human;
    ``stage``: where an autonomous (L3) payment was stopped, if it was one."""

    def __init__(
        self, code: str, reason: str, *, status: int | None = None, stage: str | None = None
    ) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.status = status
        self.stage = stage


def _answer(response: httpx.Response) -> Any:
    """A service's JSON answer, parsed within ``MAX_JSON_DEPTH``; ``bad-answer`` if it is not."""
    try:
        return loads_bounded(response.content)
    except ValueError as e:
        raise PurchaseRefused(
            AgentCode.BAD_ANSWER, "the answer is not JSON", status=response.status_code
        ) from e


def _problem(response: httpx.Response) -> PurchaseRefused:
    try:
        body = loads_bounded(response.content)
        stage = body.get("stage")
        return PurchaseRefused(
            str(body.get("code", AgentCode.BAD_ANSWER)),
            str(body.get("detail", body)),
            status=response.status_code,
            stage=stage if isinstance(stage, str) else None,
        )
    except (ValueError, AttributeError):
        return PurchaseRefused(
            AgentCode.BAD_ANSWER, response.text[:200], status=response.status_code
        )
