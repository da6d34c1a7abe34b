"""``Marketplace``: what every merchant unit of work shares, the store, keys, clock and events.

The marketplace hosts several merchants over one database, each with its own signing key. The
units of work (``intent_query``, ``cart_confirmation``, ``order_lifecycle`` and the service that
composes them) each take one ``Marketplace`` instead of repeating these arguments, and look up a
merchant and record a merchant-signed event the same way: an unknown merchant is ``NotFound``
(``unknown-merchant``), and an event is recorded only when there is a recorder and the merchant
has a key, signed by that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from trustcart.commerce.catalog import Merchant
from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.repository import load_merchant
from trustcart.core.clock import Clock
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.recorder import EventRecorder


@dataclass(frozen=True, eq=False)
class Marketplace:
    """The store, the merchants' signing keys (merchant_id -> key), the clock and the recorder."""

    db: Database
    keys: dict[str, SigningKey]  # grows when a merchant is onboarded while running
    clock: Clock
    events: EventRecorder | None = None

    def merchant(self, session: Session, merchant_id: str) -> Merchant:
        """The merchant, loaded in ``session``; ``NotFound`` (``unknown-merchant``) if none."""
        merchant = load_merchant(session, merchant_id)
        if merchant is None:
            raise NotFound(CommerceProblem.UNKNOWN_MERCHANT, f"no merchant {merchant_id}")
        return merchant

    def add_key(self, merchant_id: str, key: SigningKey) -> None:
        """Sign carts for a merchant onboarded while running."""
        self.keys[merchant_id] = key

    def record(self, kind: EventType, merchant_id: str, chain: Chain, body: dict[str, Any]) -> None:
        """Record an attestation event signed by the merchant's key (skipped without either)."""
        key = self.keys.get(merchant_id)
        if self.events is None or key is None:
            return
        self.events(kind, chain, [Participant("merchant", merchant_id, key.kid)], body, key)
