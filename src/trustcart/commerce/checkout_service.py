"""``CheckoutService``: checkout sessions as units of work, for every protocol codec.

Create, update, read and cancel are one transaction each: lock the session, expire it if its
time ran out, re-price it (``checkout_view`` over ``checkout_quote``), move it through the
transition table (``checkout``) and store it. Completion is a short sequence with a recovery
point after each step, so a crash or a lost answer is resumed by the next ``complete`` rather
than repeated: the ACT checks, the cart confirmation, the charge and the order marked paid
(``checkout_completion``, which says each step). Fulfilment tells the same observers.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.commerce.cart_confirmation import CartConfirmation
from trustcart.commerce.catalog import Merchant
from trustcart.commerce.checkout import (
    DEFAULT_TTL,
    OPEN,
    Buyer,
    CheckoutEvent,
    CheckoutItem,
    CheckoutSession,
    CheckoutStatus,
    Contact,
    next_status,
)
from trustcart.commerce.checkout_act import ActGate
from trustcart.commerce.checkout_completion import CheckoutCompletion
from trustcart.commerce.checkout_payment import PaymentGateway
from trustcart.commerce.checkout_store import load_products, lock_session, save_session
from trustcart.commerce.checkout_view import (
    CheckoutView,
    OrderObserver,
    fresh_session,
    quote_view,
    revised_view,
)
from trustcart.commerce.errors import CheckoutRefused, CommerceProblem
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_lifecycle import OrderLifecycle
from trustcart.core.clock import format_instant
from trustcart.core.ids import RandomBytes, new_id
from trustcart.store.checkout import CheckoutSessionRow

# CheckoutView and OrderObserver live in checkout_view; the codecs import them from here too.
__all__ = ["CheckoutChanges", "CheckoutDraft", "CheckoutService", "CheckoutView", "OrderObserver"]


@dataclass(frozen=True)
class CheckoutDraft:
    merchant_id: str
    platform_id: str
    protocol: str
    currency: str
    items: tuple[CheckoutItem, ...]
    buyer: Buyer | None = None
    contact: Contact | None = None
    codes: tuple[str, ...] = ()
    iac: str | None = None
    extras: dict[str, Any] | None = None


@dataclass(frozen=True)
class CheckoutChanges:
    """An update: ``None`` leaves a field as it is."""

    items: tuple[CheckoutItem, ...] | None = None
    buyer: Buyer | None = None
    contact: Contact | None = None
    selected_option_id: str | None = None
    codes: tuple[str, ...] | None = None
    iac: str | None = None
    extras: dict[str, Any] | None = None


class CheckoutService:
    def __init__(
        self,
        market: Marketplace,
        confirmation: CartConfirmation,
        gateway: PaymentGateway,
        *,
        payment_method: str,
        act: ActGate | None = None,
        observers: Sequence[OrderObserver] = (),
        random: RandomBytes = secrets.token_bytes,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._market = market
        self._orders = OrderLifecycle(market)
        self._observers = tuple(observers)
        self._random = random
        self._ttl = ttl
        self._completion = CheckoutCompletion(
            market,
            confirmation,
            self._orders,
            gateway,
            payment_method=payment_method,
            act=act,
            observers=self._observers,
        )

    # -- reading ----------------------------------------------------------------------------

    def order_view(self, out_trade_no: str, *, platform_id: str | None) -> CheckoutView:
        """The completed session that made this order (for its own platform only)."""
        with self._market.db.read() as db:
            session_id = db.scalars(
                select(CheckoutSessionRow.session_id).where(
                    CheckoutSessionRow.out_trade_no == out_trade_no,
                    CheckoutSessionRow.status == str(CheckoutStatus.COMPLETED),
                )
            ).first()
        if session_id is None:
            raise CheckoutRefused(
                CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}", status=404
            )
        try:
            return self.get(session_id, platform_id=platform_id)
        except CheckoutRefused as e:
            raise CheckoutRefused(
                CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}", status=404
            ) from e

    def get(self, session_id: str, *, platform_id: str | None) -> CheckoutView:
        now = self._market.clock.now()
        with self._market.db.transaction() as db:
            checkout = fresh_session(db, session_id, platform_id, now)
            return quote_view(self._market, db, checkout, now)

    # -- create, update, cancel -----------------------------------------------------------------

    def create(self, draft: CheckoutDraft) -> CheckoutView:
        """A new session; an unknown item or currency is refused and nothing is stored."""
        now = self._market.clock.now().replace(microsecond=0)
        with self._market.db.transaction() as db:
            merchant = self._market.merchant(db, draft.merchant_id)
            if draft.currency.upper() != merchant.currency:
                raise CheckoutRefused(
                    CommerceProblem.CHECKOUT_CURRENCY_UNSUPPORTED,
                    f"{merchant.merchant_id} sells in {merchant.currency}",
                    status=400,
                )
            self._check_items(db, merchant, draft.items)
            checkout = CheckoutSession(
                session_id=new_id("cs", self._random),
                protocol=draft.protocol,
                merchant_id=merchant.merchant_id,
                platform_id=draft.platform_id,
                currency=merchant.currency,
                status=CheckoutStatus.INCOMPLETE,
                items=draft.items,
                created_at=now,
                updated_at=now,
                expires_at=now + self._ttl,
                buyer=draft.buyer,
                contact=draft.contact,
                codes=draft.codes,
                iac=draft.iac,
                extras=dict(draft.extras or {}),
            )
            return revised_view(self._market, db, checkout, now)

    def _check_items(self, db: Session, merchant: Merchant, items: Sequence[CheckoutItem]) -> None:
        products = load_products(db, [item.product_id for item in items])
        for index, item in enumerate(items):
            product = products.get(item.product_id)
            if product is None or product.merchant_id != merchant.merchant_id:
                raise CheckoutRefused(
                    CommerceProblem.UNKNOWN_PRODUCT,
                    f"{merchant.merchant_id} sells no {item.product_id}",
                    status=400,
                    line=index,
                )

    def update(
        self, session_id: str, changes: CheckoutChanges, *, platform_id: str
    ) -> CheckoutView:
        now = self._market.clock.now().replace(microsecond=0)
        with self._market.db.transaction() as db:
            checkout = fresh_session(db, session_id, platform_id, now)
            if changes.items is not None:
                self._check_items(
                    db, self._market.merchant(db, checkout.merchant_id), changes.items
                )
            if changes.iac is not None and checkout.iac not in (None, changes.iac):
                raise CheckoutRefused(
                    CommerceProblem.IAC_REFUSED,
                    "this session is bound to another intent credential",
                    status=400,
                    reason="iac-rebound",
                )
            if checkout.status not in (CheckoutStatus.INCOMPLETE, CheckoutStatus.READY):
                next_status(checkout.status, CheckoutEvent.REVISE_READY)  # raises
            checkout = replace(
                checkout,
                items=changes.items if changes.items is not None else checkout.items,
                buyer=changes.buyer or checkout.buyer,
                contact=changes.contact or checkout.contact,
                selected_option_id=changes.selected_option_id or checkout.selected_option_id,
                codes=changes.codes if changes.codes is not None else checkout.codes,
                iac=changes.iac or checkout.iac,
                extras={**checkout.extras, **(changes.extras or {})},
                notices=(),
            )
            return revised_view(self._market, db, checkout, now)

    def cancel(
        self, session_id: str, *, platform_id: str, intent_trace: Any = None
    ) -> CheckoutView:
        """Cancel an open session; ``intent_trace`` (why the buyer left) is kept with it."""
        now = self._market.clock.now().replace(microsecond=0)
        with self._market.db.transaction() as db:
            checkout = fresh_session(db, session_id, platform_id, now)
            extras = dict(checkout.extras)
            if intent_trace is not None:
                extras["intent_trace"] = intent_trace
            checkout = replace(
                checkout,
                status=next_status(checkout.status, CheckoutEvent.CANCEL),
                updated_at=now,
                extras=extras,
            )
            save_session(db, checkout)
            return quote_view(self._market, db, checkout, now)

    def expire_due(self) -> list[str]:
        """Expire every open session whose time ran out (the scheduler's job)."""
        now = self._market.clock.now()
        with self._market.db.transaction() as db:
            due = db.scalars(
                select(CheckoutSessionRow.session_id)
                .where(
                    CheckoutSessionRow.status.in_([str(s) for s in OPEN]),
                    CheckoutSessionRow.expires_at <= format_instant(now),
                )
                .order_by(CheckoutSessionRow.session_id)
            ).all()
            for session_id in due:
                fresh_session(db, session_id, None, now)
        return list(due)

    # -- complete -------------------------------------------------------------------------------

    def complete(
        self,
        session_id: str,
        *,
        platform_id: str,
        payment_token: str,
        buyer: Buyer | None = None,
        agent_id: str | None = None,
    ) -> CheckoutView:
        """Pay for the session (``checkout_completion``); ``CheckoutRefused`` when it cannot be."""
        return self._completion.complete(
            session_id,
            platform_id=platform_id,
            payment_token=payment_token,
            buyer=buyer,
            agent_id=agent_id,
        )

    # -- after the order ------------------------------------------------------------------------

    def fulfil(self, session_id: str) -> CheckoutView:
        """The merchant handed the goods over: fulfil the order, tell the observers."""
        with self._market.db.transaction() as db:
            checkout = lock_session(db, session_id, platform_id=None)
        if checkout.out_trade_no is None or checkout.status is not CheckoutStatus.COMPLETED:
            raise CheckoutRefused(CommerceProblem.CHECKOUT_NOT_READY, "nothing to fulfil yet")
        order = self._orders.fulfil(checkout.out_trade_no)
        now = self._market.clock.now()
        with self._market.db.transaction() as db:
            for observer in self._observers:
                observer.order_event(db, checkout, order, "updated", now)
            return quote_view(self._market, db, checkout, now)
