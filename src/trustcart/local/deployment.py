"""The composition root: every role of one trustcart installation, wired together.

Roles and who signs what:

    status   the status service (ADD-IAC-LCM): signs credential status
    trust    the transparency log (TSD-ATT): signs tree heads
    merchant the marketplace (CID-*): each merchant signs its own carts
    psp      the payment provider (PSD-*): signs receipts and payment notices
    agent    the buyer agent: signs its HTTP requests (RFC 9421) and its events
    alice    the person: signs IACs, approvals, bindings and lifecycle requests in her wallet

Each role gets its own FastAPI app; ``servers.Servers`` runs them as real uvicorn servers on
loopback (``trustcart demo`` on free ports, ``trustcart serve`` on fixed ones). The agent and the
wallet reach everything over HTTP only. The status service, the merchants and the PSP stage the
events they report (and the PSP its merchant notices) in the outbox of their own transactions;
they, and the installation's ``upkeep`` relay, deliver them to the trust service over HTTP
(``delivery.HttpLogTransport``; ``in_process_log=True``: straight into the log in this process)
and to the merchant service's ``/payment-notifications``; the ACP and UCP order webhooks go to
the agent platforms (``local.webhooks``). ``Deployment.background()`` is the
scheduler that runs the relay and the hold and credential expiry beside the servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

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
from trustcart.delivery.messages import MessageKind
from trustcart.delivery.relay import OutboxRelay
from trustcart.delivery.transports import HttpLogTransport, LocalLogTransport, Transport
from trustcart.local import parties
from trustcart.local.acp import AcpParts, install_acp
from trustcart.local.disputes import dispute_service
from trustcart.local.keystore import KeyStore
from trustcart.local.paid_resources import mount_paid_resources
from trustcart.local.parties import AGENT_ID, LOG_ID, PSP_ID, STATUS_ID
from trustcart.local.scheduler import Scheduler
from trustcart.local.servers import Endpoints
from trustcart.local.status_route import STATUS_BASE, StatusRoute
from trustcart.local.ucp import BUSINESS_KEY as UCP_BUSINESS_KEY
from trustcart.local.ucp_platform import mount_platform_profile
from trustcart.local.ucp_platform_webhooks import InboxMemories
from trustcart.local.upkeep import Upkeep
from trustcart.local.webhooks import webhook_transport
from trustcart.local.witness import WitnessParts, install_witness
from trustcart.payments.notices import NoticeTransport
from trustcart.payments.provider import PaymentProvider
from trustcart.payments.risk.config import RiskConfig, load_risk_config
from trustcart.search.index import CatalogIndex
from trustcart.search.serialized import SerializedIndex
from trustcart.store.db import Database
from trustcart.store.nonces import SqlNonceCache
from trustcart.trust.admission import RecordAdmission
from trustcart.trust.attestations import AttestationService
from trustcart.trust.directory import InMemoryKeyDirectory, usable_key
from trustcart.trust.log import TransparencyLog

__all__ = ["AGENT_ID", "LOG_ID", "PSP_ID", "STATUS_ID", "Deployment", "build"]


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
    upkeep: Upkeep
    apps: dict[str, FastAPI] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)
    catalog_index: CatalogIndex | None = None  # imports update it (local.onboarding, web)
    acp: AcpParts | None = None  # ACP checkout and delegate payment (local.acp)
    witness: WitnessParts | None = None  # the witness and the log's anchorer (local.witness)
    ucp_inbox: InboxMemories | None = None  # whose records take UCP order webhooks

    def close(self) -> None:
        for client in self.clients:
            client.close()

    @property
    def relay(self) -> OutboxRelay:
        """The installation's outbox relay (what ``trustcart relay`` runs)."""
        return self.upkeep.relay

    def background(self, **periods: float) -> Scheduler:
        """The relay and the expiry sweeps on a background thread (start it, or use ``with``)."""
        return self.upkeep.scheduler(**periods)

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


