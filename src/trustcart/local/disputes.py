"""The dispute service of one installation: evidence from the parties' records, the
installation's anchors, the PSP's key for the decision records, the relay for delivery.

``PartyEvidence`` is the ``EvidenceSource``: the parties hand over what they hold (the
paying person's purchase record, found under their delegator identity: ISR, IAC, credential
status, signed cart, approval, receipt) and the trust service packages it with the events
and inclusion proofs (``trust.packaging.package_purchase``, as ``trustcart evidence`` does).
An order the person's records do not know yields no bundle, which the rules send to review.
The anchors are the installation's key directory (``trusted-keys.json``), never the bundle's
own keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trustcart.assistant.memory import RecordKind
from trustcart.assistant.records import read_purchase
from trustcart.disputes.service import DisputeService
from trustcart.local.memory import SqlMemory
from trustcart.local.parties import PSP_ID
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.packaging import package_purchase

if TYPE_CHECKING:  # the deployment builds this service for the PSP's app
    from trustcart.local.deployment import Deployment

_logger = logging.getLogger(__name__)


class PartyEvidence:
    """Gathers one order's bundle from the parties' records in this installation."""

    def __init__(self, deployment: Deployment) -> None:
        self._d = deployment

    def gather(self, out_trade_no: str, payer: str) -> Mapping[str, Any] | None:
        memory = SqlMemory(self._d.db, payer, self._d.clock)
        purchase = next(
            (
                read_purchase(record)
                for record in memory.records(RecordKind.PURCHASE)
                if record.get("out_trade_no") == out_trade_no
            ),
            None,
        )
        if purchase is None:
            return None
        return package_purchase(
            self._d.attestations,
            self._d.directory,
            isr=purchase.isr.to_json(),
            iac=purchase.iac.token,
            status=purchase.receipt.credential_status,
            cart=purchase.cart.token,
            approval=purchase.approval,
            receipt=purchase.receipt.token,
            now=self._d.clock.now(),
        )


def dispute_service(deployment: Deployment) -> DisputeService:
    """The installation's dispute service (the PSP signs its decisions)."""

    def deliver(owed: Sequence[str]) -> None:
        try:
            deployment.relay.deliver(owed)
        except Exception:  # the decision stands; the relay retries its record
            _logger.exception("first delivery of %s failed; the relay will retry", owed)

    return DisputeService(
        deployment.db,
        clock=deployment.clock,
        evidence=PartyEvidence(deployment),
        anchors=lambda: TrustAnchors.from_directory(deployment.directory.entries()),
        psp_id=PSP_ID,
        psp_key=deployment.keys.get("psp"),
        deliver=deliver,
    )
