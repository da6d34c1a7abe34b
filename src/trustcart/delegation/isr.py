"""The intent structuring result (ISR, ADD-INT-ICS): what the person asked for, structured.

The ISR is the user-confirmed statement of intent. It is not signed itself; the IAC carries
``source_isr_digest`` (SHA-256 over its JCS bytes), which binds the two together.

ACT rules kept here: raw intent or a digest (with ``context_ref``) is present; the validity end
is after its start; ``max_total_amount`` >= 0; at least one allowed payment method; the
confirmation timestamp is present whenever a confirmation method is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.jcs import jcs_digest
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.terms import AgentBehavior, CommerceConstraints, DelegationMode

INPUT_MODES = frozenset({"TEXT", "VOICE", "IMAGE", "INTERACTIVE_CARD", "OTHER"})


@dataclass(frozen=True)
class ItemIntent:
    """What to buy: a description, an optional category, a quantity, wanted attributes."""

    description: str
    quantity: int = 1
    category: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    max_unit_price: Money | None = None

    def __post_init__(self) -> None:
        if not self.description.strip():
            raise InvalidCredential("item description must not be empty")
        if (
            isinstance(self.quantity, bool)
            or not isinstance(self.quantity, int)
            or not (1 <= self.quantity <= 1000)
        ):
            raise InvalidCredential("item quantity must be an integer from 1 to 1000")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "description": self.description,
            "quantity": self.quantity,
            "attributes": dict(self.attributes),
        }
        if self.category:
            out["category"] = self.category
        if self.max_unit_price is not None:
            out["max_unit_price"] = self.max_unit_price.to_json()
        return out


@dataclass(frozen=True)
class Location:
    lat: Decimal
    lon: Decimal
    radius_km: Decimal

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180 and 0 < self.radius_km <= 100):
            raise InvalidCredential("location out of range")

    def to_json(self) -> dict[str, str]:
        return {"lat": str(self.lat), "lon": str(self.lon), "radius_km": str(self.radius_km)}

    @classmethod
    def from_json(cls, obj: Any) -> Location:
        try:
            return cls(Decimal(obj["lat"]), Decimal(obj["lon"]), Decimal(obj["radius_km"]))
        except (KeyError, TypeError, InvalidOperation) as e:
            raise InvalidCredential("location must be {lat, lon, radius_km} decimal strings") from e


@dataclass(frozen=True)
class ISR:
    intent_id: str
    user_intent_raw: str
    agent_id: str
    delegation_mode: DelegationMode
    validity_start: datetime
    validity_end: datetime
    max_total: Money
    items: tuple[ItemIntent, ...]
    allowed_payment_methods: tuple[str, ...]
    created_at: datetime
    input_modes: tuple[str, ...] = ("TEXT",)
    location: Location | None = None
    commerce: CommerceConstraints = field(default_factory=CommerceConstraints)
    behavior: AgentBehavior = field(default_factory=AgentBehavior)

    def __post_init__(self) -> None:
        if not self.user_intent_raw.strip():
            raise InvalidCredential("conversation_history.user_intent_raw must not be empty")
        if self.validity_end <= self.validity_start:
            raise InvalidCredential("validity_end_time must be after validity_start_time")
        if self.max_total.is_negative():
            raise InvalidCredential("max_total_amount must be >= 0")
        if not self.allowed_payment_methods:
            raise InvalidCredential("an ISR needs at least one allowed payment method")
        if not set(self.input_modes) <= INPUT_MODES:
            raise InvalidCredential(f"input_mode must be among {sorted(INPUT_MODES)}")
        self.commerce.check_against_total(self.max_total)

    @property
    def currency(self) -> str:
        return self.max_total.currency

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "intent_id": self.intent_id,
            "conversation_history": {
                "user_intent_raw": self.user_intent_raw,
                "input_mode": list(self.input_modes),
            },
            "agent_id": self.agent_id,
            "delegation_mode": self.delegation_mode.value,
            "validity_start_time": format_instant(self.validity_start),
            "validity_end_time": format_instant(self.validity_end),
            "max_total_amount": self.max_total.amount_str(),
            "currency": self.currency,
            "allowed_payment_methods": list(self.allowed_payment_methods),
            "items": [item.to_json() for item in self.items],
            "created_at": format_instant(self.created_at),
            "ext": {"commerce": self.commerce.to_json(), "agent_behavior": self.behavior.to_json()},
        }
        if self.location is not None:
            out["location"] = self.location.to_json()
        return out

    def digest(self) -> str:
        """``sha-256:<b64url>`` over the JCS bytes of the ISR (the IAC's source_isr_digest)."""
        return jcs_digest(self.to_json())

    @classmethod
    def from_json(cls, obj: Any) -> ISR:
        """Parse and validate an ISR document; raise InvalidCredential on any defect."""
        if not isinstance(obj, dict):
            raise InvalidCredential("an ISR must be a JSON object")
        try:
            currency = obj["currency"]
            history = obj["conversation_history"]
            items = tuple(
                ItemIntent(
                    description=item["description"],
                    quantity=item.get("quantity", 1),
                    category=item.get("category"),
                    attributes=tuple(sorted(item.get("attributes", {}).items())),
                    max_unit_price=Money.from_json(item["max_unit_price"])
                    if "max_unit_price" in item
                    else None,
                )
                for item in obj["items"]
            )
            ext = obj.get("ext", {})
            return cls(
                intent_id=obj["intent_id"],
                user_intent_raw=history["user_intent_raw"],
                input_modes=tuple(history.get("input_mode", ["TEXT"])),
                agent_id=obj["agent_id"],
                delegation_mode=DelegationMode(obj.get("delegation_mode", "SPECIFIED")),
                validity_start=parse_instant(obj["validity_start_time"]),
                validity_end=parse_instant(obj["validity_end_time"]),
                max_total=Money.parse(obj["max_total_amount"], currency),
                items=items,
                allowed_payment_methods=tuple(obj["allowed_payment_methods"]),
                created_at=parse_instant(obj["created_at"]),
                location=Location.from_json(obj["location"]) if "location" in obj else None,
                commerce=CommerceConstraints.from_json(ext.get("commerce"), currency),
                behavior=AgentBehavior.from_json(ext.get("agent_behavior")),
            )
        except InvalidCredential:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as e:
            raise InvalidCredential(f"invalid ISR: {e!r}") from e
