"""The deployment's risk configuration: ``$TRUSTCART_HOME/risk.toml``, validated when read.

Strategy: every threshold has a documented default (docs/risk.md), so a deployment without the
file runs with the rules on; a file that is present must be entirely right. Unknown sections or
keys, wrong types, floats where a ratio or an amount is expected (ratios are decimal strings or
integers, amounts decimal strings in major units per ISO 4217 currency), non-positive limits or
an unknown outcome raise ``RiskConfigError`` naming the key, and the PSP does not start: it never
runs without the rules it was configured with.

Amount thresholds are per currency. A payment in a currency the table does not name counts as
*at or above* the threshold (fail closed: an unconfigured currency is not a way around a rule).

>>> config = parse_risk_config({"velocity": {"max_per_agent": 3}})
>>> config.max_per_agent, config.max_per_delegation, str(config.usual_ratio)
(3, 5, '10')
>>> config.at_or_above(config.large_amount, Money.parse("499.99", "CNY"))
False
>>> config.at_or_above(config.large_amount, Money.parse("1.00", "JPY"))
True
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.payments.errors import RiskConfigError
from trustcart.payments.risk.codes import RiskOutcome, RiskRule

CONFIG_FILE = "risk.toml"

DEFAULT_OUTCOMES: Mapping[RiskRule, RiskOutcome] = MappingProxyType(
    {
        RiskRule.VELOCITY_AGENT: RiskOutcome.REFUSE,
        RiskRule.VELOCITY_DELEGATION: RiskOutcome.REFUSE,
        RiskRule.AMOUNT_ABOVE_USUAL: RiskOutcome.STEP_UP,
        RiskRule.NEW_AGENT_LARGE: RiskOutcome.STEP_UP,
        RiskRule.NEW_MERCHANT: RiskOutcome.STEP_UP,
        RiskRule.REFUSAL_STREAK: RiskOutcome.STEP_UP,
    }
)


def _amounts(table: Mapping[str, str]) -> Mapping[str, Money]:
    return MappingProxyType({code: Money.parse(value, code) for code, value in table.items()})


@dataclass(frozen=True)
class RiskConfig:
    """The thresholds and the outcome of each rule (a rule absent from ``outcomes`` is off)."""

    outcomes: Mapping[RiskRule, RiskOutcome] = field(default_factory=lambda: DEFAULT_OUTCOMES)
    velocity_window: timedelta = timedelta(seconds=60)
    max_per_agent: int = 10
    max_per_delegation: int = 5
    usual_ratio: Decimal = Decimal(10)
    usual_min_history: int = 5
    usual_history_size: int = 20
    usual_history_window: timedelta = timedelta(days=90)
    new_agent_period: timedelta = timedelta(hours=24)
    large_amount: Mapping[str, Money] = field(
        default_factory=lambda: _amounts({"CNY": "500.00", "USD": "80.00", "EUR": "80.00"})
    )
    new_merchant_period: timedelta = timedelta(hours=24)
    new_merchant_amount: Mapping[str, Money] = field(
        default_factory=lambda: _amounts({"CNY": "200.00", "USD": "30.00", "EUR": "30.00"})
    )
    max_refusal_streak: int = 5
    refusal_window: timedelta = timedelta(minutes=60)

    def __post_init__(self) -> None:
        for name in (
            "max_per_agent",
            "max_per_delegation",
            "usual_min_history",
            "usual_history_size",
            "max_refusal_streak",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RiskConfigError(f"risk config: {name} must be a positive integer")
        for name in (
            "velocity_window",
            "usual_history_window",
            "new_agent_period",
            "new_merchant_period",
            "refusal_window",
        ):
            if getattr(self, name) <= timedelta(0):
                raise RiskConfigError(f"risk config: {name} must be positive")
        if not self.usual_ratio.is_finite() or self.usual_ratio <= 1:
            raise RiskConfigError("risk config: usual_amount.ratio must be above 1")
        if self.usual_min_history > self.usual_history_size:
            raise RiskConfigError("risk config: min_history cannot exceed history_size")
        for table in (self.large_amount, self.new_merchant_amount):
            for code, amount in table.items():
                if amount.currency != code or amount.minor <= 0:
                    raise RiskConfigError(f"risk config: the {code} amount must be positive")

    def outcome(self, rule: RiskRule) -> RiskOutcome | None:
        """What ``rule`` asks for when it fires; ``None`` when it is off."""
        return self.outcomes.get(rule)

    @staticmethod
    def at_or_above(table: Mapping[str, Money], amount: Money) -> bool:
        """Whether ``amount`` reaches its currency's threshold (no threshold: it does)."""
        threshold = table.get(amount.currency)
        return threshold is None or amount >= threshold