def build(
    db: Database,
    home: Path,
    endpoints: Endpoints,
    clock: Clock | None = None,
    *,
    in_process_log: bool = False,
    risk: RiskConfig | None = None,
) -> Deployment:
    """Construct every role against ``db``; keys live in ``home/keys.json``.

    ``risk``: the payment provider's risk rules; by default ``home/risk.toml`` or the defaults.
    """
    clock = clock or SystemClock()
    if risk is None:
        risk = load_risk_config(home)  # first: a bad risk.toml stops the start before anything
    keys = KeyStore(home / "keys.json")
    merchant_keys = parties.merchant_keys(db, keys)
    directory: InMemoryKeyDirectory = parties.key_directory(keys, merchant_keys)
    log = TransparencyLog(db, keys.get("log"), LOG_ID, clock)
    # Every record, from this process or over HTTP, passes the log's admission rule.
    attestations = AttestationService(log, clock, admission=RecordAdmission(directory))
    log_client = httpx.Client(base_url=endpoints.trust, timeout=5.0)
    records: Transport = (
        LocalLogTransport(attestations, parties.key_resolver(directory, clock))
        if in_process_log
        else HttpLogTransport(log_client)
    )

    def delegator_key(identity: str, kid: str, now: datetime) -> PublicKey | None:
        # The key directory is the authority on which keys speak for a person.
        entry = usable_key(directory, kid, now, roles=("delegator",))
        return entry.public_key if entry is not None and entry.party_id == identity else None

    status = DelegationService(
        db,
        status_key=keys.get("status"),
        clock=clock,
        delegator_keys=delegator_key,
        agent_keys=lambda agent_id: (
            {keys.get("agent").kid: keys.get("agent").public} if agent_id == AGENT_ID else {}
        ),
        staged_events=parties.status_events(keys),
    )
    # The embedded search index lives beside the keys; built from the catalog on first use.
    catalog_index = SerializedIndex(open_embedded_index(home))
    ensure_indexed(db, catalog_index)
    merchants = MerchantService(
        db,
        merchant_keys,
        clock,
        psp_endpoint=f"{endpoints.psp}/payments",
        psp_id=PSP_ID,
        log=records,
        search=IndexedCatalogSearch(db, catalog_index),
    )
    status_client = httpx.Client(timeout=5.0, transport=StatusRoute(endpoints.status))
    notice_client = httpx.Client(timeout=5.0)

    def status_signer(kid: str) -> PublicKey | None:
        # Asked of the directory at each check, so revoking the status key takes effect.
        entry = usable_key(directory, kid, clock.now(), roles=("status",))
        return entry.public_key if entry is not None else None

    status_checker = HttpStatusChecker(
        status_client,
        status_signer,
        allowed_prefixes=(f"{endpoints.status}/delegations/", f"{STATUS_BASE}/delegations/"),
        clock=clock,
    )
    notifier = parties.merchant_notifier(notice_client, endpoints.merchant, keys, clock)
    psp = PaymentProvider(
        db,
        psp_id=PSP_ID,
        signing_key=keys.get("psp"),
        directory=directory,
        status_checker=status_checker,
        notifier=notifier,
        clock=clock,
        log=records,
        risk=risk,  # $TRUSTCART_HOME/risk.toml (payments.risk.config)
    )
    webhooks, webhook_clients = webhook_transport(  # UCP: signed with the business key
        db, clock, keys.get(UCP_BUSINESS_KEY, "ES256"), ucp_url=endpoints.ucp or None
    )
    relay = OutboxRelay(
        db,
        clock,
        {
            MessageKind.RECORD: records,
            MessageKind.NOTICE: NoticeTransport(notifier),
            MessageKind.WEBHOOK: webhooks,  # ACP and UCP order events (local.webhooks)
        },
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
        upkeep=Upkeep(
            relay, expire_holds=merchants.expire_due, expire_credentials=status.expire_due
        ),
        clients=[status_client, notice_client, log_client, *webhook_clients],
        catalog_index=catalog_index,
    )
    nonces = SqlNonceCache(db)
    deployment.apps = {
        "status": create_delegation_app(status),
        "trust": create_trust_app(attestations, directory, clock),
        "merchant": create_merchant_app(
            merchants, RequestVerifier(directory, nonces, clock, allowed_roles=("agent", "psp"))
        ),
        "psp": create_psp_app(  # with the dispute routes (docs/disputes.md, "Over HTTP")
            psp,
            RequestVerifier(directory, nonces, clock, allowed_roles=("agent", "merchant")),
            disputes=dispute_service(deployment),
        ),
    }
    deployment.acp = install_acp(
        db,
        clock,
        merchants,
        directory,
        status_checker,
        deployment.apps,
        merchant_url=endpoints.merchant,
        psp_url=endpoints.psp,
        psp_id=PSP_ID,
        provider=psp,
    )
    if endpoints.ucp:  # the UCP business beside the others (``trustcart serve``)
        from trustcart.local.ucp import create_ucp_business

        deployment.apps["ucp"] = create_ucp_business(deployment, status_checker)
    mount_paid_resources(deployment, PSP_ID)  # A402 pay-per-call (docs/a402.md)
    mount_platform_profile(deployment.apps["trust"], deployment)  # UCP platform (docs/ucp.md)
    deployment.witness = install_witness(deployment)  # TSD-ATT-OCA anchors (docs/witness.md)
    return deployment
