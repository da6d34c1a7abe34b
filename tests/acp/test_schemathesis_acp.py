"""Issue 13: schemathesis over the pinned ``openapi.agentic_checkout.yaml``, on the real server.

The installation is the real one on loopback uvicorn (SQLite), with the examples' merchant;
the document is the pinned OpenAPI with the corrections docs/interop.md lists
(``corrected_openapi``) and, as examples, a real checkout session id. Every request carries the
platform's ``Authorization: Bearer`` key and ``API-Version`` (``AcpAuth`` overrides the random
values schemathesis fills the documented header parameters with, and drops its random
``Signature``/``Timestamp``, so the fuzzed bodies reach the parsers; the header checks have
their own tests). The budget is fixed (``MAX_EXAMPLES`` per operation, ``SEED``).

The PSP's ``openapi.delegate_payment.yaml`` is fuzzed the same way, with one example whose
allowance has not expired (the document's own expire in 2026-02). Every check must hold: no 5xx,
every status code documented, every content type and body as documented.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml

from tests.helpers.acp import SPEC, HttpAcp, acp_installation, corrected_openapi, delegate_body
from tests.helpers.fuzzing import FuzzReport, run_schemathesis
from trustcart.core.clock import SystemClock
from trustcart.core.money import Money
from trustcart.store.db import Database

MAX_EXAMPLES = 6
SEED = 20261202

pytestmark = pytest.mark.slow


class AcpAuth(requests.auth.AuthBase):
    """The platform's key and version on every request, and a fresh Idempotency-Key on each
    POST (schemathesis repeats one generated key, so every other body would be a 422)."""

    def __init__(self, api_key: str, label: str = "fuzz") -> None:
        self.api_key = api_key
        self.label = label
        self.sent = 0

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        self.sent += 1
        prepared.headers["Authorization"] = f"Bearer {self.api_key}"
        prepared.headers["API-Version"] = "2026-04-17"
        if prepared.method == "POST":
            prepared.headers["Idempotency-Key"] = f"{self.label}-{self.sent}"
        for name in ("Signature", "Timestamp"):
            prepared.headers.pop(name, None)
        return prepared


@pytest.fixture(scope="module")
def acp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpAcp]:
    home = tmp_path_factory.mktemp("acp-fuzz")
    db = Database(f"sqlite:///{home / 'trustcart.db'}")
    db.create_all()
    try:
        with acp_installation(db, home / "home", SystemClock()) as installation:
            yield installation
    finally:
        db.dispose()


def _pinned() -> dict[str, Any]:
    path = SPEC.parents[1] / "examples" / "2026-04-17" / "examples.agentic_checkout.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _session(acp: HttpAcp) -> tuple[str, str]:
    """A ready session and a vault token that pays it."""
    body = _pinned()["create_checkout_session_request"]
    headers = {
        "Authorization": f"Bearer {acp.api_key}",
        "API-Version": "2026-04-17",
        "Content-Type": "application/json",
        "Idempotency-Key": "fuzz-seed",
    }
    reply = acp.send("POST", "/checkout_sessions", headers, json.dumps(body).encode())
    assert reply.status == 201, reply.body
    total = next(t["amount"] for t in reply.body["totals"] if t["type"] == "total")
    return str(reply.body["id"]), acp.mint(reply.body["id"], Money(total, "USD"))


def _document(session_id: str, token: str, api_key: str) -> dict[str, Any]:
    """The corrected document, with the examples file's valid bodies added as examples (the
    OpenAPI's own create examples send ``items`` without ``currency``: docs/interop.md)."""
    pinned = _pinned()
    complete = copy.deepcopy(pinned["complete_checkout_session_request"])
    complete["payment_data"]["instrument"]["credential"]["token"] = token
    bodies = {
        "/checkout_sessions": pinned["create_checkout_session_request"],
        "/checkout_sessions/{checkout_session_id}": pinned["update_checkout_session_request"],
        "/checkout_sessions/{checkout_session_id}/complete": complete,
        "/checkout_sessions/{checkout_session_id}/cancel": pinned[
            "cancel_checkout_session_request"
        ],
    }
    text = (SPEC / "openapi" / "openapi.agentic_checkout.yaml").read_text(encoding="utf-8")
    document = corrected_openapi(yaml.safe_load(text))
    document = copy.deepcopy(document)
    # The examples phase sends the header examples as they are ("Bearer api_key_123",
    # API-Version 2026-01-16), past the auth hook: give it real ones.
    parameters = document["components"]["parameters"]
    parameters["Authorization"]["schema"]["example"] = f"Bearer {api_key}"
    parameters["Authorization"].pop("example", None)
    parameters["APIVersion"]["schema"]["example"] = "2026-04-17"
    for path, methods in document["paths"].items():
        for parameter in methods.get("parameters", []):
            if parameter.get("name") == "checkout_session_id":
                parameter["example"] = session_id
        post = methods.get("post", {})
        if "requestBody" in post:
            content = post["requestBody"]["content"]["application/json"]
            content.setdefault("examples", {})["examples_json"] = {"value": bodies[path]}
    return document


def test_schemathesis_finds_nothing(acp: HttpAcp) -> None:
    document = _document(*_session(acp), acp.api_key)
    report: FuzzReport = run_schemathesis(
        "acp",
        document,
        acp.base_url,
        AcpAuth(acp.api_key),  # type: ignore[arg-type]
        max_examples=MAX_EXAMPLES,
        seed=SEED,
    )
    print(report.line())
    print(report.by_operation.most_common(12))
    assert report.failures == [], "\n".join(report.failures[:20])
    assert report.errors == []
    assert {op for op in report.operations if " /" in op} == {
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method in methods
        if method != "parameters"
    }
    assert not any(status >= 500 for status in report.statuses)
    # The fuzzed bodies get past the headers: sessions are read, updated and canceled.
    assert report.by_operation["GET /checkout_sessions/{checkout_session_id} 200"] > 0
    assert report.by_operation["POST /checkout_sessions/{checkout_session_id} 200"] > 0


def test_schemathesis_over_delegate_payment_finds_nothing(acp: HttpAcp) -> None:
    """The PSP's ``/agentic_commerce/delegate_payment`` under the pinned OpenAPI."""
    text = (SPEC / "openapi" / "openapi.delegate_payment.yaml").read_text(encoding="utf-8")
    document = corrected_openapi(yaml.safe_load(text))
    parameters = document["components"]["parameters"]
    parameters["Authorization"]["schema"]["example"] = f"Bearer {acp.vault_key}"
    parameters["APIVersion"]["schema"]["example"] = "2026-04-17"
    # The document's examples expire in 2026-02: add one whose allowance is still valid.
    operation = document["paths"]["/agentic_commerce/delegate_payment"]["post"]
    content = operation["requestBody"]["content"]["application/json"]
    valid = delegate_body(acp.deployment.clock, "cs_fuzz", Money(2000, "USD"))
    content.setdefault("examples", {})["still_valid"] = {"value": valid}
    report: FuzzReport = run_schemathesis(
        "acp-delegate",
        document,
        acp.psp_url,
        AcpAuth(acp.vault_key, "dp-fuzz"),  # type: ignore[arg-type]
        max_examples=MAX_EXAMPLES,
        seed=SEED,
    )
    print(report.line())
    print(report.by_operation.most_common(6))
    assert report.failures == [], "\n".join(report.failures[:20])
    assert report.errors == []
    assert "POST /agentic_commerce/delegate_payment" in report.operations
    assert report.statuses[201] > 0  # tokens are issued, not only refusals
    assert not any(status >= 500 for status in report.statuses)
