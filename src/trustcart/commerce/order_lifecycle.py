"""The order lifecycle after confirmation: payment notice, fulfilment, cancel and expiry.

Each operation is one transaction that locks the order row and applies one event of the
``orders`` transition table through ``order_book.apply_event``, so an illegal transition raises
and changes nothing. A payment notice must match the order (merchant and cart digest when the
PSP's receipt names them), pay exactly the locked total, be dated no later than our clock plus
``PAYMENT_CLOCK_SKEW`` and within the price lock; the same notice repeated is answered with the
order unchanged. A notice of a payment made within the lock that arrives after the expiry
sweep (the merchant or the PSP was down) still pays the order: the payment stands, so the order
is paid and its stock taken again (``orders``). Fulfilment stages
``act:commerce:fulfillment-completed``, signed by the merchant, in the outbox in the same
transaction, and tells the marketplace's order hooks (the protocols' webhooks) in it too;
cancel and expiry put the reserved stock back.

``expire_due`` is the hold expiry: every order confirmed but unpaid when its price lock ends
(``price_locked_until <= now``, the instant from which the PSP refuses to pay it) lapses and
gives its stock back. It runs from the in-process scheduler of ``trustcart serve``/``demo``/
``chat`` and from ``trustcart maintenance`` (cron).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from trustcart.commerce.errors import CartExpired, CommerceProblem, NotFound, PaymentMismatch
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import Order, apply_event, lock_order, order_from_row
from trustcart.commerce.orders import OrderEvent, OrderStatus
from trustcart.core.clock import format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.store.commerce import OrderRow
from trustcart.trust.events import Chain, EventType

# A PSP clock slightly ahead of ours is tolerated; a notice dated further ahead is refused.
PAYMENT_CLOCK_SKEW = timedelta(seconds=60)


class OrderLifecycle:
    """The order operations over the marketplace's store, one transaction each."""

    def __init__(self, market: Marketplace) -> None:
        self._market = market

    def order(self, out_trade_no: str) -> Order:
        """The order as it stands; ``NotFound`` (``unknown-order``) if there is none."""
        with self._market.db.transaction() as session:
            row = session.get(OrderRow, out_trade_no)
            if row is None:
                raise NotFound(CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}")
            return order_from_row(session, row)

    def mark_paid(
        self,
        out_trade_no: str,
        trade_no: str,
        amount: Money,
        paid_at: datetime,
        *,
        cart_digest: str | None = None,
        merchant_id: str | None = None,
    ) -> Order:
        """Record the PSP's payment notice: the amount must be the locked total, paid in time.

        ``cart_digest`` and ``merchant_id`` (from the PSP's signed receipt), when given, must be
        this order's. A repeated notice for the same trade is answered with the order unchanged.
        """
        if paid_at.tzinfo is None:
            raise ValidationError("paid_at must be timezone-aware")
        now = self._market.clock.now()
        with self._market.db.transaction() as session:
            row = lock_order(session, out_trade_no)
            if merchant_id is not None and merchant_id != row.merchant_id:
                raise NotFound(CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}")
            if cart_digest is not None and cart_digest != row.cart_digest:
                raise PaymentMismatch(
                    CommerceProblem.CART_MISMATCH, "the payment was for another cart"
                )
            total = Money(row.total_minor, row.currency)
            already_paid = row.status in (OrderStatus.PAID, OrderStatus.FULFILLED)
            if already_paid and row.trade_no == trade_no and amount == total:
                return order_from_row(session, row)  # the PSP repeated its notice
            if amount != total:
                raise PaymentMismatch(
                    CommerceProblem.AMOUNT_MISMATCH, f"paid {amount}, the locked total is {total}"
                )
            if paid_at > now + PAYMENT_CLOCK_SKEW:
                raise ValidationError("the payment notice is dated in the future")
            if format_instant(paid_at) > row.price_locked_until:
                raise CartExpired()
            apply_event(session, row, OrderEvent.PAY, now)
            row.trade_no = trade_no
            row.paid_at = format_instant(paid_at)
            return order_from_row(session, row)

    def fulfil(self, out_trade_no: str) -> Order:
        """Mark a paid order fulfilled (the goods were handed over) and report it."""
        now = self._market.clock.now()
        with self._market.db.transaction() as session:
            row = lock_order(session, out_trade_no)
            apply_event(session, row, OrderEvent.FULFIL, now)
            chain = Chain(
                intent_id=row.intent_id,
                delegation_id=row.delegation_id,
                out_trade_no=out_trade_no,
                trade_no=row.trade_no,
            )
            owed = self._market.stage_event(
                session,
                EventType.FULFILLMENT_COMPLETED,
                merchant_id=row.merchant_id,
                chain=chain,
                body={"fulfilled": True},
                now=now,
            )
            order = order_from_row(session, row)
            self._market.order_changed(session, order, now)  # webhooks commit with it
        self._market.deliver(owed)
        return order

    def cancel(self, out_trade_no: str) -> Order:
        """Cancel an unpaid order and put its stock back."""
        return self._change(out_trade_no, OrderEvent.CANCEL)

    def _change(self, out_trade_no: str, event: OrderEvent) -> Order:
        with self._market.db.transaction() as session:
            row = lock_order(session, out_trade_no)
            apply_event(session, row, event, self._market.clock.now())
            return order_from_row(session, row)

    def expire_due(self) -> list[str]:
        """Expire every unpaid order whose price lock has run out; release its stock."""
        now = self._market.clock.now()
        with self._market.db.transaction() as session:
            rows = session.scalars(
                select(OrderRow)
                .where(
                    OrderRow.status == str(OrderStatus.CONFIRMED),
                    OrderRow.price_locked_until <= format_instant(now),
                )
                .order_by(OrderRow.out_trade_no)
                .with_for_update()
            ).all()
            for row in rows:
                apply_event(session, row, OrderEvent.EXPIRE, now)
            return [row.out_trade_no for row in rows]
