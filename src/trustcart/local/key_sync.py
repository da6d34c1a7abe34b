"""Keys registered while serving, followed by the worker processes of ``serve --workers N``.

A worker builds its key directory and its merchants' signing keys once, at start, from
``keys.json`` and the store. The parent keeps registering keys while it serves: a merchant
onboarded in the console (its key written to ``keys.json``, the merchant to the store), a browser
shopper's wallet key (an account at the PSP, in the store). ``KeyFollower`` brings those into a
worker: every ``every`` seconds it reads the store's merchants and accounts and registers what
it does not know yet, the same way the parent did.

Rules, all failing closed:

* the store and ``keys.json`` are the only sources, both written by the parent; the follower
  never generates a key (a merchant whose key is not in ``keys.json`` yet is tried again next
  time: the parent commits the merchant a moment before it saves the key);
* a merchant key is bound to its merchant in the role ``merchant``; an account's key to the
  account's identity in the role ``delegator`` (the PSP bound it when it opened the account);
* a kid the directory already gives to another party or role, or a revoked one, is not
  registered (``InMemoryKeyDirectory.register`` refuses it) and is skipped, logged once;
* until a key is followed the worker refuses it as unknown, as before: the delay is at most
  ``every`` seconds plus one read.

Accounts are read incrementally (those created since the newest one seen, with a second of
overlap for clocks that tie), so a tick costs two small indexed reads however many wallets exist.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from trustcart.core.errors import ValidationError
from trustcart.crypto.keys import PublicKey
from trustcart.local.keystore import KeyStore
from trustcart.store.commerce import MerchantRow
from trustcart.store.payments import PspAccount

if TYPE_CHECKING:
    from trustcart.local.deployment import Deployment

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0
_OVERLAP = timedelta(seconds=1)


@dataclass
class SyncResult:
    """The kids a tick registered, by kind; what it skipped, with the reason."""

    merchants: list[str] = field(default_factory=list)
    delegators: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


class KeyFollower:
    """Registers into ``deployment`` the keys the parent registered after it was built."""

    def __init__(self, deployment: Deployment, home: Path, *, every: float = EVERY_SECONDS):
        self._deployment = deployment
        self._keys_path = home / "keys.json"
        self._every = every
        self._accounts_since: datetime | None = None
        self._skipped: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sync(self) -> SyncResult:
        """One tick: register every merchant and account key the directory does not know."""
        result = SyncResult()
        self._follow_merchants(result)
        self._follow_accounts(result)
        return result

    def _follow_merchants(self, result: SyncResult) -> None:
        d = self._deployment
        with d.db.transaction() as session:
            merchant_ids = set(session.scalars(select(MerchantRow.merchant_id)).all())
        missing = sorted(merchant_ids - set(d.merchant_keys))
        if not missing:
            return
        stored = KeyStore(self._keys_path)  # read afresh: the parent may have saved since
        for merchant_id in missing:
            name = f"merchant:{merchant_id}"
            if stored.kid_of(name) is None:
                continue  # not saved yet; never generated here
            key = stored.get(name)
            if self._register(key.public, merchant_id, "merchant", result):
                d.merchants.add_merchant_key(merchant_id, key)
                d.merchant_keys[merchant_id] = key
                result.merchants.append(key.kid)

    def _follow_accounts(self, result: SyncResult) -> None:
        statement = select(
            PspAccount.kid,
            PspAccount.delegator_identity,
            PspAccount.public_jwk,
            PspAccount.created_at,
        )
        if self._accounts_since is not None:
            statement = statement.where(PspAccount.created_at >= self._accounts_since - _OVERLAP)
        with self._deployment.db.transaction() as session:
            rows = session.execute(statement).all()
        directory = self._deployment.directory
        for kid, identity, public_jwk, created_at in rows:
            if self._accounts_since is None or created_at > self._accounts_since:
                self._accounts_since = created_at
            if directory.resolve(kid) is not None or kid in self._skipped:
                continue
            key = PublicKey.from_jwk(_json(public_jwk))
            if self._register(key, identity, "delegator", result):
                result.delegators.append(kid)

    def _register(self, key: PublicKey, party_id: str, role: str, result: SyncResult) -> bool:
        try:
            self._deployment.directory.register(key, party_id=party_id, role=role)
        except ValidationError as e:
            result.skipped[key.kid] = str(e)
            if key.kid not in self._skipped:
                self._skipped.add(key.kid)
                log.warning("key %s not followed: %s", key.kid, e)
            return False
        return True

    # -- the background thread ----------------------------------------------------------------

    def start(self) -> KeyFollower:
        """Follow on a daemon thread until ``stop`` (a worker process simply exits)."""
        self._thread = threading.Thread(target=self._run, name="key-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.sync()
            except Exception:  # a store hiccup: the next tick tries again
                log.exception("following registered keys failed")


def _json(text: str) -> dict[str, object]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValidationError("an account's public_jwk is not a JSON object")
    return value
