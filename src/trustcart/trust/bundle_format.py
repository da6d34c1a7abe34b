"""What a ``trustcart-evidence/1`` bundle holds, and strict readers for its fields.

Every reader raises ``CheckFailed`` (or a ``ValidationError`` from the value objects) when a
field is missing or has the wrong type, so a check built on them fails closed by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from trustcart.core.clock import parse_instant
from trustcart.core.money import Money
from trustcart.crypto.jcs import b64url, b64url_decode
from trustcart.trust.events import EventType

BUNDLE_FORMAT = "trustcart-evidence/1"
ROLES = ("delegator", "status", "merchant", "psp", "log", "agent", "witness")
REQUIRED_ROLES = ("delegator", "status", "merchant", "psp", "log")
BUNDLE_FIELDS = {
    "format",
    "kind",
    "created_at",
    "keys",
    "isr",
    "iac",
    "status",
    "cart",
    "approval",
    "receipt",
    "events",
    "tree_head",
}
# Optional: the witness's anchors of the tree head (trust.bundle_witness_checks); a bundle
# written before anchoring has none and is reported "not anchored".
OPTIONAL_FIELDS = {"anchors"}
COMMERCE_FIELDS = {
    "max_single_amount",
    "min_single_amount",
    "allowed_categories",
    "forbidden_categories",
    "allowed_merchants",
    "forbidden_merchants",
    "max_total_quantity",
    "recurrence",  # a standing order: this payment must fit one period's cap
}
# A purchase is not fully evidenced without these events, each with these chain ids.
REQUIRED_EVENTS: dict[EventType, tuple[str, ...]] = {
    EventType.INTENT_CREATED: (),
    EventType.DELEGATION_ISSUED: ("delegation_id",),
    EventType.CART_CONFIRMED: ("delegation_id", "out_trade_no"),
    EventType.TRANSACTION_COMPLETED: ("delegation_id", "out_trade_no", "trade_no"),
}
T = TypeVar("T")


class CheckFailed(Exception):  # internal control flow: never escapes the runner
    """A check did not hold; the message is the reason shown to the user."""


def need(value: T | None, what: str) -> T:
    if value is None:
        raise CheckFailed(f"depends on {what}, which did not verify")
    return value


def field(obj: Any, name: str, kind: type[T]) -> T:
    """``obj[name]``, which must exist and be a ``kind`` (booleans are never ints)."""
    if not isinstance(obj, Mapping) or name not in obj:
        raise CheckFailed(f"missing field {name!r}")
    value = obj[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CheckFailed(f"field {name!r} must be {kind.__name__}")
    if kind is str and not value:
        raise CheckFailed(f"field {name!r} is empty")
    return value


def instant(obj: Any, name: str) -> datetime:
    return parse_instant(field(obj, name, str))


def money(obj: Any, name: str) -> Money:
    return Money.from_json(field(obj, name, dict))


def strings(obj: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = obj.get(name, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise CheckFailed(f"{name} must be a list of strings")
    return tuple(values)


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Money) else repr(value)


def equal(what: str, got: Any, expected: Any) -> None:
    if got != expected:
        raise CheckFailed(f"{what} is {_show(got)}, expected {_show(expected)}")


def strict_b64url(text: Any, size: int | None = None) -> bytes:
    raw = b64url_decode(text)
    if b64url(raw) != text or (size is not None and len(raw) != size):
        raise CheckFailed("not canonical base64url of the right length")
    return raw
