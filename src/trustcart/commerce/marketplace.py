"""``Marketplace``: what every merchant unit of work shares, the store, keys, clock and events.

The marketplace hosts several merchants over one database, each with its own signing key. The
units of work (``intent_query``, ``cart_confirmation``, ``order_lifecycle`` and the service that
composes them) each take one ``Marketplace`` instead of repeating these arguments, and look up a
merchant and report a merchant-signed event the same way: an unknown merchant is ``NotFound``
(``unknown-merchant``), and an event is reported only when there is a relay to the log and the
merchant has a key. The event is built and signed by that key and staged in the outbox inside
the unit of work's own transaction (``stage_event``), so it commits with the order change it
reports; after the commit ``deliver`` tries it at once, and the relay retries what fails.
``order_hooks`` are told of an order change inside the transaction that makes it
(``order_changed``), so what they stage (the protocols' webhooks) commits with it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from trustcart.commerce.catalog import Merchant
from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.repository import load_merchant
from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes
from trustcart.crypto.keys import SigningKey
from trustcart.delivery.relay import FIRST_TRY_GRACE, OutboxRelay
from trustcart.delivery.staging import stage_record
from trustcart.store.db import Database
from trustcart.trust.events import Chain, EventType, Participant

if TYPE_CHECKING:
    from trustcart.commerce.order_book import Order

_logger = logging.getLogger(__name__)
# Told of an order change in the transaction that makes it: (session, order after, now).
OrderHook = Callable[[Session, "Order", datetime], None]


@dataclass(frozen=True, eq=False)
class Marketplace:
    """The store, the merchants' keys (merchant_id -> key), the clock and the relay to the log."""

    db: Database
    keys: dict[str, SigningKey]  # grows when a merchant is onboarded while running
    clock: Clock
    relay: OutboxRelay | None = None
    random: RandomBytes = secrets.token_bytes
    order_hooks: list[OrderHook] = field(default_factory=list)

    def order_changed(self, session: Session, order: Order, now: datetime) -> None:
        """Tell every hook of ``order``'s change, in the caller's transaction."""
        for hook in self.order_hooks:
            hook(session, order, now)

    def merchant(self, session: Session, merchant_id: str) -> Merchant:
        """The merchant, loaded in ``session``; ``NotFound`` (``unknown-merchant``) if none."""
        merchant = load_merchant(session, merchant_id)
        if merchant is None:
            raise NotFound(CommerceProblem.UNKNOWN_MERCHANT, f"no merchant {merchant_id}")
        return merchant

    def add_key(self, merchant_id: str, key: SigningKey) -> None:
        """Sign carts for a merchant onboarded while running."""
        self.keys[merchant_id] = key

    def stage_event(
        self,
        session: Session,
        kind: EventType,
        *,
        merchant_id: str,
        chain: Chain,
        body: dict[str, Any],
        now: datetime,
    ) -> list[str]:
        """Stage an event signed by the merchant's key in ``session``; the ids owed (none
        without a relay or a key)."""
        key = self.keys.get(merchant_id)
        if self.relay is None or key is None:
            return []
        record_id = stage_record(
            session,
            sender=merchant_id,
            event_type=kind,
            chain=chain,
            participants=[Participant("merchant", merchant_id, key.kid)],
            body=body,
            key=key,
            now=now,
            random_bytes=self.random,
            subject=chain.out_trade_no,
            first_try=now + FIRST_TRY_GRACE,
        )
        return [record_id]

    def deliver(self, owed: Sequence[str]) -> None:
        """The first try of what a committed unit of work owes; never raises (the relay
        retries what fails)."""
        if self.relay is None or not owed:
            return
        try:
            self.relay.deliver(owed)
        except Exception:  # the order change stands and its events stay owed
            _logger.exception("first delivery of %s failed; the relay will retry", owed)
