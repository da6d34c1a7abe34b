"""Issue 13, delegate payment: vault tokens whose allowance the provider enforces on the ledger.

Over HTTP, on the real installation: a platform obtains a token at the PSP's
``/agentic_commerce/delegate_payment`` (answers validated against the pinned
``openapi.delegate_payment.yaml``) and completes an ACP checkout with it. Each attack (amount
above the allowance, another merchant, another session, after expiry, a one-time token used
twice) is refused with ``payment_declined`` and posts nothing: the ledger's entry count and the
merchant's balance are unchanged and the session is still payable with a good token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.helpers.acp import HttpAcp, acp_installation, delegate_body, openapi_response_schema
from trustcart.commerce.checkout_payment import ChargeRequest
from trustcart.conformance.acp_world import MERCHANT_ID
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.payments.ledger import merchant_account
from trustcart.payments.ledger_store import account_balance, check_balanced, entry_count
from trustcart.payments.vault import VaultDecline
from trustcart.store.db import Database
from trustcart.store.vault import VaultChargeRow

DELEGATE = "openapi.delegate_payment.yaml"
ADDRESS = {
    "name": "Ada Lovelace",
    "line_one": "1234 Chat Road",
    "city": "San Francisco",
    "state": "CA",
    "country": "US",
    "postal_code": "94131",
}


@pytest.fixture
def acp(db: Database, tmp_path: Path, clock: FixedClock) -> Iterator[HttpAcp]:
    with acp_installation(db, tmp_path / "home", clock) as installation:
        yield installation


class Platform:
    """What an ACP platform does, over HTTP, with a counter for fresh idempotency keys."""

    def __init__(self, acp: HttpAcp) -> None:
        self.acp = acp
        self.n = 0

    def post(self, path: str, body: dict[str, Any]) -> Any:
        self.n += 1
        headers = {
            "Authorization": f"Bearer {self.acp.api_key}",
            "API-Version": "2026-04-17",
            "Content-Type": "application/json",
            "Idempotency-Key": f"k{self.n}",
        }
        return self.acp.send("POST", path, headers, json.dumps(body).encode())

    def session(self) -> tuple[str, Money]:
        reply = self.post(
            "/checkout_sessions",
            {
                "currency": "usd",
                "line_items": [{"id": "item_123", "quantity": 2}],
                "fulfillment_details": {"name": "Ada", "address": ADDRESS},
            },
        )
        assert reply.status == 201, reply.body
        assert reply.body["status"] == "ready_for_payment"
        total = next(t["amount"] for t in reply.body["totals"] if t["type"] == "total")
        return reply.body["id"], Money(total, "USD")

    def complete(self, session_id: str, token: str) -> Any:
        body = {
            "buyer": {"first_name": "Ada", "email": "ada@example.com"},
            "payment_data": {
                "handler_id": "trustcart_delegated_card",
                "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
            },
        }
        return self.post(f"/checkout_sessions/{session_id}/complete", body)

    def token(self, session_id: str, amount: Money, **allowance: Any) -> str:
        body = delegate_body(self.acp.deployment.clock, session_id, amount)
        body["allowance"].update(allowance)
        self.n += 1
        response = self.acp.delegate(body, key=f"dp{self.n}")
        assert response.status_code == 201, response.text
        schema = openapi_response_schema(
            DELEGATE, "POST", "/agentic_commerce/delegate_payment", 201
        )
        assert schema.is_valid(response.json())
        return str(response.json()["id"])


def _ledger(acp: HttpAcp) -> tuple[int, Money, int]:
    with acp.deployment.db.transaction() as session:
        check_balanced(session)
        charges = session.scalar(select(func.count()).select_from(VaultChargeRow)) or 0
        return (
            entry_count(session),
            account_balance(session, merchant_account(MERCHANT_ID), "USD"),
            charges,
        )


def _refused(reply: Any, reason: VaultDecline) -> None:
    assert reply.status == 400, reply.body
    assert reply.body["code"] == "payment_declined"
    assert reply.body["type"] == "processing_error"
    assert str(reason) in reply.body["message"]


def test_each_attack_is_refused_and_posts_nothing(acp: HttpAcp) -> None:
    platform = Platform(acp)
    session_id, total = platform.session()
    other_session, _ = platform.session()
    before = _ledger(acp)

    attacks = [
        (platform.token(session_id, Money(total.minor - 1, "USD")), VaultDecline.OVER_ALLOWANCE),
        (platform.token(session_id, total, merchant_id="m_other"), VaultDecline.MERCHANT_MISMATCH),
        (platform.token(other_session, total), VaultDecline.SESSION_MISMATCH),
        (platform.token(session_id, total, currency="eur"), VaultDecline.CURRENCY_MISMATCH),
        ("vt_" + "A" * 43, VaultDecline.TOKEN_UNKNOWN),
    ]
    for token, reason in attacks:
        _refused(platform.complete(session_id, token), reason)
        assert _ledger(acp) == before

    # After expiry: a token valid for a minute, used two minutes later.
    late = platform.token(
        session_id,
        total,
        expires_at=(acp.deployment.clock.now() + timedelta(minutes=1)).isoformat(),
    )
    clock = acp.deployment.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=2))
    _refused(platform.complete(session_id, late), VaultDecline.EXPIRED)
    assert _ledger(acp) == before

    # The session is still payable: a good token pays it, once, on the ledger.
    good = platform.token(session_id, total)
    paid = platform.complete(session_id, good)
    assert paid.status == 200, paid.body
    assert paid.body["status"] == "completed"
    entries, balance, charges = _ledger(acp)
    assert (entries, balance, charges) == (before[0] + 1, before[1] + total, before[2] + 1)

    # Reuse: the spent one-time token for another order is refused, nothing posted.
    assert acp.deployment.acp is not None
    again = acp.deployment.acp.vault.charge(
        ChargeRequest(good, MERCHANT_ID, session_id, "ord_other", total, "k-reuse")
    )
    assert (again.approved, again.decline_code) == (False, VaultDecline.ALREADY_USED)
    # The same order asking again (a lost answer) gets the first answer, not a second charge.
    order = paid.body["order"]["id"]
    replay = acp.deployment.acp.vault.charge(
        ChargeRequest(good, MERCHANT_ID, session_id, order, total, "k-again")
    )
    assert replay.approved
    assert replay.trade_no is not None
    assert _ledger(acp) == (entries, balance, charges)


def test_delegate_payment_endpoint_rules(
    sqlite_db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    path = "/agentic_commerce/delegate_payment"
    with acp_installation(sqlite_db, tmp_path / "home", clock) as acp:
        body = delegate_body(clock, "cs_x", Money(2000, "USD"))
        first = acp.delegate(body, key="same", **{"Request-Id": "r1"})
        replay = acp.delegate(body, key="same")
        conflict = acp.delegate({**body, "metadata": {"other": "1"}}, key="same")
        no_key = acp.client.post(
            f"{acp.psp_url}{path}",
            content=json.dumps(body),
            headers={"Authorization": f"Bearer {acp.vault_key}", "API-Version": "2026-04-17"},
        )
        bad_card = acp.delegate(
            {**body, "payment_method": {**body["payment_method"], "number": "4242424242424241"}},
            key="luhn",
        )
        past = delegate_body(clock, "cs_x", Money(2000, "USD"), expires_in=timedelta(seconds=-1))
        expired = acp.delegate(past, key="past")
        stranger = acp.client.post(
            f"{acp.psp_url}{path}",
            content=json.dumps(body),
            headers={
                "Authorization": "Bearer psp_sk_nope",
                "API-Version": "2026-04-17",
                "Idempotency-Key": "x",
            },
        )
    assert first.status_code == 201
    assert first.headers["Request-Id"] == "r1"
    assert first.json()["id"].startswith("vt_")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert (conflict.status_code, conflict.json()["code"]) == (422, "idempotency_conflict")
    assert (no_key.status_code, no_key.json()["code"]) == (400, "idempotency_key_required")
    assert (bad_card.status_code, bad_card.json()["param"]) == (400, "$.payment_method.number")
    assert (expired.status_code, expired.json()["param"]) == (400, "$.allowance.expires_at")
    assert stranger.status_code == 401
    for response in (first, conflict, no_key, bad_card, expired):
        schema = openapi_response_schema(DELEGATE, "POST", path, response.status_code)
        assert schema.is_valid(response.json()), response.json()
    # The card number and CVC are stored nowhere.
    dump = "\n".join(sqlite_db.engine.raw_connection().iterdump())
    assert "4242424242424242" not in dump
    assert '"223"' not in dump


@settings(max_examples=15, deadline=None)
@given(max_amount=st.integers(1, 10_000), amount=st.integers(1, 10_000))
def test_a_charge_is_approved_exactly_within_the_allowance(
    tmp_path_factory: pytest.TempPathFactory, max_amount: int, amount: int
) -> None:
    from trustcart.conformance.acp_world import build_world
    from trustcart.core.clock import SystemClock

    home = tmp_path_factory.mktemp("vault")
    db = Database(f"sqlite:///{home / 'v.db'}")
    db.create_all()
    try:
        world = build_world(db, SystemClock(), "http://acp.invalid/acp", "http://psp.invalid")
        token = world.mint("cs_1", Money(max_amount, "USD"))
        result = world.vault.charge(
            ChargeRequest(token, MERCHANT_ID, "cs_1", "ord_1", Money(amount, "USD"), "k")
        )
        with db.transaction() as session:
            check_balanced(session)
            posted = entry_count(session)
    finally:
        db.dispose()
    assert result.approved is (amount <= max_amount)
    assert posted == (1 if result.approved else 0)
