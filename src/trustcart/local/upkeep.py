"""The installation's upkeep: the outbox relay, and the expiry of stock holds and credentials.

Three jobs keep an installation honest after its requests are answered:

* **relay**: deliver what the outbox owes (records to the log, notices to merchants, order
  webhooks to agent platforms), with
  retries and backoff (``trustcart.delivery``);
* **hold expiry**: orders confirmed but unpaid when their price lock ends give their stock back
  (``MerchantService.expire_due``), so an agent cannot hoard stock with carts it never pays;
* **credential expiry**: credentials past their validity end move to Expired and report it
  (``DelegationService.expire_due``; a read would expire them too, the sweep does not wait).

``Upkeep.scheduler`` runs them in the service process (``trustcart serve``, ``demo``,
``chat``); ``run_once`` is one pass for cron (``trustcart maintenance``; ``trustcart relay
--once`` runs the relay alone). ``build_upkeep`` makes them for a store without starting any
server: the records go to the log in the store itself (or ``log_url``), the notices to the
merchant service at ``merchant_url``, the order webhooks to the agent platforms (signed as the
UCP business at ``ucp_url``, by default where ``serve`` puts it; ``local.webhooks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_lifecycle import OrderLifecycle
from trustcart.core.clock import Clock, SystemClock
from trustcart.delegation.service import DelegationService
from trustcart.delivery.messages import MessageKind
from trustcart.delivery.relay import OutboxRelay, RelayReport
from trustcart.delivery.transports import HttpLogTransport, LocalLogTransport, Transport
from trustcart.local import parties
from trustcart.local.keystore import KeyStore
from trustcart.local.scheduler import Job, Scheduler
from trustcart.local.ucp import BUSINESS_KEY as UCP_BUSINESS_KEY
from trustcart.local.webhooks import webhook_transport
from trustcart.payments.notices import NoticeTransport
from trustcart.store.db import Database
from trustcart.trust.admission import RecordAdmission
from trustcart.trust.attestations import AttestationService
from trustcart.trust.log import TransparencyLog

RELAY_EVERY = 0.5  # seconds between relay passes in the service process
EXPIRY_EVERY = 5.0  # seconds between expiry sweeps
ANCHOR_EVERY = 5.0  # seconds between anchors of the log's newest tree head into the witness


@dataclass(frozen=True)
class UpkeepReport:
    """One pass: what the relay did, which orders and credentials expired."""

    relay: RelayReport
    expired_orders: list[str]
    expired_credentials: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "relay": self.relay.to_json(),
            "expired_orders": self.expired_orders,
            "expired_credentials": self.expired_credentials,
        }


class Upkeep:
    """The relay and the two expiry sweeps of one installation."""

    def __init__(
        self,
        relay: OutboxRelay,
        *,
        expire_holds: Callable[[], list[str]],
        expire_credentials: Callable[[], list[str]],
    ) -> None:
        self.relay = relay
        # The log's anchoring into the witness (local.witness sets it), run as its own job.
        self.anchor: Callable[[], object] | None = None
        self._expire_holds = expire_holds
        self._expire_credentials = expire_credentials

    def expire(self) -> tuple[list[str], list[str]]:
        """Release the stock of lapsed holds; expire credentials past their end."""
        return self._expire_holds(), self._expire_credentials()

    def run_once(self) -> UpkeepReport:
        """Expire first (that stages lifecycle events), then deliver everything due."""
        orders, credentials = self.expire()
        return UpkeepReport(self.relay.run_once(), orders, credentials)

    def jobs(
        self, *, relay_every: float = RELAY_EVERY, expiry_every: float = EXPIRY_EVERY
    ) -> list[Job]:
        jobs = [
            Job("expiry", expiry_every, self.expire),
            Job("relay", relay_every, self.relay.run_once),
        ]
        if self.anchor is not None:
            jobs.append(Job("anchor", ANCHOR_EVERY, self.anchor))
        return jobs

    def scheduler(self, **periods: float) -> Scheduler:
        """A scheduler for these jobs (not started)."""
        return Scheduler(self.jobs(**periods))


@contextmanager
def build_upkeep(
    db: Database,
    home: Path,
    *,
    merchant_url: str,
    log_url: str | None = None,
    ucp_url: str | None = None,
    clock: Clock | None = None,
) -> Iterator[Upkeep]:
    """The upkeep of the installation in ``home`` over ``db``, with its HTTP clients open."""
    clock = clock or SystemClock()
    keys = KeyStore(home / "keys.json")
    merchants = parties.merchant_keys(db, keys)
    directory = parties.key_directory(keys, merchants)
    clients: list[httpx.Client] = []
    try:
        records: Transport
        if log_url is None:
            log = TransparencyLog(db, keys.get("log"), parties.LOG_ID, clock)
            attestations = AttestationService(log, clock, admission=RecordAdmission(directory))
            records = LocalLogTransport(attestations, parties.key_resolver(directory, clock))
        else:
            clients.append(httpx.Client(base_url=log_url, timeout=10.0))
            records = HttpLogTransport(clients[-1])
        clients.append(httpx.Client(timeout=10.0))
        notifier = parties.merchant_notifier(clients[-1], merchant_url, keys, clock)
        webhooks, webhook_clients = webhook_transport(
            db, clock, keys.get(UCP_BUSINESS_KEY, "ES256"), ucp_url=ucp_url
        )
        clients += webhook_clients
        relay = OutboxRelay(
            db,
            clock,
            {
                MessageKind.RECORD: records,
                MessageKind.NOTICE: NoticeTransport(notifier),
                MessageKind.WEBHOOK: webhooks,
            },
        )
        market = Marketplace(db, merchants, clock)  # the sweep reports nothing to the log
        status = DelegationService(
            db,
            status_key=keys.get("status"),
            clock=clock,
            staged_events=parties.status_events(keys),
            # The sweep only expires credentials; it registers none, so no key speaks for
            # anyone here (a registration through this service would be refused).
            delegator_keys=lambda identity, kid, now: None,
        )
        yield Upkeep(
            relay,
            expire_holds=OrderLifecycle(market).expire_due,
            expire_credentials=status.expire_due,
        )
    finally:
        for client in clients:
            client.close()
