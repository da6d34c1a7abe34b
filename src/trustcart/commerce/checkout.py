"""One checkout state machine for every protocol that checks out at our merchants (pure).

A checkout session is what an agent builds before it pays: lines, buyer, where it goes, which
fulfilment option, which discount codes. ACP (``commerce.acp``) and UCP speak it through their
own codecs; the ACT cart confirmation (``cart_confirmation``) is the order step a completing
session goes through, so prices, coupons, stock holds and orders have one implementation.

The lifecycle is a transition table; an illegal step raises ``CheckoutRefused``
(``checkout-illegal-transition``) and the caller changes nothing::

    INCOMPLETE --revise-ready--> READY --revise-incomplete--> INCOMPLETE   (every update re-prices)
    READY --begin-payment--> COMPLETING --payment-succeeded--> COMPLETED
                             COMPLETING --payment-failed--> READY          (declined, or no stock)
    INCOMPLETE | READY --cancel--> CANCELED
    INCOMPLETE | READY --expire--> EXPIRED                                  (expires_at passed)

COMPLETED, CANCELED and EXPIRED are final. A session in COMPLETING can be neither cancelled nor
expired: a payment may be under way, and only its answer moves it on.

How the protocols name the states:

| internal | ACP 2026-04-17 | UCP 2026-04-08 |
|---|---|---|
| INCOMPLETE | not_ready_for_payment | incomplete |
| READY | ready_for_payment | ready_for_complete |
| COMPLETING | complete_in_progress | complete_in_progress |
| COMPLETED | completed | completed |
| CANCELED | canceled | canceled |
| EXPIRED | expired | canceled (UCP has no expired state) |

>>> next_status(CheckoutStatus.READY, CheckoutEvent.BEGIN_PAYMENT)
<CheckoutStatus.COMPLETING: 'completing'>
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from trustcart.commerce.cart import MAX_LINES, MAX_QUANTITY
from trustcart.commerce.errors import CheckoutRefused, CommerceProblem
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

DEFAULT_TTL = timedelta(hours=6)  # UCP's default; ACP leaves it to the seller
MAX_CODES = 10
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")


class CheckoutStatus(StrEnum):
    INCOMPLETE = "incomplete"
    READY = "ready"
    COMPLETING = "completing"
    COMPLETED = "completed"
    CANCELED = "canceled"
    EXPIRED = "expired"


class CheckoutEvent(StrEnum):
    REVISE_INCOMPLETE = "revise-incomplete"
    REVISE_READY = "revise-ready"
    BEGIN_PAYMENT = "begin-payment"
    PAYMENT_SUCCEEDED = "payment-succeeded"
    PAYMENT_FAILED = "payment-failed"
    CANCEL = "cancel"
    EXPIRE = "expire"


_S, _E = CheckoutStatus, CheckoutEvent
TRANSITIONS: dict[tuple[CheckoutStatus, CheckoutEvent], CheckoutStatus] = {
    (_S.INCOMPLETE, _E.REVISE_INCOMPLETE): _S.INCOMPLETE,
    (_S.INCOMPLETE, _E.REVISE_READY): _S.READY,
    (_S.READY, _E.REVISE_INCOMPLETE): _S.INCOMPLETE,
    (_S.READY, _E.REVISE_READY): _S.READY,
    (_S.READY, _E.BEGIN_PAYMENT): _S.COMPLETING,
    (_S.COMPLETING, _E.PAYMENT_SUCCEEDED): _S.COMPLETED,
    (_S.COMPLETING, _E.PAYMENT_FAILED): _S.READY,
    (_S.INCOMPLETE, _E.CANCEL): _S.CANCELED,
    (_S.READY, _E.CANCEL): _S.CANCELED,
    (_S.INCOMPLETE, _E.EXPIRE): _S.EXPIRED,
    (_S.READY, _E.EXPIRE): _S.EXPIRED,
}
FINAL = frozenset({_S.COMPLETED, _S.CANCELED, _S.EXPIRED})
OPEN = frozenset({_S.INCOMPLETE, _S.READY})


def next_status(current: CheckoutStatus, event: CheckoutEvent) -> CheckoutStatus:
    """The state after ``event``, or ``CheckoutRefused`` (``checkout-illegal-transition``)."""
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise CheckoutRefused(
            CommerceProblem.CHECKOUT_ILLEGAL_TRANSITION,
            f"a {current} checkout session cannot {event}",
            state=str(current),
        ) from None


def revise_event(ready: bool) -> CheckoutEvent:
    """The event an update is, once the session has been re-priced.

    >>> revise_event(False)
    <CheckoutEvent.REVISE_INCOMPLETE: 'revise-incomplete'>
    """
    return CheckoutEvent.REVISE_READY if ready else CheckoutEvent.REVISE_INCOMPLETE


def _text(value: Any, what: str, *, max_len: int = 200, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > max_len or (required and not value.strip()):
        raise ValidationError(f"{what} must be a string of at most {max_len} characters")
    return value


@dataclass(frozen=True, slots=True)
class CheckoutItem:
    """One requested line: a product of the session's merchant and how many."""

    product_id: str
    quantity: int

    def __post_init__(self) -> None:
        _text(self.product_id, "item id", max_len=96)
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValidationError("quantity must be an int")
        if not 1 <= self.quantity <= MAX_QUANTITY:
            raise ValidationError(f"quantity must be within 1..{MAX_QUANTITY}")


