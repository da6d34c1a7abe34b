"""An installation with the ACP examples' merchant, every role on loopback uvicorn, for tests/acp.

``acp_installation`` seeds the examples' merchant (``conformance.acp_world``), builds the real
deployment (the merchant app with ACP mounted at ``/acp``, the PSP app with the delegate
payment), starts every server, registers an agent platform at the merchant and a client at the
payment provider, and yields what a platform would be configured with. ``HttpAcp`` sends over
real HTTP; ``openapi_response_schema`` is the pinned OpenAPI's schema of one answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator

from trustcart.commerce.acp.platforms import register_platform
from trustcart.conformance.acp import Reply
from trustcart.conformance.acp_world import MERCHANT_ID, seed_example_merchant
from trustcart.conformance.web_bot_auth import conformance_dir
from trustcart.core.clock import Clock, format_instant
from trustcart.core.money import Money
from trustcart.local.deployment import Deployment, build
from trustcart.local.servers import ROLE_NAMES, Endpoints, Servers, free_port
from trustcart.store.db import Database

VERSION = "2026-04-17"
SPEC = conformance_dir() / "acp" / "spec" / VERSION


@dataclass
class HttpAcp:
    deployment: Deployment
    base_url: str  # the merchant's ACP base
    api_key: str
    psp_url: str
    vault_key: str
    client: httpx.Client

    def send(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        response = self.client.request(method, self.base_url + path, headers=headers, content=body)
        try:
            parsed: Any = response.json()
        except ValueError:
            parsed = response.text
        return Reply(
            response.status_code, {k.lower(): v for k, v in response.headers.items()}, parsed
        )

    def delegate(self, body: dict[str, Any], key: str = "dp-1", **headers: str) -> httpx.Response:
        """``POST /agentic_commerce/delegate_payment`` as the registered platform."""
        return self.client.post(
            f"{self.psp_url}/agentic_commerce/delegate_payment",
            content=json.dumps(body),
            headers={
                "Authorization": f"Bearer {self.vault_key}",
                "API-Version": VERSION,
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                **headers,
            },
        )

    def mint(self, session_id: str, amount: Money, merchant_id: str = MERCHANT_ID) -> str:
        """A vault token for this session and amount, obtained over HTTP."""
        body = delegate_body(self.deployment.clock, session_id, amount, merchant_id)
        response = self.delegate(body, key=f"mint-{session_id}-{amount.minor}-{merchant_id}")
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


def delegate_body(
    clock: Clock,
    session_id: str,
    amount: Money,
    merchant_id: str = MERCHANT_ID,
    expires_in: timedelta = timedelta(hours=1),
) -> dict[str, Any]:
    """The pinned example's delegate payment request, with this allowance."""
    path = conformance_dir() / "acp" / "examples" / VERSION / "examples.delegate_payment.json"
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["delegate_payment_request"]
    body["allowance"] = {
        "reason": "one_time",
        "max_amount": amount.minor,
        "currency": amount.currency.lower(),
        "checkout_session_id": session_id,
        "merchant_id": merchant_id,
        "expires_at": format_instant(clock.now() + expires_in),
    }
    return body


@contextmanager
def acp_installation(db: Database, home: Path, clock: Clock) -> Iterator[HttpAcp]:
    seed_example_merchant(db)
    ports = {role: free_port() for role in ROLE_NAMES}
    deployment = build(db, home, Endpoints.on_ports(ports), clock, in_process_log=True)
    assert deployment.acp is not None
    with db.transaction() as session:
        registration = register_platform(session, MERCHANT_ID, "test platform", now=clock.now())
    _client_id, vault_key = deployment.acp.vault.register_client("test platform")
    try:
        with Servers(deployment.apps, ports), httpx.Client(timeout=20.0) as client:
            yield HttpAcp(
                deployment,
                deployment.acp.base_url(MERCHANT_ID),
                registration.api_key,
                deployment.endpoints.psp,
                vault_key,
                client,
            )
    finally:
        deployment.close()


def corrected_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """The pinned OpenAPI with the corrections docs/interop.md ("ACP") documents.

    1. ``CheckoutSessionBase`` is ``additionalProperties: false`` and lacks ``order``, so
       ``CheckoutSessionWithOrder`` (``allOf`` of it and a required ``order``) admits no body
       at all; the pinned JSON schema bundle lists ``order`` in ``CheckoutSessionBase``, and so
       does this correction.
    2. ``GET /checkout_sessions/{id}`` documents only 200 and 404, and ``.../cancel`` only
       200, 400, 405, 409 and 422, though both require ``Authorization`` (401) and
       ``API-Version`` (400) and a session may not exist (404); the other operations document
       ``4XX: Error``, and so, here, do these two.
    3. (delegate payment) ``Error.type`` and ``Error.code`` enumerate no value for a 401,
       while the document's own 401 example is ``{"type": "unauthorized", "code":
       "unauthorized"}``; trustcart answers the example, and the enums get ``unauthorized``.
    """
    error = {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for methods in document.get("paths", {}).values():
        for name, operation in methods.items():
            if name in ("get", "post") and "4XX" not in operation.get("responses", {}):
                operation["responses"]["4XX"] = error
    schemas = document.get("components", {}).get("schemas", {})
    error_fields = schemas.get("Error", {}).get("properties", {})
    if "enum" in error_fields.get("code", {}):  # only the delegate payment's Error has one
        for field in ("type", "code"):
            if "unauthorized" not in error_fields[field]["enum"]:
                error_fields[field]["enum"].append("unauthorized")
    base = schemas.get("CheckoutSessionBase")
    if base is not None and "order" not in base["properties"]:
        base["properties"]["order"] = {"$ref": "#/components/schemas/Order"}
    return document


@cache
def _openapi(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SPEC / "openapi" / name).read_text(encoding="utf-8"))
    return corrected_openapi(loaded)


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def openapi_response_schema(
    name: str, method: str, template: str, status: int
) -> Draft202012Validator:
    """A validator of the pinned OpenAPI's JSON body for ``status`` of one operation."""
    document = _openapi(name)
    responses = document["paths"][template][method.lower()]["responses"]
    key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
    response = _resolve(document, responses[key])
    schema = response["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})
