"""The A402 transaction states as a transition table (ACT 2.1 A402 section 6).

    CREATE ──PAYMENT_NEEDED_ISSUED──> WAIT_BUYER_PAY ──PAYMENT_VALIDATED──> WAIT_SELLER_FULFILLMENT
    WAIT_SELLER_FULFILLMENT ──DELIVERY_COMMITTED──> WAIT_BUYER_RECEIPT
    WAIT_BUYER_RECEIPT ──FULFILLMENT_CONFIRMED──> TRADE_FINISHED
    WAIT_BUYER_PAY ──PAYMENT_TERMINATED──> TRADE_CLOSED
    WAIT_SELLER_FULFILLMENT ──COMPENSATION_COMPLETED──> TRADE_CLOSED
    WAIT_BUYER_RECEIPT ──TRADE_TERMINATED──> TRADE_CLOSED

Every non-terminal state except ``CREATE`` may close; ``TRADE_FINISHED`` and ``TRADE_CLOSED``
are terminal. The event names are those of the ACT implementation artifact
(``transaction-state.schema.json`` and its validator). A payment method maps its internal
states onto these six before anything leaves the process: ``TransactionState`` is the only
state type the codec writes or reads.

``next_state`` is pure: it returns the new state or raises ``IllegalTransactionTransition``,
so an illegal event changes nothing.

>>> next_state(TransactionState.CREATE, TransactionEvent.PAYMENT_NEEDED_ISSUED)
<TransactionState.WAIT_BUYER_PAY: 'WAIT_BUYER_PAY'>
"""

from __future__ import annotations

from enum import StrEnum

from trustcart.payments.a402.errors import IllegalTransactionTransition


class TransactionState(StrEnum):
    CREATE = "CREATE"
    WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
    WAIT_SELLER_FULFILLMENT = "WAIT_SELLER_FULFILLMENT"
    WAIT_BUYER_RECEIPT = "WAIT_BUYER_RECEIPT"
    TRADE_FINISHED = "TRADE_FINISHED"
    TRADE_CLOSED = "TRADE_CLOSED"


class TransactionEvent(StrEnum):
    PAYMENT_NEEDED_ISSUED = "PAYMENT_NEEDED_ISSUED"
    PAYMENT_VALIDATED = "PAYMENT_VALIDATED"
    PAYMENT_TERMINATED = "PAYMENT_TERMINATED"
    DELIVERY_COMMITTED = "DELIVERY_COMMITTED"
    COMPENSATION_COMPLETED = "COMPENSATION_COMPLETED"
    FULFILLMENT_CONFIRMED = "FULFILLMENT_CONFIRMED"
    TRADE_TERMINATED = "TRADE_TERMINATED"


_S, _E = TransactionState, TransactionEvent
TRANSITIONS: dict[tuple[TransactionState, TransactionEvent], TransactionState] = {
    (_S.CREATE, _E.PAYMENT_NEEDED_ISSUED): _S.WAIT_BUYER_PAY,
    (_S.WAIT_BUYER_PAY, _E.PAYMENT_VALIDATED): _S.WAIT_SELLER_FULFILLMENT,
    (_S.WAIT_BUYER_PAY, _E.PAYMENT_TERMINATED): _S.TRADE_CLOSED,
    (_S.WAIT_SELLER_FULFILLMENT, _E.DELIVERY_COMMITTED): _S.WAIT_BUYER_RECEIPT,
    (_S.WAIT_SELLER_FULFILLMENT, _E.COMPENSATION_COMPLETED): _S.TRADE_CLOSED,
    (_S.WAIT_BUYER_RECEIPT, _E.FULFILLMENT_CONFIRMED): _S.TRADE_FINISHED,
    (_S.WAIT_BUYER_RECEIPT, _E.TRADE_TERMINATED): _S.TRADE_CLOSED,
}

TERMINAL = frozenset({_S.TRADE_FINISHED, _S.TRADE_CLOSED})


def allowed_next(state: TransactionState) -> frozenset[TransactionState]:
    """The states ``state`` may move to (empty for the terminal ones).

    >>> sorted(str(state) for state in allowed_next(TransactionState.WAIT_BUYER_PAY))
    ['TRADE_CLOSED', 'WAIT_SELLER_FULFILLMENT']
    """
    return frozenset(to for (source, _), to in TRANSITIONS.items() if source == state)


def next_state(state: TransactionState, event: TransactionEvent) -> TransactionState:
    """The state after ``event``; raise ``IllegalTransactionTransition`` if A402 forbids it."""
    try:
        key = (TransactionState(state), TransactionEvent(event))
    except ValueError:
        raise IllegalTransactionTransition(f"unknown state {state!r} or event {event!r}") from None
    target = TRANSITIONS.get(key)
    if target is None:
        raise IllegalTransactionTransition(f"{event} is not allowed in state {state}")
    return target
