"""The composition root: every role of one trustcart installation, wired together.

Roles and who signs what:

    status   the status service (ADD-IAC-LCM): signs credential status
    trust    the transparency log (TSD-ATT): signs tree heads
    merchant the marketplace (CID-*): each merchant signs its own carts
    psp      the payment provider (PSD-*): signs receipts and payment notices
    agent    the buyer agent: signs its HTTP requests (RFC 9421) and its events
    alice    the person: signs IACs, approvals, bindings and lifecycle requests in her wallet

Each role gets its own FastAPI app; ``servers.Servers`` runs them as real uvicorn servers on
loopback (``trustcart demo`` on free ports, ``trustcart serve`` on fixed ones). Services that report
events use the log in this process (``LocalRecorder``); the agent and the wallet reach
everything over HTTP only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from trustcart.api.agent_auth import AgentRequestSigner, RequestVerifier
from trustcart.api.delegation import create_delegation_app
from trustcart.api.merchant import create_merchant_app
from trustcart.api.psp import create_psp_app
from trustcart.api.trust import create_trust_app
from trustcart.commerce.catalog_search import (
    IndexedCatalogSearch,
    ensure_indexed,
    open_embedded_index,
)
from trustcart.commerce.service import MerchantService
from trustcart.core.clock import Clock, SystemClock
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.service import DelegationService
from trustcart.delegation.status import HttpStatusChecker
from trustcart.local import persona
from trustcart.local.keystore import KeyStore
from trustcart.local.servers import Endpoints
from trustcart.payments.notices import HttpMerchantNotifier
from trustcart.payments.provider import PaymentProvider
from trustcart.store.commerce import MerchantRow
from trustcart.store.db import Database
from trustcart.store.nonces import SqlNonceCache
from trustcart.trust.admission import RecordAdmission
from trustcart.trust.attestations import AttestationService
from trustcart.trust.directory import InMemoryKeyDirectory, usable_key
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.local_recorder import LocalRecorder
from trustcart.trust.log import TransparencyLog

AGENT_ID = "agent:trustcart-assistant"
PSP_ID = "psp:trustcart"
STATUS_ID = "status:trustcart"
LOG_ID = "log:trustcart"


@dataclass
class Deployment:
    db: Database
    clock: Clock
    keys: KeyStore
    endpoints: Endpoints
    directory: InMemoryKeyDirectory
    status: DelegationService
    log: TransparencyLog
    attestations: AttestationService
    merchants: MerchantService
    psp: PaymentProvider
    merchant_keys: dict[str, SigningKey]
    apps: dict[str, FastAPI] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def close(self) -> None:
        for client in self.clients:
            client.close()

    @property
    def agent_key(self) -> SigningKey:
        return self.keys.get("agent")

    def agent_client(self, base_url: str) -> httpx.Client:
        """An HTTP client whose every request the agent signs (RFC 9421)."""
        return httpx.Client(
            base_url=base_url,
            timeout=10.0,
            auth=AgentRequestSigner(
                self.agent_key,
                clock=self.clock,
                signature_agent=f"{self.endpoints.trust}/agents/jwks.json",
            ),
        )


def build(db: Database, home: Path, endpoints: Endpoints, clock: Clock | None = None) -> Deployment:
    """Construct every role against ``db``; keys live in ``home/keys.json``."""
    clock = clock or SystemClock()
    keys = KeyStore(home / "keys.json")
    directory = InMemoryKeyDirectory()
    log = TransparencyLog(db, keys.get("log"), LOG_ID, clock)
    # Every record, from this process or over HTTP, passes the log's admission rule.
    attestations = AttestationService(log, clock, admission=RecordAdmission(directory))
    recorder = LocalRecorder(attestations)
    with db.transaction() as session:
        merchant_ids = list(session.scalars(select(MerchantRow.merchant_id)).all())
    merchant_keys = {mid: keys.get(f"merchant:{mid}") for mid in sorted(merchant_ids)}
    for name, party, role in (
        ("agent", AGENT_ID, "agent"),
        ("psp", PSP_ID, "psp"),
        ("status", STATUS_ID, "status"),
        ("log", LOG_ID, "log"),
        (persona.KEY_NAME, persona.IDENTITY, "delegator"),
    ):
        directory.register(keys.get(name).public, party_id=party, role=role)
    for mid, key in merchant_keys.items():
        directory.register(key.public, party_id=mid, role="merchant")

    status_key = keys.get("status")

    def lifecycle_event(event_type: str, chain: dict[str, str], body: dict[str, Any]) -> None:
        recorder(
            EventType(event_type),
            Chain(**chain),
            [Participant("status", STATUS_ID, status_key.kid)],
            body,
            status_key,
        )

    def delegator_key(identity: str, kid: str, now: datetime) -> PublicKey | None:
        # The key directory is the authority on which keys speak for a person.
        entry = usable_key(directory, kid, now, roles=("delegator",))
        return entry.public_key if entry is not None and entry.party_id == identity else None

    status = DelegationService(
        db,
        status_key=status_key,
        clock=clock,
        delegator_keys=delegator_key,
        agent_keys=lambda agent_id: (
            {keys.get("agent").kid: keys.get("agent").public} if agent_id == AGENT_ID else {}
        ),
        events=lifecycle_event,
    )
    # The embedded search index lives beside the keys; built from the catalog on first use.
    catalog_index = open_embedded_index(home)
    ensure_indexed(db, catalog_index)
    merchants = MerchantService(
        db,
        merchant_keys,
        clock,
        psp_endpoint=f"{endpoints.psp}/payments",
        psp_id=PSP_ID,
        events=recorder,
        search=IndexedCatalogSearch(db, catalog_index),
    )
    status_client, notice_client = httpx.Client(timeout=5.0), httpx.Client(timeout=5.0)

    def status_signer(kid: str) -> PublicKey | None:
        # Asked of the directory at each check, so revoking the status key takes effect.
        entry = usable_key(directory, kid, clock.now(), roles=("status",))
        return entry.public_key if entry is not None else None

    status_checker = HttpStatusChecker(
        status_client,
        status_signer,
        allowed_prefixes=(f"{endpoints.status}/delegations/",),
        clock=clock,
    )
    notifier = HttpMerchantNotifier(
        notice_client,
        lambda merchant_id: f"{endpoints.merchant}/payment-notifications",
        AgentRequestSigner(keys.get("psp"), clock=clock),
    )
    psp = PaymentProvider(
        db,
        psp_id=PSP_ID,
        signing_key=keys.get("psp"),
        directory=directory,
        status_checker=status_checker,
        notifier=notifier,
        clock=clock,
        events=recorder,
    )
    deployment = Deployment(
        db=db,
        clock=clock,
        keys=keys,
        endpoints=endpoints,
        directory=directory,
        status=status,
        log=log,
        attestations=attestations,
        merchants=merchants,
        psp=psp,
        merchant_keys=merchant_keys,
        clients=[status_client, notice_client],
    )
    nonces = SqlNonceCache(db)
    deployment.apps = {
        "status": create_delegation_app(status),
        "trust": create_trust_app(attestations, directory, clock),
        "merchant": create_merchant_app(
            merchants, RequestVerifier(directory, nonces, clock, allowed_roles=("agent", "psp"))
        ),
        "psp": create_psp_app(
            psp, RequestVerifier(directory, nonces, clock, allowed_roles=("agent", "merchant"))
        ),
    }
    return deployment
