"""Completing a checkout session: the payment step of ``CheckoutService.complete``.

Strategy: completion is a short sequence with a recovery point after each step, so a crash or a
lost answer is resumed by the next ``complete`` rather than repeated:

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

Rules kept: a session bound to an IAC is never paid without its ACT checks (no gate: refused);
a total different from the one shown is refused and its order cancelled; of two concurrent
completions only the first order is kept, the other is cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from trustcart.commerce.cart_confirmation import CartConfirmation
from trustcart.commerce.checkout import (
    Buyer,
    CheckoutEvent,
    CheckoutSession,
    CheckoutStatus,
    NoticeKind,
    next_status,
)
from trustcart.commerce.checkout_act import ActCheck, ActGate
from trustcart.commerce.checkout_payment import ChargeRequest, PaymentGateway
from trustcart.commerce.checkout_quote import CheckoutQuote
from trustcart.commerce.checkout_store import lock_session, save_session
from trustcart.commerce.checkout_view import (
    CheckoutView,
    OrderObserver,
    fresh_session,
    quote_view,
    revised_view,
)
from trustcart.commerce.errors import CheckoutRefused, CommerceError, CommerceProblem
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_lifecycle import OrderLifecycle
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload

NO_DELEGATION = "none"  # the cart's delegation_id when no IAC was presented


class CheckoutCompletion:
    """The completion steps (module doc) over one marketplace, cart confirmation and gateway."""

    def __init__(
        self,
        market: Marketplace,
        confirmation: CartConfirmation,
        orders: OrderLifecycle,
        gateway: PaymentGateway,
        *,
        payment_method: str,
        act: ActGate | None,
        observers: Sequence[OrderObserver],
    ) -> None:
        self._market = market
        self._confirmation = confirmation
        self._orders = orders
        self._gateway = gateway
        self._method = payment_method
        self._act = act
        self._observers = tuple(observers)

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
            checkout = fresh_session(db, session_id, platform_id, now)
            if checkout.status is CheckoutStatus.COMPLETED:
                return quote_view(self._market, db, checkout, now)  # nothing to do again
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
                current = fresh_session(db, session_id, platform_id, now)
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
        view = revised_view(self._market, db, checkout, now)
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
            view = quote_view(self._market, db, checkout, now)
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
            return quote_view(self._market, db, current, now)

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
