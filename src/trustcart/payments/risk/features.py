"""What the risk rules look at: the payment (``PaymentFacts``) and its history (``History``).

Both are plain frozen values, built by the shell (``history``) or by the replay generator; the
rules never read the store or the clock. ``History`` holds only what the rules need, already
cut to the windows of the configuration by whoever built it; the rules cut again by ``now``,
so a longer history changes nothing.

>>> from datetime import UTC, datetime
>>> now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
>>> History.empty().refusal_streak, median_minor(())
(0, None)
>>> median_minor((Money(100, "CNY"), Money(300, "CNY"), Money(200, "CNY")))
200
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode


@dataclass(frozen=True)
class PaymentFacts:
    """The payment being decided, as the rules see it."""

    agent_id: str
    delegation_id: str
    account_id: str
    merchant_id: str
    out_trade_no: str
    amount: Money
    level: PaymentMode
    at: datetime

    def __post_init__(self) -> None:
        if self.amount.minor <= 0:
            raise ValidationError("a payment's amount must be positive")
        if self.at.tzinfo is None:
            raise ValidationError("a payment's time must be timezone-aware")
        for name in ("agent_id", "delegation_id", "account_id", "merchant_id"):
            if not getattr(self, name):
                raise ValidationError(f"{name} is required")


@dataclass(frozen=True)
class History:
    """What came before: successful payments per agent and delegation (their times), the
    person's usual amounts, when the agent and the merchant were first seen (``None``: never),
    and how many payments of this agent were refused in a row since its last success.
    ``agent_in_flight``: the agent's other payment requests being decided right now (claimed,
    not answered), counted by the velocity rule so a concurrent burst cannot slip past it."""

    agent_payments: tuple[datetime, ...] = ()
    delegation_payments: tuple[datetime, ...] = ()
    usual_amounts: tuple[Money, ...] = ()
    agent_first_seen: datetime | None = None
    merchant_first_seen: datetime | None = None
    refusal_streak: int = 0
    agent_in_flight: int = 0

    def __post_init__(self) -> None:
        if self.refusal_streak < 0 or self.agent_in_flight < 0:
            raise ValidationError("a refusal streak or an in-flight count cannot be negative")
        if len({amount.currency for amount in self.usual_amounts}) > 1:
            raise ValidationError("the usual amounts are in one currency")

    @classmethod
    def empty(cls) -> History:
        """The history of a first payment: nothing seen before."""
        return cls()


def median_minor(amounts: tuple[Money, ...]) -> int | None:
    """The median of ``amounts`` in minor units (the lower middle of an even count), or None."""
    if not amounts:
        return None
    ordered = sorted(amount.minor for amount in amounts)
    return ordered[(len(ordered) - 1) // 2]
