"""``CheckoutService``: checkout sessions as units of work, for every protocol codec.

Create, update, read and cancel are one transaction each: lock the session, expire it if its
time ran out, re-price it (``checkout_quote``), move it through the transition table
(``checkout``) and store it. Completion is a short sequence with a recovery point after each
step, so a crash or a lost answer is resumed by the next ``complete`` rather than repeated:

1. lock, re-price, check it is ready and costs what the agent was last shown, run the ACT
   checks when the session is bound to an IAC (``checkout_act``; they ask the status service
   over HTTP, so they run between two transactions, and the second refuses a session that
   changed meanwhile); ``begin-payment``;
2. confirm the cart through the one ACT cart confirmation (``cart_confirmation``: price lock,
   stock hold, an order in ``commerce_orders``, the merchant-signed cart; ``cart-confirmed``
   in the log only when an IAC was presented) and remember the order on the session;
3. charge the delegated token (``checkout_payment``) with a key derived from the order, so a
   retry can only get the provider's first answer;
4. on success mark the order paid (``order_lifecycle.mark_paid``: exact total, within the lock)
   and the session ``completed``, and tell the observers (the protocol's webhook outbox) in the
   same transaction; on a decline cancel the order (the stock goes back) and return the session
   to ``ready`` with a notice; an unknown outcome leaves it ``completing``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

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
    NoticeKind,
    next_status,
    revise_event,
)
from trustcart.commerce.checkout_act import ActCheck, ActGate
from trustcart.commerce.checkout_payment import ChargeRequest, PaymentGateway
from trustcart.commerce.checkout_quote import CheckoutQuote, quote_checkout
from trustcart.commerce.checkout_store import (
    load_checkout_coupons,
    load_products,
    lock_session,
    save_session,
)
from trustcart.commerce.errors import CheckoutRefused, CommerceError, CommerceProblem
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import Order, order_from_row
from trustcart.commerce.order_lifecycle import OrderLifecycle
from trustcart.core.clock import format_instant
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.store.checkout import CheckoutSessionRow
from trustcart.store.commerce import OrderRow

NO_DELEGATION = "none"  # the cart's delegation_id when no IAC was presented


@dataclass(frozen=True)
class CheckoutView:
    """A session with its current price and, once completed, its order."""

    session: CheckoutSession
    quote: CheckoutQuote
    merchant: Merchant
    order: Order | None = None


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


class OrderObserver(Protocol):
    """Told of order events in the transaction that records them (a durable outbox)."""

    def order_event(
        self, db: Session, checkout: CheckoutSession, order: Order, kind: str, now: datetime
    ) -> None: ...


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
        self._confirmation = confirmation
        self._orders = OrderLifecycle(market)
        self._gateway = gateway
        self._method = payment_method
        self._act = act
        self._observers = tuple(observers)
        self._random = random
        self._ttl = ttl

    # -- reading and pricing ------------------------------------------------------------------

    def _quote(self, db: Session, checkout: CheckoutSession, now: datetime) -> CheckoutView:
        merchant = self._market.merchant(db, checkout.merchant_id)
        products = load_products(db, [item.product_id for item in checkout.items])
        automatic, coded = load_checkout_coupons(db, merchant.merchant_id)
        quote = quote_checkout(
            merchant, checkout, products, automatic=automatic, coded=coded, now=now
        )
        order = self._order(db, checkout)
        return CheckoutView(checkout, quote, merchant, order)

    def _order(self, db: Session, checkout: CheckoutSession) -> Order | None:
        if checkout.status is not CheckoutStatus.COMPLETED or checkout.out_trade_no is None:
            return None
        row = db.get(OrderRow, checkout.out_trade_no)
        return order_from_row(db, row) if row is not None else None

    def _fresh(
        self, db: Session, session_id: str, platform_id: str | None, now: datetime
    ) -> CheckoutSession:
        checkout = lock_session(db, session_id, platform_id=platform_id)
        if checkout.due_to_expire(now):
            checkout = replace(
                checkout, status=next_status(checkout.status, CheckoutEvent.EXPIRE), updated_at=now
            )
            save_session(db, checkout)
        return checkout

    def _revised(self, db: Session, checkout: CheckoutSession, now: datetime) -> CheckoutView:
        """Re-price an open session, move it to ready or incomplete, store it."""
        view = self._quote(db, checkout, now)
        status = next_status(checkout.status, revise_event(view.quote.ready))
        checkout = replace(checkout, status=status, updated_at=now, shown_total=view.quote.total)
        save_session(db, checkout)
        return replace(view, session=checkout)

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
            checkout = self._fresh(db, session_id, platform_id, now)
            return self._quote(db, checkout, now)

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
            return self._revised(db, checkout, now)

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
            checkout = self._fresh(db, session_id, platform_id, now)
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
            return self._revised(db, checkout, now)

    def cancel(
        self, session_id: str, *, platform_id: str, intent_trace: Any = None
    ) -> CheckoutView:
        """Cancel an open session; ``intent_trace`` (why the buyer left) is kept with it."""
        now = self._market.clock.now().replace(microsecond=0)
        with self._market.db.transaction() as db:
            checkout = self._fresh(db, session_id, platform_id, now)
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
            return self._quote(db, checkout, now)

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
                self._fresh(db, session_id, None, now)
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
        """Pay for the session (see module doc); ``CheckoutRefused`` when it cannot be."""
        now = self._market.clock.now().replace(microsecond=0)
        with self._market.db.transaction() as db:
            checkout = self._fresh(db, session_id, platform_id, now)
            if checkout.status is CheckoutStatus.COMPLETED:
                return self._quote(db, checkout, now)  # completed before: nothing to do again
            refusal, checkout, view = self._prepare(db, checkout, now, buyer)
        if refusal is not None:
            raise refusal
        if checkout.status is CheckoutStatus.READY:
            assert view is not None
            # The ACT checks ask the status service over HTTP: never inside a transaction (on
            # SQLite the open write transaction would block the status service's own, the
            # fetch would time out and the checker fall back to its cached, pre-revocation
            # answer).
            act = self._check_act(checkout, view.quote, agent_id, now)
            with self._market.db.transaction() as db:
                current = self._fresh(db, session_id, platform_id, now)
                if current != checkout:
                    raise CheckoutRefused(
                        CommerceProblem.CHECKOUT_NOT_READY,
                        "the session changed while it was being checked; complete again",
                    )
                checkout = self._begin(db, current, act, now)
        if checkout.out_trade_no is None:
            checkout = self._confirm(checkout, now)
        return self._pay(checkout, payment_token)

    def _prepare(
        self, db: Session, checkout: CheckoutSession, now: datetime, buyer: Buyer | None
    ) -> tuple[CheckoutRefused | None, CheckoutSession, CheckoutView | None]:
        """Re-price a session about to be paid; a refusal when it is not ready."""
        if checkout.status is CheckoutStatus.COMPLETING:
            return None, checkout, None  # a completion was interrupted: resume it
        if checkout.status is not CheckoutStatus.READY:
            if checkout.status is CheckoutStatus.INCOMPLETE:
                return (
                    CheckoutRefused(
                        CommerceProblem.CHECKOUT_NOT_READY, "the session is not ready for payment"
                    ),
                    checkout,
                    None,
                )
            next_status(checkout.status, CheckoutEvent.BEGIN_PAYMENT)  # raises
        checkout = replace(checkout, buyer=buyer or checkout.buyer)
        view = self._revised(db, checkout, now)
        checkout = view.session
        if checkout.status is not CheckoutStatus.READY:
            return (
                CheckoutRefused(
                    CommerceProblem.CHECKOUT_NOT_READY, "the session is not ready for payment"
                ),
                checkout,
                view,
            )
        return None, checkout, view

    def _check_act(
        self, checkout: CheckoutSession, quote: CheckoutQuote, agent_id: str | None, now: datetime
    ) -> ActCheck | None:
        if checkout.iac is None:
            return None
        if self._act is None:
            raise CheckoutRefused(
                CommerceProblem.IAC_REFUSED,
                "this merchant cannot check intent credentials",
                status=503,
                reason="status-unavailable",
            )
        return self._act.check(
            checkout.iac,
            quote,
            merchant_id=checkout.merchant_id,
            agent_id=agent_id,
            payment_method=self._method,
            now=now,
        )

    def _begin(
        self, db: Session, checkout: CheckoutSession, act: ActCheck | None, now: datetime
    ) -> CheckoutSession:
        extras = dict(checkout.extras)
        if act is not None:
            extras["act"] = {"credential_status": act.status.token}
        checkout = replace(
            checkout,
            status=next_status(checkout.status, CheckoutEvent.BEGIN_PAYMENT),
            extras=extras,
            updated_at=now,
        )
        save_session(db, checkout)
        return checkout

    def _act_ids(self, checkout: CheckoutSession) -> tuple[str, str, str]:
        if checkout.iac is None:
            return checkout.session_id, NO_DELEGATION, checkout.platform_id
        payload = peek_payload(checkout.iac)  # verified in _begin
        return str(payload["intent_id"]), str(payload["delegation_id"]), str(payload["agent_id"])

    def _confirm(self, checkout: CheckoutSession, now: datetime) -> CheckoutSession:
        with self._market.db.transaction() as db:
            view = self._quote(db, checkout, now)
        intent_id, delegation_id, agent_id = self._act_ids(checkout)
        request = {
            "merchant_id": checkout.merchant_id,
            "items": [
                {
                    "product_id": line.product.product_id,
                    "quantity": line.quantity,
                    "expected_unit_price": line.product.price.to_json(),
                }
                for line in view.quote.lines
            ],
            "coupon_ids": list(view.quote.coupon_ids),
            "intent_id": intent_id,
            "delegation_id": delegation_id,
            "agent_id": agent_id,
            "payment_method": self._method,
        }
        try:
            confirmed = self._confirmation.confirm_cart(
                request, record_event=checkout.iac is not None
            )
        except CommerceError as e:
            stock = e.problem.code == CommerceProblem.OUT_OF_STOCK
            self._fail(
                checkout.session_id,
                None,
                NoticeKind.OUT_OF_STOCK if stock else NoticeKind.PRICE_CHANGED,
            )
            raise CheckoutRefused(
                CommerceProblem(e.problem.code), e.problem.detail, status=e.problem.status
            ) from e
        total = Money.from_json(confirmed.payload["total"])
        if total != checkout.shown_total:
            self._orders.cancel(confirmed.out_trade_no)
            self._fail(checkout.session_id, None, NoticeKind.PRICE_CHANGED)
            raise CheckoutRefused(CommerceProblem.CHECKOUT_PRICE_CHANGED, "the total changed")
        with self._market.db.transaction() as db:
            current = lock_session(db, checkout.session_id, platform_id=None)
            if current.out_trade_no is not None:  # a concurrent completion got there first
                winner = current
            else:
                act = dict(current.extras.get("act", {}))
                if checkout.iac is not None:
                    act.update(cart=confirmed.cart_jws, cart_digest=confirmed.cart_digest)
                winner = replace(
                    current,
                    out_trade_no=confirmed.out_trade_no,
                    extras={**current.extras, **({"act": act} if act else {})},
                )
                save_session(db, winner)
        if winner.out_trade_no != confirmed.out_trade_no:
            self._orders.cancel(confirmed.out_trade_no)
        return winner

    def _pay(self, checkout: CheckoutSession, payment_token: str) -> CheckoutView:
        assert checkout.out_trade_no is not None
        assert checkout.shown_total is not None
        act = checkout.extras.get("act", {})
        result = self._gateway.charge(
            ChargeRequest(
                token=payment_token,
                merchant_id=checkout.merchant_id,
                checkout_session_id=checkout.session_id,
                out_trade_no=checkout.out_trade_no,
                amount=checkout.shown_total,
                idempotency_key=f"checkout:{checkout.session_id}:{checkout.out_trade_no}",
                cart=act.get("cart"),
                iac=checkout.iac,
            )
        )
        if not result.approved:
            self._orders.cancel(checkout.out_trade_no)
            self._fail(checkout.session_id, checkout.out_trade_no, NoticeKind.PAYMENT_DECLINED)
            raise CheckoutRefused(
                CommerceProblem.PAYMENT_DECLINED,
                result.message,
                status=402,
                reason=result.decline_code,
            )
        assert result.trade_no is not None
        now = self._market.clock.now()
        order = self._orders.mark_paid(
            checkout.out_trade_no, result.trade_no, checkout.shown_total, now
        )
        with self._market.db.transaction() as db:
            current = lock_session(db, checkout.session_id, platform_id=None)
            if current.status is CheckoutStatus.COMPLETING:
                act = dict(current.extras.get("act", {}))
                if current.iac is not None:
                    act.update(receipt=result.receipt)
                    if result.credential_status:
                        act["credential_status"] = result.credential_status
                current = replace(
                    current,
                    status=next_status(current.status, CheckoutEvent.PAYMENT_SUCCEEDED),
                    trade_no=result.trade_no,
                    extras={**current.extras, **({"act": act} if act else {})},
                    updated_at=now.replace(microsecond=0),
                )
                save_session(db, current)
                for observer in self._observers:
                    observer.order_event(db, current, order, "created", now)
            return self._quote(db, current, now)

    def _fail(self, session_id: str, out_trade_no: str | None, notice: NoticeKind) -> None:
        """Back to ready (the completion did not happen), with a notice saying why."""
        with self._market.db.transaction() as db:
            current = lock_session(db, session_id, platform_id=None)
            if current.status is not CheckoutStatus.COMPLETING:
                return
            if out_trade_no is not None and current.out_trade_no != out_trade_no:
                return
            save_session(
                db,
                replace(
                    current,
                    status=next_status(current.status, CheckoutEvent.PAYMENT_FAILED),
                    out_trade_no=None,
                    notices=(notice,),
                    extras={k: v for k, v in current.extras.items() if k != "act"},
                ),
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
            return self._quote(db, checkout, now)
