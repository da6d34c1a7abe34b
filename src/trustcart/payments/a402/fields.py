"""Reading A402 protocol fields: presence rules, JSON types, amounts and instants.

Values are checked for their JSON type here and for their limits by the value model; a codec
wraps the model's ``ValidationError`` as ``HeaderRefused(a402-field-invalid)``.

* An amount is a decimal string (``common.schema.json``: up to 18 decimals) that must be a whole
  number of the currency's minor units: ``"0.010"`` CNY is one fen, ``"0.001"`` CNY is refused.
  It is written back with exactly the currency's digits (``Money.amount_str``).
* An instant is RFC 3339 with ``Z`` or an offset (no naive times); it is kept in UTC to the
  microsecond (finer digits are dropped, which only moves a deadline earlier) and written back
  in UTC with ``Z``, with a fraction only when there is one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money, currency_exponent
from trustcart.payments.a402.codes import HeaderDefect
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.model import PaymentMethodRef, RequestBinding

_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(?:\.[0-9]{1,18})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
MAX_AMOUNT_CHARS = 80


def parse_amount(amount: Any, currency: Any) -> Money:
    """An A402 amount string as Money; it must be exact in the currency's minor units.

    >>> parse_amount("0.010", "CNY")
    Money(minor=1, currency='CNY')
    """
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ValidationError("currency must be three capital letters")
    if (
        not isinstance(amount, str)
        or len(amount) > MAX_AMOUNT_CHARS
        or not _AMOUNT.fullmatch(amount)
    ):
        raise ValidationError("amount must be a decimal string such as '0.01'")
    # Integer arithmetic on the digits: Decimal would round past 28 significant digits, and
    # "1234567890123.000000000000000001" must be refused, not rounded to a whole fen.
    exponent = currency_exponent(currency)
    whole, _, fraction = amount.partition(".")
    if fraction[exponent:].strip("0"):
        raise ValidationError(f"{amount} is not a whole number of {currency} minor units")
    return Money(
        int(whole) * 10**exponent + int(fraction[:exponent].ljust(exponent, "0") or 0), currency
    )


def wire_instant(instant: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; a fraction of a second only when there is one."""
    text = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if instant.microsecond:
        text += f".{instant.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_wire_instant(text: Any) -> datetime:
    """An RFC 3339 date-time with ``Z`` or an offset, as aware UTC (sub-microseconds dropped)."""
    if not isinstance(text, str) or not _INSTANT.fullmatch(text):
        raise ValidationError("instant must be RFC 3339 with Z or an offset")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as e:
        raise ValidationError(f"instant {text!r} does not exist") from e


class ProtocolFields:
    """The ``protocol`` object of one header, read with its presence rules."""

    def __init__(self, obj: dict[str, Any], required: set[str], optional: set[str]) -> None:
        unknown = sorted(set(obj) - required - optional)
        if unknown:
            raise HeaderRefused(HeaderDefect.FIELD_UNKNOWN, f"unknown protocol fields {unknown}")
        missing = sorted(required - set(obj))
        if missing:
            raise HeaderRefused(HeaderDefect.FIELD_MISSING, f"missing protocol fields {missing}")
        self.obj = obj

    def get(self, name: str, kind: type = str) -> Any:
        value = self.obj.get(name)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise HeaderRefused(HeaderDefect.FIELD_INVALID, f"{name} must be a {kind.__name__}")
        if value is None and name in self.obj:
            raise HeaderRefused(HeaderDefect.FIELD_INVALID, f"{name} must not be null")
        return value

    def method(self) -> PaymentMethodRef:
        return PaymentMethodRef(self.get("method_id"), self.get("method_version"))

    def request(self) -> RequestBinding:
        return RequestBinding(
            self.get("request_method"),
            self.get("request_fingerprint"),
            self.get("idempotency_key"),
        )
