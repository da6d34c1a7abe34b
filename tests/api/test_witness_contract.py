"""The witness app documents every route, and its answers follow the contract."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from tests.helpers.clock import T0
from trustcart.api.openapi import witness as contract
from trustcart.api.witness import create_witness_app
from trustcart.core.clock import FixedClock
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.store.db import Database
from trustcart.trust.chain_anchor import anchor_for, sign_anchor
from trustcart.trust.merkle import EMPTY_ROOT
from trustcart.trust.treehead import TreeHead
from trustcart.trust.witness import Witness

LOG = SigningKey.generate()


def _submitter(kid: str) -> tuple[str, PublicKey] | None:
    return ("log:trustcart", LOG.public) if kid == LOG.kid else None


@pytest.fixture
def client(sqlite_db: Database) -> TestClient:
    witness = Witness(
        sqlite_db, SigningKey.generate(), "witness:trustcart", _submitter, FixedClock(T0)
    )
    return TestClient(create_witness_app(witness))


def test_every_route_has_its_operation(client: TestClient) -> None:
    document: dict[str, Any] = client.app.openapi()  # type: ignore[attr-defined]
    ids = {
        op["operationId"]
        for path in document["paths"].values()
        for op in path.values()
        if "operationId" in op
    }
    assert {"getWitnessKeys", "submitAnchor", "getAnchor"} <= ids


def test_answers_follow_the_documented_schemas(client: TestClient) -> None:
    head = TreeHead("log:trustcart", 0, EMPTY_ROOT, "2026-11-29T08:00:00Z")
    token = sign_anchor(anchor_for(head, None, issued_at=T0), LOG)
    created = client.post("/anchors", json={"anchor": token})
    assert created.status_code == 201
    schemas = {reply.status: reply for reply in contract.SUBMIT.replies}
    jsonschema.validate(
        created.json(), schemas[201].openapi()["content"]["application/json"]["schema"]
    )
    again = client.post("/anchors", json={"anchor": token})
    assert again.status_code == 200
    assert client.post("/anchors", json={"anchor": token, "x": 1}).status_code == 400
    statuses = set(contract.SUBMIT.all_problems())
    for status in (400, 401, 409, 503):
        assert status in statuses
