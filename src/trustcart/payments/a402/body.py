"""The error body of A402 (``error.schema.json``): a frozen value and a builder from the catalog.

>>> body = error_body(A402Code.PROOF_INVALID, details={"reason": "a402-proof-replayed"})
>>> body.to_json()["phase"], body.to_json()["details"]
('PROOF_VALIDATION', {'reason': 'a402-proof-replayed'})
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.payments.a402.codes import (
    CATALOG,
    A402Code,
    ErrorCategory,
    NextAction,
    Phase,
    Retryability,
)
from trustcart.payments.a402.json_values import freeze_json, thaw_json

_ERROR_ID = re.compile(r"ACT-A402-[A-Z0-9_]+")
MAX_ERROR_ID_CHARS = 96
MAX_MESSAGE_CHARS = 1024
MAX_RETRY_AFTER_SECONDS = 86400


@dataclass(frozen=True)
class ErrorBody:
    """An ``error.schema.json`` object; it validates when built.

    ``error_id`` is kept as text: a peer may send an ``ACT-A402-*`` id newer than this catalog,
    which is still well-formed (``code`` is then None).
    """

    error_id: str
    category: ErrorCategory
    phase: Phase
    retryability: Retryability
    valid_next_actions: tuple[NextAction, ...]
    message: str
    retry_after_seconds: int | None = None
    details: Mapping[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.error_id, str) or not _ERROR_ID.fullmatch(self.error_id):
            raise ValidationError("error_id must look like ACT-A402-<NAME>")
        if len(self.error_id) > MAX_ERROR_ID_CHARS:
            raise ValidationError("error_id is longer than 96 characters")
        for name, kind in (
            ("category", ErrorCategory),
            ("phase", Phase),
            ("retryability", Retryability),
        ):
            object.__setattr__(self, name, _member(kind, getattr(self, name), name))
        actions = tuple(
            _member(NextAction, a, "valid_next_actions") for a in self.valid_next_actions
        )
        if not actions or len(set(actions)) != len(actions):
            raise ValidationError("valid_next_actions must be a non-empty list without repeats")
        object.__setattr__(self, "valid_next_actions", actions)
        if not isinstance(self.message, str) or not 1 <= len(self.message) <= MAX_MESSAGE_CHARS:
            raise ValidationError("message must be 1 to 1024 characters")
        retry = self.retry_after_seconds
        if retry is not None and (
            isinstance(retry, bool)
            or not isinstance(retry, int)
            or not 0 <= retry <= MAX_RETRY_AFTER_SECONDS
        ):
            raise ValidationError("retry_after_seconds must be an integer from 0 to 86400")
        if self.details is not None:
            if not isinstance(self.details, Mapping):
                raise ValidationError("details must be an object")
            object.__setattr__(self, "details", freeze_json(self.details))

    @property
    def code(self) -> A402Code | None:
        """The catalog code, or None for an ``ACT-A402-*`` id this catalog does not know."""
        try:
            return A402Code(self.error_id)
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error_id": self.error_id,
            "category": str(self.category),
            "phase": str(self.phase),
            "retryability": str(self.retryability),
            "valid_next_actions": [str(action) for action in self.valid_next_actions],
            "message": self.message,
        }
        if self.retry_after_seconds is not None:
            body["retry_after_seconds"] = self.retry_after_seconds
        if self.details is not None:
            body["details"] = thaw_json(self.details)
        return body

    @classmethod
    def from_json(cls, obj: Any) -> ErrorBody:
        """Parse an ``error.schema.json`` object; raise ValidationError."""
        if not isinstance(obj, Mapping):
            raise ValidationError("error must be an object")
        required = {"error_id", "category", "phase", "retryability", "valid_next_actions"}
        allowed = {*required, "message", "retry_after_seconds", "details"}
        if not {*required, "message"} <= set(obj) or not set(obj) <= allowed:
            raise ValidationError("error has missing or unknown members")
        actions = obj["valid_next_actions"]
        if not isinstance(actions, list):
            raise ValidationError("valid_next_actions must be a list")
        return cls(
            error_id=obj["error_id"],
            category=obj["category"],
            phase=obj["phase"],
            retryability=obj["retryability"],
            valid_next_actions=tuple(actions),
            message=obj["message"],
            retry_after_seconds=obj.get("retry_after_seconds"),
            details=obj.get("details"),
        )


def _member(kind: type[StrEnum], value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ValidationError(f"{name}: {value!r} is not one of {kind.__name__}") from None


def error_body(
    code: A402Code,
    *,
    message: str | None = None,
    details: Mapping[str, Any] | None = None,
    retry_after_seconds: int | None = None,
) -> ErrorBody:
    """The error body for ``code``, its fields taken from the catalog (message overridable)."""
    entry = CATALOG[code]
    return ErrorBody(
        error_id=str(code),
        category=entry.category,
        phase=entry.phase,
        retryability=entry.retryability,
        valid_next_actions=entry.valid_next_actions,
        message=message or entry.message,
        retry_after_seconds=retry_after_seconds,
        details=details,
    )
