"""Order lifecycle as a transition table (pure).

    CONFIRMED --pay--> PAID --fulfil--> FULFILLED
    CONFIRMED --expire--> EXPIRED        (the price lock ran out; stock is released)
    CONFIRMED --cancel--> CANCELLED      (stock is released)
    EXPIRED   --pay--> PAID              (a late notice of a payment made within the lock;
                                          the stock is taken again)

Anything else raises ``IllegalTransition`` and the caller changes nothing. CANCELLED and
FULFILLED are final; EXPIRED is final but for the late notice: the PSP refuses to pay once the
lock ends, so a notice that pays an expired order reports a payment made while the hold still
stood, which the expiry sweep could not know of (the notice was in the PSP's outbox). The
payment stands, so the order must be paid; the caller checks the notice's time.
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
    (OrderStatus.EXPIRED, OrderEvent.PAY): OrderStatus.PAID,
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