# section -> key -> (RiskConfig field, converter)
_SECTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "velocity": {
        "window_seconds": ("velocity_window", "seconds"),
        "max_per_agent": ("max_per_agent", "int"),
        "max_per_delegation": ("max_per_delegation", "int"),
    },
    "usual_amount": {
        "ratio": ("usual_ratio", "decimal"),
        "min_history": ("usual_min_history", "int"),
        "history_size": ("usual_history_size", "int"),
        "history_days": ("usual_history_window", "days"),
    },
    "new_agent": {
        "period_hours": ("new_agent_period", "hours"),
        "large_amount": ("large_amount", "amounts"),
    },
    "new_merchant": {
        "period_hours": ("new_merchant_period", "hours"),
        "min_amount": ("new_merchant_amount", "amounts"),
    },
    "refusal_streak": {
        "max_refusals": ("max_refusal_streak", "int"),
        "window_minutes": ("refusal_window", "minutes"),
    },
}


def _convert(kind: str, value: Any, where: str) -> Any:
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise RiskConfigError(f"risk config: {where} must be a decimal string or an integer")
        try:
            return Decimal(value)
        except InvalidOperation as e:
            raise RiskConfigError(f"risk config: {where} is not a decimal") from e
    if kind == "amounts":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise RiskConfigError(f'risk config: {where} is a table such as {{CNY = "500.00"}}')
        try:
            return _amounts(value)
        except ValidationError as e:
            raise RiskConfigError(f"risk config: {where}: {e}") from e
    if isinstance(value, bool) or not isinstance(value, int):
        raise RiskConfigError(f"risk config: {where} must be an integer")
    if kind == "int":
        return value
    if value <= 0:
        raise RiskConfigError(f"risk config: {where} must be positive")
    return timedelta(**{kind: value})


def _outcomes(table: Any) -> Mapping[RiskRule, RiskOutcome]:
    if not isinstance(table, dict):
        raise RiskConfigError("risk config: [outcomes] must be a table")
    outcomes = dict(DEFAULT_OUTCOMES)
    for name, value in table.items():
        try:
            rule = RiskRule(name)
        except ValueError as e:
            raise RiskConfigError(f"risk config: unknown rule outcomes.{name}") from e
        if value == "off":
            outcomes.pop(rule, None)
            continue
        try:
            outcomes[rule] = RiskOutcome(value)
        except ValueError as e:
            raise RiskConfigError(
                f"risk config: outcomes.{name} is one of allow, step-up, refuse, off"
            ) from e
    return MappingProxyType(outcomes)


def parse_risk_config(document: Mapping[str, Any]) -> RiskConfig:
    """The configuration a parsed TOML document describes, over the defaults; or raise
    ``RiskConfigError`` naming the first key that is wrong."""
    changes: dict[str, Any] = {}
    for section, table in document.items():
        if section == "outcomes":
            changes["outcomes"] = _outcomes(table)
            continue
        keys = _SECTIONS.get(section)
        if keys is None:
            raise RiskConfigError(f"risk config: unknown section [{section}]")
        if not isinstance(table, dict):
            raise RiskConfigError(f"risk config: [{section}] must be a table")
        for key, value in table.items():
            if key not in keys:
                raise RiskConfigError(f"risk config: unknown key {section}.{key}")
            name, kind = keys[key]
            changes[name] = _convert(kind, value, f"{section}.{key}")
    return replace(RiskConfig(), **changes)


def load_risk_config(home: Path) -> RiskConfig:
    """Read ``home/risk.toml`` (absent: the defaults); any error is ``RiskConfigError``."""
    path = home / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RiskConfig()
    except OSError as e:
        raise RiskConfigError(f"risk config: cannot read {path}: {e}") from e
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RiskConfigError(f"risk config: {path} is not valid TOML: {e}") from e
    return parse_risk_config(document)
