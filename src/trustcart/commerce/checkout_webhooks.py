"""Order webhooks staged with the order change they report: the part every protocol shares.

Strategy: a protocol's webhooks (``acp.webhooks``, ``ucp.webhooks``) are an ``OrderWebhooks``
that renders its own body. It is told of order changes twice, always inside the transaction
that makes the change, and stages the event there (``delivery.webhooks.stage_webhook``):

* as a ``CheckoutService`` observer, when a session is completed (``created``: the order is
  paid) or fulfilled through the checkout (``updated``);
* as a ``Marketplace`` order hook, when the order lifecycle fulfils an order whatever asked
  for it (the merchant API, the console, ``CheckoutService.fulfil``): it finds the completed
  session of this protocol that made the order, if any (``updated``).

Rules kept: an order of another protocol, or of no checkout session (an ACT cart), stages
nothing; the event id is derived from (protocol, session, order status), so being told of one
change twice (both paths above for one fulfilment) stages one event; the body is the full
order as the protocol's ``GET`` shows it, never a delta.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.commerce.checkout import CheckoutSession, CheckoutStatus
from trustcart.commerce.checkout_store import lock_session
from trustcart.commerce.checkout_view import CheckoutView, quote_view
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import Order
from trustcart.delivery.webhooks import (
    WebhookEnvelope,
    WebhookProtocol,
    event_id,
    stage_webhook,
)
from trustcart.store.checkout import CheckoutSessionRow

CREATED = "created"
UPDATED = "updated"


def compact_json(body: Any) -> str:
    """The JSON text a webhook sends (compact, UTF-8, keys in the renderer's order).

    >>> compact_json({"type": "order", "id": "ord_1"})
    '{"type":"order","id":"ord_1"}'
    """
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class OrderWebhooks:
    """Stages one protocol's order events (module doc); subclasses render the event."""

    protocol: WebhookProtocol

    def __init__(self, market: Marketplace) -> None:
        self._market = market

    def install(self) -> None:
        """Be told of every order change the marketplace's lifecycle makes."""
        self._market.order_hooks.append(self.order_changed)

    # -- CheckoutService observer (checkout_view.OrderObserver) ---------------------------------

    def order_event(
        self, db: Session, checkout: CheckoutSession, order: Order, kind: str, now: datetime
    ) -> None:
        """Stage the event of ``order`` (``created`` or ``updated``) in ``db``'s transaction."""
        if checkout.protocol != self.protocol.value:
            return
        view = replace(quote_view(self._market, db, checkout, now), order=order)
        envelope = self.envelope(db, view, order, kind, now)
        if envelope is not None:
            stage_webhook(db, envelope, sender=checkout.merchant_id, subject=order.out_trade_no)

    # -- Marketplace order hook -----------------------------------------------------------------

    def order_changed(self, db: Session, order: Order, now: datetime) -> None:
        """The lifecycle changed ``order``: report it if a session of this protocol made it."""
        session_id = db.scalars(
            select(CheckoutSessionRow.session_id).where(
                CheckoutSessionRow.out_trade_no == order.out_trade_no,
                CheckoutSessionRow.protocol == self.protocol.value,
                CheckoutSessionRow.status == str(CheckoutStatus.COMPLETED),
            )
        ).first()
        if session_id is None:
            return
        checkout = lock_session(db, session_id, platform_id=None)
        self.order_event(db, checkout, order, UPDATED, now)

    # -- what a protocol decides ----------------------------------------------------------------

    def envelope(
        self, db: Session, view: CheckoutView, order: Order, kind: str, now: datetime
    ) -> WebhookEnvelope | None:
        """The event to stage, or None when this platform takes no webhooks."""
        raise NotImplementedError

    def new_envelope(  # noqa: PLR0917 - the envelope's fields, named as it names them
        self,
        view: CheckoutView,
        order: Order,
        receiver: str,
        signer: str,
        event_type: str,
        body: Any,
        now: datetime,
    ) -> WebhookEnvelope:
        """An envelope whose id is this protocol's, for this session and order status."""
        return WebhookEnvelope(
            protocol=self.protocol,
            event_id=event_id(self.protocol, view.session.session_id, str(order.status)),
            receiver=receiver,
            signer=signer,
            event_type=event_type,
            occurred_at=now,
            body=compact_json(body),
        )
