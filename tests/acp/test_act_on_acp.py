"""ACT on ACP, failing closed: a session bound to an IAC that does not hold is never paid.

A platform sends an ``ACT-Intent-Credential`` header on create; ``complete`` then runs the ACT
checks before any charge. A credential that is not a valid IAC of this platform's agent is
refused with ACP's ``iac_refused`` and nothing reaches the ledger, though the vault token is
good; the same session without a credential would have been paid (tests/acp/test_delegate_payment).
The positive path (a real IAC, its evidence bundle) is not tested here yet (docs/acp.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.acp import acp_installation
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.payments.ledger_store import entry_count
from trustcart.store.db import Database

FORGED = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJtYWxsb3J5In0.c2ln"


@pytest.mark.parametrize("credential", [FORGED, "not-a-jws"])
def test_a_bad_credential_is_refused_at_complete_and_nothing_is_charged(
    sqlite_db: Database, tmp_path: Path, clock: FixedClock, credential: str
) -> None:
    with acp_installation(sqlite_db, tmp_path / "home", clock) as acp:
        headers = {
            "Authorization": f"Bearer {acp.api_key}",
            "API-Version": "2026-04-17",
            "Content-Type": "application/json",
            "ACT-Intent-Credential": credential,
        }
        body = {
            "currency": "usd",
            "line_items": [{"id": "item_123"}],
            "fulfillment_details": {
                "name": "Ada",
                "address": {
                    "name": "Ada",
                    "line_one": "1 Main St",
                    "city": "San Francisco",
                    "state": "CA",
                    "country": "US",
                    "postal_code": "94131",
                },
            },
        }
        created = acp.send(
            "POST",
            "/checkout_sessions",
            {**headers, "Idempotency-Key": "c1"},
            json.dumps(body).encode(),
        )
        assert created.status == 201, created.body
        session_id = created.body["id"]
        total = next(t["amount"] for t in created.body["totals"] if t["type"] == "total")
        token = acp.mint(session_id, Money(total, "USD"))
        with sqlite_db.read() as session:
            before = entry_count(session)
        complete = {
            "payment_data": {
                "handler_id": "trustcart_delegated_card",
                "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
            }
        }
        reply = acp.send(
            "POST",
            f"/checkout_sessions/{session_id}/complete",
            {**headers, "Idempotency-Key": "c2"},
            json.dumps(complete).encode(),
        )
        with sqlite_db.read() as session:
            after = entry_count(session)
    assert reply.status == 400, reply.body
    assert reply.body["code"] == "iac_refused"
    assert after == before
