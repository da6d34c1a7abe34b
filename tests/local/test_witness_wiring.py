"""The installation's witness: its key in the directory, its server when it has an endpoint,
and the upkeep's periodic anchoring of the log's newest tree head."""

from __future__ import annotations

from pathlib import Path

from trustcart.crypto.jws import peek_payload
from trustcart.local.deployment import build
from trustcart.local.parties import WITNESS_ID
from trustcart.local.servers import ROLE_NAMES, Endpoints
from trustcart.store.db import Database
from trustcart.trust.anchors import TrustAnchors


def test_witness_is_wired_and_anchored_periodically(sqlite_db: Database, tmp_path: Path) -> None:
    ports = {**dict.fromkeys(ROLE_NAMES, 9), "witness": 9}
    deployment = build(sqlite_db, tmp_path, Endpoints.on_ports(ports))
    try:
        assert deployment.endpoints.witness == "http://127.0.0.1:9"
        assert "witness" in deployment.apps  # its own server in serve / demo
        assert "anchor" in [job.name for job in deployment.upkeep.jobs()]
        anchors = TrustAnchors.from_directory(deployment.directory.entries())
        witness_key = deployment.keys.get("witness")
        assert anchors.mismatch(witness_key.kid, role="witness", party=WITNESS_ID) is None
        assert anchors.mismatch(witness_key.kid, role="log", party="log:trustcart") is not None
    finally:
        deployment.close()


def test_without_endpoint_the_anchorer_uses_the_witness_in_process(
    sqlite_db: Database, tmp_path: Path
) -> None:
    deployment = build(sqlite_db, tmp_path, Endpoints.on_ports(dict.fromkeys(ROLE_NAMES, 9)))
    try:
        assert "witness" not in deployment.apps
        assert deployment.upkeep.anchor is not None
        deployment.log.append(b"a leaf")
        deployment.upkeep.anchor()
        assert deployment.witness is not None
        held = deployment.witness.witness.fetch("log:trustcart/1")
        assert held is not None
        assert peek_payload(held.anchor)["ext"]["tree_size"] == 1
    finally:
        deployment.close()
