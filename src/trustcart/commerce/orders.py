"""Order lifecycle as a transition table (pure).

    CONFIRMED --pay--> PAID --fulfil--> FULFILLED
    CONFIRMED --expire--> EXPIRED        (the price lock ran out; stock is released)
    CONFIRMED --cancel--> CANCELLED      (stock is released)

Anything else raises ``IllegalTransition`` and the caller changes nothing. EXPIRED, CANCELLED and
FULFILLED are final.
"""

from __future__ import annotations

from enum import StrEnum

from trustcart.commerce.errors import IllegalTransition


class OrderStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    PAID = "PAID"
    FULFILLED = "FULFILLED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class OrderEvent(StrEnum):
    PAY = "pay"
    FULFIL = "fulfil"
    EXPIRE = "expire"
    CANCEL = "cancel"


TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (OrderStatus.CONFIRMED, OrderEvent.PAY): OrderStatus.PAID,
    (OrderStatus.CONFIRMED, OrderEvent.EXPIRE): OrderStatus.EXPIRED,
    (OrderStatus.CONFIRMED, OrderEvent.CANCEL): OrderStatus.CANCELLED,
    (OrderStatus.PAID, OrderEvent.FULFIL): OrderStatus.FULFILLED,
}

# Leaving these states gives the reserved stock back to the shelf.
RELEASES_STOCK = frozenset({OrderStatus.EXPIRED, OrderStatus.CANCELLED})


def next_status(current: OrderStatus, event: OrderEvent) -> OrderStatus:
    """The state after ``event``, or ``IllegalTransition``.

    >>> next_status(OrderStatus.CONFIRMED, OrderEvent.PAY)
    <OrderStatus.PAID: 'PAID'>
    """
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(str(current), str(event)) from None
