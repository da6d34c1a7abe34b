"""A checkout session as every codec shows it: the session, its current price, its order.

Strategy: a session is never shown at a stored price. Reading locks it (``lock_session``),
expires it first if its time ran out, and prices it afresh (``checkout_quote``) over the stored
products and coupons; a completed session carries the order it made.

Rules kept: only an open session is re-priced into ``ready`` or ``incomplete``
(``revise_event`` through the transition table), and the total shown is stored with it, so that
completion can refuse a total that changed since the agent last saw it. These helpers run inside
the caller's transaction and commit nothing themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from trustcart.commerce.catalog import Merchant
from trustcart.commerce.checkout import (
    CheckoutEvent,
    CheckoutSession,
    CheckoutStatus,
    next_status,
    revise_event,
)
from trustcart.commerce.checkout_quote import CheckoutQuote, quote_checkout
from trustcart.commerce.checkout_store import (
    load_checkout_coupons,
    load_products,
    lock_session,
    save_session,
)
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import Order, order_from_row
from trustcart.store.commerce import OrderRow


@dataclass(frozen=True)
class CheckoutView:
    """A session with its current price and, once completed, its order."""

    session: CheckoutSession
    quote: CheckoutQuote
    merchant: Merchant
    order: Order | None = None


class OrderObserver(Protocol):
    """Told of order events in the transaction that records them (a durable outbox)."""

    def order_event(
        self, db: Session, checkout: CheckoutSession, order: Order, kind: str, now: datetime
    ) -> None: ...


def quote_view(
    market: Marketplace, db: Session, checkout: CheckoutSession, now: datetime
) -> CheckoutView:
    """The session priced now, with its order when it is completed."""
    merchant = market.merchant(db, checkout.merchant_id)
    products = load_products(db, [item.product_id for item in checkout.items])
    automatic, coded = load_checkout_coupons(db, merchant.merchant_id)
    quote = quote_checkout(merchant, checkout, products, automatic=automatic, coded=coded, now=now)
    return CheckoutView(checkout, quote, merchant, _order(db, checkout))


def _order(db: Session, checkout: CheckoutSession) -> Order | None:
    if checkout.status is not CheckoutStatus.COMPLETED or checkout.out_trade_no is None:
        return None
    row = db.get(OrderRow, checkout.out_trade_no)
    return order_from_row(db, row) if row is not None else None


def fresh_session(
    db: Session, session_id: str, platform_id: str | None, now: datetime
) -> CheckoutSession:
    """The session locked, expired (and stored so) if its time ran out."""
    checkout = lock_session(db, session_id, platform_id=platform_id)
    if checkout.due_to_expire(now):
        checkout = replace(
            checkout, status=next_status(checkout.status, CheckoutEvent.EXPIRE), updated_at=now
        )
        save_session(db, checkout)
    return checkout


def revised_view(
    market: Marketplace, db: Session, checkout: CheckoutSession, now: datetime
) -> CheckoutView:
    """Re-price an open session, move it to ready or incomplete, store it."""
    view = quote_view(market, db, checkout, now)
    status = next_status(checkout.status, revise_event(view.quote.ready))
    checkout = replace(checkout, status=status, updated_at=now, shown_total=view.quote.total)
    save_session(db, checkout)
    return replace(view, session=checkout)
