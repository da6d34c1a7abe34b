"""Money: integer minor units plus an ISO 4217 code. Never a float.

On the wire amounts are decimal strings in major units ("29.90"), because RFC 8785 (JCS) would
rewrite a JSON number such as 29.90 into 29.9 and the signed bytes would no longer match what a
person read. Internally every amount is an ``int`` of minor units, so sums are exact.

>>> Money.parse("29.90", "CNY")
Money(minor=2990, currency='CNY')
>>> str(Money.parse("29.9", "CNY") + Money(10, "CNY"))
'30.00 CNY'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from trustcart.core.errors import MoneyError

# ISO 4217 minor-unit exponents for the currencies trustcart handles. An unknown code is refused
# rather than guessed: guessing the exponent of JPY as 2 would multiply prices by 100.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "SGD": 2,
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "TWD": 2,
    "INR": 2,
    "BRL": 2,
    "MXN": 2,
    "NZD": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "THB": 2,
    "MYR": 2,
    "IDR": 2,
    "PHP": 2,
    "ZAR": 2,
    "AED": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "KWD": 3,
    "BHD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
}

# ASCII digits only and nothing after them: "\d" would take "１８.００" and "$" a final "\n".
_DECIMAL_RE = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,4})?\Z")
# Amounts beyond this are refused: no purchase is this large and it keeps sums far inside int64,
# which PostgreSQL BIGINT columns require.
MAX_MINOR = 10**15


def currency_exponent(currency: str) -> int:
    """Return the number of minor-unit digits for an ISO 4217 code, or raise MoneyError."""
    if not isinstance(currency, str):
        raise MoneyError("currency must be an ISO 4217 code string")
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"unsupported currency {currency!r}") from None


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount: ``minor`` units of ``currency`` (2990 CNY minor units = 29.90 CNY)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyError(f"minor units must be an int, not {type(self.minor).__name__}")
        if abs(self.minor) > MAX_MINOR:
            raise MoneyError("amount out of range")
        currency_exponent(self.currency)

    # -- parsing and formatting ---------------------------------------------------------------

    @classmethod
    def parse(cls, amount: str, currency: str) -> Money:
        """Parse a decimal string in major units; refuse floats, exponents and extra digits."""
        if not isinstance(amount, str) or not _DECIMAL_RE.match(amount):
            raise MoneyError(f"amount must be a decimal string such as '29.90', got {amount!r}")
        exponent = currency_exponent(currency)
        try:
            value = Decimal(amount)
        except InvalidOperation as e:  # pragma: no cover - the regex already rules this out
            raise MoneyError(f"invalid amount {amount!r}") from e
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{amount} has more decimals than {currency} allows ({exponent})")
        return cls(int(scaled), currency)

    @classmethod
    def from_json(cls, obj: Any) -> Money:
        """Build from the wire shape ``{"amount": "29.90", "currency": "CNY"}``."""
        if not isinstance(obj, dict) or set(obj) != {"amount", "currency"}:
            raise MoneyError(
                'money must be {"amount": "<decimal string>", "currency": "<ISO 4217>"}'
            )
        return cls.parse(obj["amount"], obj["currency"])

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def amount_str(self) -> str:
        """The major-unit decimal string: Money(2990, 'CNY') -> '29.90'."""
        exponent = currency_exponent(self.currency)
        return f"{Decimal(self.minor).scaleb(-exponent):.{exponent}f}"

    def to_json(self) -> dict[str, str]:
        return {"amount": self.amount_str(), "currency": self.currency}

    def __str__(self) -> str:
        return f"{self.amount_str()} {self.currency}"

    # -- arithmetic: same currency only -------------------------------------------------------

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money only combines with Money")
        if other.currency != self.currency:
            raise MoneyError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError("Money multiplies by an int quantity only")
        return Money(self.minor * quantity, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def is_negative(self) -> bool:
        return self.minor < 0


def sum_money(amounts: list[Money], currency: str) -> Money:
    """Sum a list of Money of one currency; the empty sum is zero of ``currency``."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total
