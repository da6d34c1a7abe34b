"""Issue 13: every pinned ACP example request, replayed against the real servers over HTTP.

The installation is the real deployment (``local.deployment``) on loopback uvicorn, on SQLite
and PostgreSQL (``db``); the merchant is the examples' own (``conformance.acp_world``), so the
bodies go out unchanged except for the payment token, which is minted over HTTP at the PSP's
``/agentic_commerce/delegate_payment``. Every answer is validated twice: against the pinned
JSON schema bundle (inside ``AcpReplay``) and against the pinned OpenAPI's response schema of
that operation and status (here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers.acp import HttpAcp, acp_installation, openapi_response_schema
from trustcart.conformance.acp import AcpReplay, Reply, Send, examples_dir, load_examples
from trustcart.conformance.web_bot_auth import conformance_dir
from trustcart.core.clock import FixedClock
from trustcart.store.checkout import CheckoutSessionRow
from trustcart.store.db import Database
from trustcart.store.vault import VaultChargeRow

CHECKOUT = "openapi.agentic_checkout.yaml"
_TEMPLATES = (
    (re.compile(r"^/checkout_sessions$"), "/checkout_sessions"),
    (
        re.compile(r"^/checkout_sessions/[^/]+/complete$"),
        "/checkout_sessions/{checkout_session_id}/complete",
    ),
    (
        re.compile(r"^/checkout_sessions/[^/]+/cancel$"),
        "/checkout_sessions/{checkout_session_id}/cancel",
    ),
    (re.compile(r"^/checkout_sessions/[^/]+$"), "/checkout_sessions/{checkout_session_id}"),
)


def _template(path: str) -> str:
    return next(template for pattern, template in _TEMPLATES if pattern.match(path))


def _checked_send(acp: HttpAcp, seen: list[str]) -> Send:
    def send(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        reply = acp.send(method, path, headers, body)
        schema = openapi_response_schema(CHECKOUT, method, _template(path), reply.status)
        errors = list(schema.iter_errors(reply.body))
        assert not errors, (method, path, reply.status, errors[0].message)
        assert reply.headers.get("request-id") == headers["Request-Id"]
        seen.append(f"{method} {_template(path)} {reply.status}")
        return reply

    return send


def test_every_example_replays_over_http(db: Database, tmp_path: Path, clock: FixedClock) -> None:
    with acp_installation(db, tmp_path / "home", clock) as acp:
        seen: list[str] = []
        replay = AcpReplay(_checked_send(acp, seen), acp.api_key, acp.mint, conformance_dir())
        results = list(replay.run())
        with db.read() as session:
            charges = session.scalar(select(func.count()).select_from(VaultChargeRow))
    failed = [(r.case_id, r.detail) for r in results if not r.passed]
    assert failed == []
    examples = load_examples(examples_dir(conformance_dir()))
    assert len(results) == len(examples) + 4
    assert len(examples) == 16
    # Every operation of the pinned OpenAPI answered and validated, errors included.
    assert {
        "POST /checkout_sessions 201",
        "POST /checkout_sessions 400",
        "POST /checkout_sessions 422",
        "POST /checkout_sessions/{checkout_session_id} 200",
        "GET /checkout_sessions/{checkout_session_id} 200",
        "POST /checkout_sessions/{checkout_session_id}/complete 200",
        "POST /checkout_sessions/{checkout_session_id}/complete 400",
        "POST /checkout_sessions/{checkout_session_id}/cancel 200",
        "POST /checkout_sessions/{checkout_session_id}/cancel 405",
    } <= set(seen)
    # The four completing examples paid once each; the denied 3DS one charged nothing.
    assert charges == 4


def test_a_broken_server_answer_fails_the_replay(tmp_path: Path, clock: FixedClock) -> None:
    """The replay can fail: an answer missing a required field is reported, not passed."""
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    db.create_all()
    try:
        with acp_installation(db, tmp_path / "home", clock) as acp:

            def send(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
                reply = acp.send(method, path, headers, body)
                if isinstance(reply.body, dict) and "status" in reply.body:
                    reply = Reply(reply.status, reply.headers, {**reply.body, "status": "bogus"})
                return reply

            results = list(AcpReplay(send, acp.api_key, acp.mint, conformance_dir()).run())
    finally:
        db.dispose()
    failed = {r.case_id for r in results if not r.passed}
    assert "agentic_checkout/create_checkout_session_request" in failed
    assert "protocol/key_required" not in failed  # errors carry no status field


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Authorization": "Bearer acp_sk_wrong"}, 401, "unauthorized"),
        ({"Authorization": ""}, 401, "unauthorized"),
        ({"API-Version": ""}, 400, "missing_api_version"),
        ({"API-Version": "2025-01-01"}, 400, "unsupported_api_version"),
    ],
)
def test_header_refusals_over_http(
    sqlite_db: Database,
    tmp_path: Path,
    clock: FixedClock,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    with acp_installation(sqlite_db, tmp_path / "home", clock) as acp:
        base = {
            "Authorization": f"Bearer {acp.api_key}",
            "API-Version": "2026-04-17",
            "Idempotency-Key": "k1",
            "Content-Type": "application/json",
        }
        sent = {k: v for k, v in {**base, **headers}.items() if v}
        reply = acp.send(
            "POST",
            "/checkout_sessions",
            sent,
            b'{"currency":"usd","line_items":[{"id":"item_123"}]}',
        )
        with sqlite_db.read() as session:
            stored = session.scalar(select(func.count()).select_from(CheckoutSessionRow))
    assert (reply.status, reply.body["code"]) == (status, code)
    assert openapi_response_schema(CHECKOUT, "POST", "/checkout_sessions", status).is_valid(
        reply.body
    )
    assert stored == 0