def merge_items(items: list[CheckoutItem]) -> tuple[CheckoutItem, ...]:
    """One line per product, quantities added, in first-seen order.

    >>> merge_items([CheckoutItem("p_a", 1), CheckoutItem("p_b", 2), CheckoutItem("p_a", 2)])
    (CheckoutItem(product_id='p_a', quantity=3), CheckoutItem(product_id='p_b', quantity=2))
    """
    totals: dict[str, int] = {}
    for item in items:
        totals[item.product_id] = totals.get(item.product_id, 0) + item.quantity
    merged = tuple(CheckoutItem(pid, quantity) for pid, quantity in totals.items())
    if not 1 <= len(merged) <= MAX_LINES:
        raise ValidationError(f"a checkout holds 1..{MAX_LINES} lines")
    return merged


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    line_one: str
    city: str
    state: str
    country: str
    postal_code: str
    line_two: str = ""

    def __post_init__(self) -> None:
        for name in ("name", "line_one", "city", "state", "country", "postal_code"):
            _text(getattr(self, name), f"address {name}")
        _text(self.line_two, "address line_two", required=False)

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "line_one": self.line_one,
            "line_two": self.line_two,
            "city": self.city,
            "state": self.state,
            "country": self.country,
            "postal_code": self.postal_code,
        }


@dataclass(frozen=True, slots=True)
class Contact:
    """Who receives the goods, and where (ACP ``fulfillment_details``, UCP ``fulfillment``)."""

    name: str | None = None
    phone_number: str | None = None
    email: str | None = None
    address: Address | None = None

    def __post_init__(self) -> None:
        for name in ("name", "phone_number", "email"):
            _text(getattr(self, name), name, required=False)


@dataclass(frozen=True, slots=True)
class Buyer:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None

    def __post_init__(self) -> None:
        _text(self.email, "buyer email")
        if "@" not in self.email:
            raise ValidationError("buyer email must be an e-mail address")
        for name in ("first_name", "last_name", "phone_number"):
            _text(getattr(self, name), name, required=False)


def normalize_codes(codes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Discount codes as submitted (order kept, case kept); at most ``MAX_CODES`` codes.

    >>> normalize_codes(["SAVE10", "summer20"])
    ('SAVE10', 'summer20')
    """
    if len(codes) > MAX_CODES:
        raise ValidationError(f"at most {MAX_CODES} discount codes")
    for code in codes:
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ValidationError("a discount code is 1-64 letters, digits, '-' or '_'")
    return tuple(codes)


class NoticeKind(StrEnum):
    """Facts the session keeps saying until they no longer hold."""

    PAYMENT_DECLINED = "payment-declined"
    PRICE_CHANGED = "price-changed"
    OUT_OF_STOCK = "out-of-stock"


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """A checkout session as stored: what the agent asked for, and where it stands."""

    session_id: str
    protocol: str
    merchant_id: str
    platform_id: str
    currency: str
    status: CheckoutStatus
    items: tuple[CheckoutItem, ...]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    buyer: Buyer | None = None
    contact: Contact | None = None
    selected_option_id: str | None = None
    codes: tuple[str, ...] = ()
    iac: str | None = None
    shown_total: Money | None = None
    out_trade_no: str | None = None
    trade_no: str | None = None
    notices: tuple[NoticeKind, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.status, CheckoutStatus):
            raise ValidationError("status must be a CheckoutStatus")
        if not self.items:
            raise ValidationError("a checkout session has at least one line")
        Money.zero(self.currency)
        if self.expires_at <= self.created_at:
            raise ValidationError("expires_at must be after created_at")

    def due_to_expire(self, now: datetime) -> bool:
        return self.status in OPEN and now >= self.expires_at
