"""The published OpenAPI documents describe every request body, response and status code, and
the schema each route publishes is the one its gate enforces (``api.openapi``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from trustcart.api.openapi import (
    delegation,
    disputes,
    merchant,
    merchant_catalog,
    psp,
    trust,
    tryon,
    ucp_webhooks,
)
from trustcart.api.openapi.vocabulary import JsonBody, Operation
from trustcart.api.tryon import create_tryon_app
from trustcart.core.problem import PROBLEM_CONTENT_TYPE, ProblemError
from trustcart.local.deployment import build
from trustcart.local.servers import Endpoints
from trustcart.payments.errors import PaymentProblem
from trustcart.store.db import Database

CONTRACTS = (delegation, trust, merchant, merchant_catalog, psp, disputes, tryon)
OPERATIONS: dict[str, Operation] = {
    value.operation_id: value
    for module in CONTRACTS
    for value in vars(module).values()
    if isinstance(value, Operation)
}
# Routes of a peer protocol on our services: they refuse in the peer's shape (UCP's
# error_response, application/json), and their body outline is gated by the peer's pinned schema.
PEER_BODIES: dict[str, dict[str, Any]] = {ucp_webhooks.OPERATION_ID: ucp_webhooks.ORDER_OUTLINE}


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FastAPI]]:
    home = tmp_path_factory.mktemp("contract")
    db = Database(f"sqlite:///{home / 'test.db'}")
    db.create_all()
    endpoints = Endpoints.on_ports(dict.fromkeys(("status", "trust", "merchant", "psp"), 9))
    deployment = build(db, home, endpoints)
    try:
        yield {**deployment.apps, "tryon": create_tryon_app()}
    finally:
        deployment.close()
        db.dispose()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_route_has_a_contract(apps: dict[str, FastAPI]) -> None:
    for name, app in apps.items():
        for route in app.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                known = route.operation_id in OPERATIONS or route.operation_id in PEER_BODIES
                assert known, f"{name} {route.path} has no contract"


def test_every_operation_documents_its_body_and_responses(apps: dict[str, FastAPI]) -> None:
    seen: set[str] = set()
    for name, app in apps.items():
        document = app.openapi()
        assert "HTTPValidationError" not in str(document), name
        for path, method, operation in _operations(document):
            where = f"{name} {method.upper()} {path}"
            assert operation["operationId"] not in seen, where
            seen.add(operation["operationId"])
            responses = operation["responses"]
            assert "default" not in responses, where
            assert any(code.startswith("2") for code in responses), where
            assert "500" in responses, where
            peer = operation["operationId"] in PEER_BODIES
            for code, response in responses.items():
                if code.startswith("2"):
                    assert response.get("content"), f"{where} {code} has no body schema"
                elif peer and "application/json" in response["content"]:
                    assert response["content"]["application/json"]["schema"], where
                else:
                    schema = response["content"][PROBLEM_CONTENT_TYPE]["schema"]
                    assert schema["properties"]["status"] == {"const": int(code)}, where
            if method == "post":
                body = operation["requestBody"]
                assert body["required"] is True, where
                assert body["content"]["application/json"]["schema"]["type"] == "object", where
                # A peer's route reads any bytes as its body (not JSON: its own 400), no 415.
                wanted = {"400", "413"} if peer else {"400", "413", "415"}
                assert wanted <= set(responses), where
            for reply in responses.values():
                for target in reply.get("links", {}).values():
                    assert target["operationId"] in {
                        op["operationId"] for _, _, op in _operations(document)
                    }, f"{where}: link to {target['operationId']}"


def test_signed_routes_document_their_headers(apps: dict[str, FastAPI]) -> None:
    for name, app in apps.items():
        document = app.openapi()
        assert "httpMessageSignature" in document["components"]["securitySchemes"]
        for path, method, operation in _operations(document):
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if operation.get("security"):
                assert {"Signature-Input", "Signature-Agent"} <= headers, f"{name} {path}"
                assert "401" in operation["responses"], f"{name} {path}"
                if method == "post":
                    assert "Content-Digest" in headers, f"{name} {path}"
            if path in ("/payments", "/refunds", "/baskets") and method == "post":
                assert "Idempotency-Key" in headers
    merchant_doc = apps["merchant"].openapi()
    signed = {p for p, m, op in _operations(merchant_doc) if op.get("security")}
    assert signed == {
        "/catalog/vocabulary",
        "/products/{product_id}/offers",
        "/intent-context",
        "/merchants/{merchant_id}/payment-negotiation",
        "/carts",
        "/baskets/plan",
        "/orders/{out_trade_no}",
        "/payment-notifications",
    }


def test_the_published_body_schema_is_the_gate(apps: dict[str, FastAPI]) -> None:
    for app in apps.values():
        for _path, _method, operation in _operations(app.openapi()):
            if operation["operationId"] in PEER_BODIES:
                published = operation["requestBody"]["content"]["application/json"]["schema"]
                assert published == PEER_BODIES[operation["operationId"]]
                continue
            contract = OPERATIONS[operation["operationId"]]
            if contract.body is None:
                assert "requestBody" not in operation
                continue
            published = operation["requestBody"]["content"]["application/json"]["schema"]
            assert published == contract.body.schema


def test_the_gate_refuses_with_the_route_code() -> None:
    with pytest.raises(ProblemError) as refused:
        psp.PAY.check({"mode": "L2", "payment_token": "t", "iac": "i", "cart": "c"})
    assert (refused.value.code, refused.value.status) == (PaymentProblem.REQUEST_INVALID, 400)
    assert "request_id" in str(refused.value)
    with pytest.raises(ProblemError) as unknown:
        merchant.CART.check(
            {
                "merchant_id": "m_a",
                "items": [{"product_id": "p_a", "quantity": 1}],
                "intent_id": "int_a",
                "delegation_id": "dlg_a",
                "payment_method": "trustcart-balance",
                "discount_code": "FREE",  # not in the contract: refused, never ignored
            }
        )
    assert unknown.value.code == "invalid-request"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    operation=st.sampled_from(sorted(k for k, v in OPERATIONS.items() if v.body is not None)),
    body=st.dictionaries(
        st.sampled_from(["mode", "iac", "record", "items", "context", "x", "amount"]), _JSON
    ),
)
def test_the_gate_accepts_exactly_the_schema(operation: str, body: dict[str, Any]) -> None:
    gate = OPERATIONS[operation].body
    assert isinstance(gate, JsonBody)
    if Draft202012Validator(gate.schema).is_valid(body):
        assert gate.check(body) is body
    else:
        with pytest.raises(ProblemError) as refused:
            gate.check(body)
        assert (refused.value.code, refused.value.status) == (str(gate.refusal), 400)


def test_schemas_are_valid_json_schema() -> None:
    for operation in OPERATIONS.values():
        for reply in operation.replies:
            if reply.schema is not None:
                Draft202012Validator.check_schema(reply.schema)


def test_documents_do_not_depend_on_the_store(tmp_path: Path, apps: dict[str, FastAPI]) -> None:
    """The document is static: a second app over another store publishes the same contract."""
    db = Database(f"sqlite:///{tmp_path / 'other.db'}")
    db.create_all()
    endpoints = Endpoints.on_ports(dict.fromkeys(("status", "trust", "merchant", "psp"), 9))
    other = build(db, tmp_path, endpoints)
    try:
        for name, app in other.apps.items():
            assert app.openapi() == apps[name].openapi()
    finally:
        other.close()
        db.dispose()
