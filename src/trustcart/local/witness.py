"""The installation's witness and the log's anchorer (docs/witness.md).

The witness is a separate service: its own key (``witness`` in ``keys.json``, in the key
directory as ``witness:trustcart`` with role ``witness``), its own tables and, when the
installation has a witness endpoint (``serve``, ``demo``), its own HTTP server; the log then
reaches it over HTTP only (``HttpWitness``). Without an endpoint (``opened_deployment``, the
tests) the anchorer calls the witness in this process. The witness accepts anchors signed by a
key the directory holds for role ``log``; the anchorer accepts receipts signed by a key the
directory holds for role ``witness``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from trustcart.crypto.keys import PublicKey
from trustcart.local.parties import WITNESS_ID
from trustcart.trust.anchoring import LogAnchorer
from trustcart.trust.directory import usable_key
from trustcart.trust.errors import WitnessError
from trustcart.trust.witness import Witness, WitnessPort
from trustcart.trust.witness_client import HttpWitness

if TYPE_CHECKING:
    from trustcart.local.deployment import Deployment

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WitnessParts:
    witness: Witness
    anchorer: LogAnchorer


def install_witness(deployment: Deployment) -> WitnessParts:
    """Build the witness and the anchorer; serve the witness when it has an endpoint."""
    directory, clock = deployment.directory, deployment.clock

    def submitter(kid: str) -> tuple[str, PublicKey] | None:
        entry = usable_key(directory, kid, clock.now(), roles=("log",))
        return None if entry is None else (entry.party_id, entry.public_key)

    def witness_key(kid: str) -> PublicKey | None:
        entry = usable_key(directory, kid, clock.now(), roles=("witness",))
        return None if entry is None else entry.public_key

    witness = Witness(deployment.db, deployment.keys.get("witness"), WITNESS_ID, submitter, clock)
    port: WitnessPort = witness
    if deployment.endpoints.witness:
        client = httpx.Client(base_url=deployment.endpoints.witness)
        deployment.clients.append(client)
        port = HttpWitness(client)
        from trustcart.api.witness import create_witness_app

        deployment.apps["witness"] = create_witness_app(witness)
    anchorer = LogAnchorer(
        deployment.db,
        deployment.log,
        deployment.keys.get("log"),
        port,
        witness_keys=witness_key,
        clock=clock,
    )
    deployment.upkeep.anchor = anchorer.anchor
    return WitnessParts(witness, anchorer)


def anchor_evidence(deployment: Deployment, bundle: dict[str, Any]) -> dict[str, Any]:
    """``bundle`` with the witness's anchors of its tree head (``trust.anchoring``).

    When the witness cannot anchor it (unreachable, or refusing), the bundle is written without
    anchors and the reason logged: it still verifies, reported "not anchored" (TSD-ATT-SVF
    ``ANCHOR_NOT_FOUND``, refused by ``verify --require-anchor``), so nothing is claimed that
    the witness did not vouch for.
    """
    if deployment.witness is None:
        return bundle
    try:
        return deployment.witness.anchorer.attach(bundle, WITNESS_ID)
    except WitnessError as e:
        _logger.warning("evidence written without anchors: %s", e)
        return bundle
