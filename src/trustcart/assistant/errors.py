"""Errors of the assistant package::

    AssistantError
     ├── ToolRefused      a shopping tool refused: bad input, no valid IAC, a failed check, or a
     │                    service's refusal (``code`` is stable, ``reason`` is for people)
     ├── PurchaseRefused  the buyer agent (or a service it asked) refused a step (agent.py)
     ├── WalletError      a wallet operation failed (wallet.py)
     └── LLMError         the LLM back end failed or answered something unusable

The tools wrap ``PurchaseRefused`` and ``WalletError`` into ``ToolRefused``, keeping the code of
the party that refused. The tools' own codes are ``ToolCode``; all are listed in docs/errors.md.
"""

from __future__ import annotations

from enum import StrEnum


class ToolCode(StrEnum):
    """Refusals the shopping tools make themselves."""

    INVALID_ARGUMENT = "invalid-argument"
    UNKNOWN_OPTION = "unknown-option"
    UNKNOWN_PROPOSAL = "unknown-proposal"
    UNKNOWN_DELEGATION = "unknown-delegation"
    NOT_A_STANDING_ORDER = "not-a-standing-order"
    NO_VALID_IAC = "no-valid-iac"
    IAC_NOT_FOR_THIS_PROPOSAL = "iac-not-for-this-proposal"
    OUTSIDE_AUTHORIZATION = "outside-authorization"
    CART_MISMATCH = "cart-mismatch"
    ALREADY_PAID = "already-paid"
    DECLINED = "declined"
    AUTHORIZATION_FAILED = "authorization-failed"
    REVOCATION_FAILED = "revocation-failed"


class AssistantError(Exception):
    """Base of the assistant's errors."""


class ToolRefused(AssistantError):
    """``code`` is a ``ToolCode`` or the refusing party's code; ``reasons`` the detailed codes
    (e.g. ``over-total-budget`` under ``outside-authorization``)."""

    def __init__(self, code: str, reason: str, *, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = str(code)
        self.reason = reason
        self.reasons = reasons

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "reason": self.reason}
        if self.reasons:
            body["reasons"] = list(self.reasons)
        return body


class WalletError(AssistantError):
    """A wallet operation failed (a service refused, or a cart did not verify)."""


class LLMError(AssistantError):
    """The chat endpoint failed, or its answer was not a usable message."""
