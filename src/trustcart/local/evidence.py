"""Evidence bundles for the person's own orders: any order their agent paid, however it was paid.

``trustcart chat``, ``trustcart mcp`` and the demo all record each purchase in the person's
memory (``local.memory.SqlMemory``, see ``assistant.records``); from such a record
``write_evidence`` packages the bundle exactly as the demo does
(``trust.packaging.package_purchase``: ISR, IAC, credential status, the merchant-signed cart,
the person's approval, the PSP-signed receipt, the events and their inclusion proofs) and
writes the trust anchors beside it (``trusted-keys.json``: every key of the installation's key
directory with its party and role), so that

    trustcart verify FILE --trusted-keys DIR/trusted-keys.json

checks it offline. An ACP (or UCP) order that another agent paid under one of the person's
IACs is packaged the same way from the merchant's checkout session and the person's delegation
record (``local.evidence_checkout``). ``opened_deployment`` builds the roles on the store
without starting any server: packaging needs only the transparency log and the key directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trustcart.assistant.memory import RecordKind
from trustcart.assistant.proposals import Purchase
from trustcart.assistant.records import read_purchase
from trustcart.local import persona
from trustcart.local.deployment import Deployment, build
from trustcart.local.evidence_checkout import checkout_purchase
from trustcart.local.memory import SqlMemory
from trustcart.local.servers import ROLE_NAMES, Endpoints
from trustcart.local.witness import anchor_evidence
from trustcart.store.db import Database
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.packaging import package_purchase

TRUSTED_KEYS = "trusted-keys.json"


@contextmanager
def opened_deployment(home: Path, database_url: str) -> Iterator[Deployment]:
    """The roles of the store in ``home`` (migrated), with no server running."""
    home.mkdir(parents=True, exist_ok=True)
    db = Database(database_url)
    try:
        db.migrate()
        deployment = build(db, home, Endpoints.on_ports(dict.fromkeys(ROLE_NAMES, 0)))
        try:
            yield deployment
        finally:
            deployment.close()
    finally:
        db.dispose()


def find_purchase(deployment: Deployment, order_id: str) -> Purchase | None:
    """The person's purchase with this order number (or the PSP's trade number); else an
    ACP/UCP checkout another agent paid under one of the person's IACs
    (``local.evidence_checkout``)."""
    memory = SqlMemory(deployment.db, persona.IDENTITY, deployment.clock)
    for record in memory.records(RecordKind.PURCHASE):
        if order_id in (record.get("out_trade_no"), record.get("trade_no")):
            return read_purchase(record)
    delegations = memory.records(RecordKind.DELEGATION)
    return checkout_purchase(deployment.db, order_id, delegations)


def write_trusted_keys(deployment: Deployment, folder: Path) -> Path:
    """Write the installation's trust anchors (``trustcart-trust-anchors/1``) into ``folder``."""
    anchors = TrustAnchors.from_directory(deployment.directory.entries())
    path = folder / TRUSTED_KEYS
    path.write_text(json.dumps(anchors.to_json(), indent=1), encoding="utf-8")
    return path


def write_evidence(deployment: Deployment, purchase: Purchase, path: Path) -> Path:
    """Write the purchase's evidence bundle to ``path`` and the trust anchors beside it;
    return the trusted-keys file's path."""
    bundle = package_purchase(
        deployment.attestations,
        deployment.directory,
        isr=purchase.isr.to_json(),
        iac=purchase.iac.token,
        status=purchase.receipt.credential_status,
        cart=purchase.cart.token,
        approval=purchase.approval,
        receipt=purchase.receipt.token,
        now=deployment.clock.now(),
    )
    bundle = anchor_evidence(deployment, bundle)  # the witness's anchors (docs/witness.md)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle, indent=1, ensure_ascii=False), encoding="utf-8")
    return write_trusted_keys(deployment, path.parent)
