"""The authorization terms an ISR proposes and an IAC grants: ``ext.commerce`` and
``ext.agent_behavior`` (ACT 2.1 §ADD), as frozen value objects that validate when built.

Empty ``allowed_*`` tuples mean "no restriction of that kind"; ``forbidden_*`` always apply.
``max_total_quantity`` is a trustcart extension (it only narrows the grant): "up to 3 milk teas".
So is ``recurrence`` (a standing order's period and per-period cap: ``recurrence``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from trustcart.core.categories import is_canonical_category
from trustcart.core.money import Money
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.recurrence import Recurrence


class DelegationMode(StrEnum):
    SPECIFIED = "SPECIFIED"  # a fixed target or merchant
    BOUNDED = "BOUNDED"  # a goal plus limits; the agent chooses


class DeviationAction(StrEnum):
    PAUSE_AND_NOTIFY = "PAUSE_AND_NOTIFY"
    AUTO_CANCEL = "AUTO_CANCEL"


class FailureAction(StrEnum):
    AUTO_RETRY = "AUTO_RETRY"
    CANCEL = "CANCEL"


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise InvalidCredential(f"{name} must be a list of non-empty strings")
    return tuple(value)


def _money_or_none(value: Any, currency: str, name: str) -> Money | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCredential(f"{name} must be a decimal string")
    try:
        money = Money.parse(value, currency)
    except ValueError as e:
        raise InvalidCredential(f"{name}: {e}") from e
    if money.is_negative():
        raise InvalidCredential(f"{name} must be >= 0")
    return money


@dataclass(frozen=True)
class CommerceConstraints:
    max_single: Money | None = None
    min_single: Money | None = None
    allowed_categories: tuple[str, ...] = ()
    forbidden_categories: tuple[str, ...] = ()
    allowed_merchants: tuple[str, ...] = ()
    forbidden_merchants: tuple[str, ...] = ()
    max_total_quantity: int | None = None
    recurrence: Recurrence | None = None

    def __post_init__(self) -> None:
        if (
            self.max_single is not None
            and self.min_single is not None
            and (self.min_single > self.max_single)
        ):
            raise InvalidCredential("min_single_amount must not exceed max_single_amount")
        if self.max_total_quantity is not None and (
            isinstance(self.max_total_quantity, bool)
            or not isinstance(self.max_total_quantity, int)
            or self.max_total_quantity < 1
        ):
            raise InvalidCredential("max_total_quantity must be a positive integer")
        for name in ("allowed_categories", "forbidden_categories"):
            if not all(is_canonical_category(c) for c in getattr(self, name)):
                raise InvalidCredential(f"{name} must be lowercase paths such as 'drinks/tea'")

    def check_against_total(self, total: Money) -> None:
        """ACT: min single <= max single <= total, all >= 0."""
        if self.max_single is not None and self.max_single > total:
            raise InvalidCredential("max_single_amount must not exceed max_total_amount")
        if self.min_single is not None and self.min_single > total:
            raise InvalidCredential("min_single_amount must not exceed max_total_amount")
        if self.recurrence is not None and (
            self.recurrence.period_cap.currency != total.currency
            or self.recurrence.period_cap > total
        ):
            raise InvalidCredential("recurrence period_cap must not exceed max_total_amount")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "allowed_categories": list(self.allowed_categories),
            "forbidden_categories": list(self.forbidden_categories),
            "allowed_merchants": list(self.allowed_merchants),
            "forbidden_merchants": list(self.forbidden_merchants),
        }
        if self.max_single is not None:
            out["max_single_amount"] = self.max_single.amount_str()
        if self.min_single is not None:
            out["min_single_amount"] = self.min_single.amount_str()
        if self.max_total_quantity is not None:
            out["max_total_quantity"] = self.max_total_quantity
        if self.recurrence is not None:  # absent when not recurring: older digests unchanged
            out["recurrence"] = self.recurrence.to_json()
        return out

    @classmethod
    def from_json(cls, obj: Any, currency: str) -> CommerceConstraints:
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise InvalidCredential("ext.commerce must be an object")
        known = {
            "max_single_amount",
            "min_single_amount",
            "allowed_categories",
            "forbidden_categories",
            "allowed_merchants",
            "forbidden_merchants",
            "max_total_quantity",
            "recurrence",
        }
        unknown = set(obj) - known
        if unknown:
            # An unknown constraint might narrow the grant; ignoring it would fail open.
            raise InvalidCredential(f"unknown ext.commerce fields: {sorted(unknown)}")
        quantity = obj.get("max_total_quantity")
        return cls(
            max_single=_money_or_none(obj.get("max_single_amount"), currency, "max_single_amount"),
            min_single=_money_or_none(obj.get("min_single_amount"), currency, "min_single_amount"),
            allowed_categories=_strings(obj.get("allowed_categories"), "allowed_categories"),
            forbidden_categories=_strings(obj.get("forbidden_categories"), "forbidden_categories"),
            allowed_merchants=_strings(obj.get("allowed_merchants"), "allowed_merchants"),
            forbidden_merchants=_strings(obj.get("forbidden_merchants"), "forbidden_merchants"),
            max_total_quantity=quantity,
            recurrence=None
            if obj.get("recurrence") is None
            else Recurrence.from_json(obj["recurrence"], currency),
        )


@dataclass(frozen=True)
class AgentBehavior:
    price_deviation_tolerance: Decimal = Decimal("0")  # percent
    price_deviation_action: DeviationAction = DeviationAction.PAUSE_AND_NOTIFY
    on_payment_failure: FailureAction = FailureAction.CANCEL
    max_retry_count: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.price_deviation_tolerance, Decimal) or not (
            Decimal(0) <= self.price_deviation_tolerance <= Decimal(100)
        ):
            raise InvalidCredential("price_deviation_tolerance must be a percentage in [0, 100]")
        if (
            isinstance(self.max_retry_count, bool)
            or not isinstance(self.max_retry_count, int)
            or (not 0 <= self.max_retry_count <= 10)
        ):
            raise InvalidCredential("max_retry_count must be an integer in [0, 10]")

    def to_json(self) -> dict[str, Any]:
        return {
            "price_deviation_tolerance": str(self.price_deviation_tolerance),
            "price_deviation_action": self.price_deviation_action.value,
            "on_payment_failure": self.on_payment_failure.value,
            "max_retry_count": self.max_retry_count,
        }

    @classmethod
    def from_json(cls, obj: Any) -> AgentBehavior:
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise InvalidCredential("ext.agent_behavior must be an object")
        try:
            tolerance = Decimal(str(obj.get("price_deviation_tolerance", "0")))
            return cls(
                price_deviation_tolerance=tolerance,
                price_deviation_action=DeviationAction(
                    obj.get("price_deviation_action", DeviationAction.PAUSE_AND_NOTIFY)
                ),
                on_payment_failure=FailureAction(
                    obj.get("on_payment_failure", FailureAction.CANCEL)
                ),
                max_retry_count=obj.get("max_retry_count", 0),
            )
        except (InvalidOperation, ValueError) as e:
            raise InvalidCredential(f"ext.agent_behavior: {e}") from e
