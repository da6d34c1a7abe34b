"""Who is who in one installation: the parties' ids, their keys in the directory, and the
pieces every process of the installation builds alike (the PSP's notifier, the status
service's event outbox), shared by ``deployment.build`` and ``upkeep.build_upkeep``.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from sqlalchemy import select

from trustcart.api.agent_auth import AgentRequestSigner
from trustcart.core.clock import Clock
from trustcart.crypto.jws import KeyResolver
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delivery.staging import EventOutbox
from trustcart.local import persona
from trustcart.local.keystore import KeyStore
from trustcart.payments.notices import HttpMerchantNotifier
from trustcart.store.commerce import MerchantRow
from trustcart.store.db import Database
from trustcart.trust.directory import InMemoryKeyDirectory, KeyDirectory, usable_key
from trustcart.trust.events import Participant

AGENT_ID = "agent:trustcart-assistant"
PSP_ID = "psp:trustcart"
STATUS_ID = "status:trustcart"
LOG_ID = "log:trustcart"
WITNESS_ID = "witness:trustcart"  # the witness of the log's anchors (local.witness)
# AP2 is ES256 only (AP2 types/jwk.json): the person's wallet signs mandates with this key,
# a delegator key of the person, and the agent's ES256 key is their cnf (local.ucp_platform)
WALLET_MANDATE_KEY = "alice-ap2"
AGENT_MANDATE_KEY = "agent-ap2"


def merchant_keys(db: Database, keys: KeyStore) -> dict[str, SigningKey]:
    """Every merchant in the store with its signing key (made on first use)."""
    with db.transaction() as session:
        merchant_ids = list(session.scalars(select(MerchantRow.merchant_id)).all())
    return {mid: keys.get(f"merchant:{mid}") for mid in sorted(merchant_ids)}


def key_directory(keys: KeyStore, merchants: Mapping[str, SigningKey]) -> InMemoryKeyDirectory:
    """The directory of every party's key, each bound to its party and role."""
    directory = InMemoryKeyDirectory()
    for name, party, role in (
        ("agent", AGENT_ID, "agent"),
        ("psp", PSP_ID, "psp"),
        ("status", STATUS_ID, "status"),
        ("log", LOG_ID, "log"),
        ("witness", WITNESS_ID, "witness"),
        (persona.KEY_NAME, persona.IDENTITY, "delegator"),
    ):
        directory.register(keys.get(name).public, party_id=party, role=role)
    directory.register(
        keys.get(WALLET_MANDATE_KEY, "ES256").public, party_id=persona.IDENTITY, role="delegator"
    )
    for mid, key in merchants.items():
        directory.register(key.public, party_id=mid, role="merchant")
    return directory


def key_resolver(directory: KeyDirectory, clock: Clock) -> KeyResolver:
    """kid -> public key, asked of the directory at each use (a revoked key stops at once)."""

    def resolve(kid: str) -> PublicKey | None:
        entry = usable_key(directory, kid, clock.now())
        return entry.public_key if entry is not None else None

    return resolve


def status_events(keys: KeyStore) -> EventOutbox:
    """The status service's lifecycle events, signed by its key, staged in its transactions."""
    key = keys.get("status")
    return EventOutbox(Participant("status", STATUS_ID, key.kid), key)


def merchant_notifier(
    client: httpx.Client, merchant_url: str, keys: KeyStore, clock: Clock
) -> HttpMerchantNotifier:
    """The PSP's notices to the marketplace's ``/payment-notifications``, signed as the PSP."""
    return HttpMerchantNotifier(
        client,
        lambda _merchant_id: f"{merchant_url}/payment-notifications",
        AgentRequestSigner(keys.get("psp"), clock=clock),
    )
