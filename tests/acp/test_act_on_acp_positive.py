"""ACT on ACP with real credentials, over real HTTP (SQLite and PostgreSQL).

Alice's wallet signs IACs that the status service knows (``tests.helpers.ucp_world``: the same
deployment serves ACP at ``/acp/<merchant_id>`` on the merchant app). An ACP platform registered
for the IAC's agent creates a session with the ``ACT-Intent-Credential`` header and pays it with
a vault token: it completes when the cart is within the IAC and the status is Active, with the
merchant-signed cart in ``metadata.act``; over the single limit, at a merchant the IAC does not
allow, or after the wallet revoked the IAC, ``complete`` is ACP's ``iac_refused`` and nothing is
posted. (The evidence bundle of such a payment is not built yet: docs/acp.md.)
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from tests.helpers.acp import delegate_body
from tests.helpers.ucp_flow import milk_tea
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.commerce.acp.platforms import register_platform
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.delegation.lifecycle import Transition
from trustcart.delegation.terms import CommerceConstraints
from trustcart.payments.ledger_store import entry_count
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

ADDRESS = {
    "name": "Alice",
    "line_one": "1 Beishan Road",
    "city": "Hangzhou",
    "state": "ZJ",
    "country": "CN",
    "postal_code": "310007",
}


class Platform:
    def __init__(self, world: UcpWorld, merchant_id: str, agent_id: str) -> None:
        d = world.deployment
        assert d.acp is not None
        with d.db.transaction() as session:
            registration = register_platform(
                session, merchant_id, "ACT platform", now=d.clock.now(), agent_id=agent_id
            )
        _client, self.vault_key = d.acp.vault.register_client("ACT platform")
        self.api_key = registration.api_key
        self.base = d.acp.base_url(merchant_id)
        self.psp = d.endpoints.psp
        self.merchant_id = merchant_id
        self.world = world
        self.http = world.client

    def post(self, url: str, key: str, body: Any, **headers: str) -> httpx.Response:
        return self.http.post(
            url,
            content=json.dumps(body),
            headers={
                "Authorization": f"Bearer {key}",
                "API-Version": "2026-04-17",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
                **headers,
            },
        )

    def session(self, product_id: str, iac: str) -> dict[str, Any]:
        body = {
            "currency": "cny",
            "line_items": [{"id": product_id}],
            "fulfillment_details": {"name": "Alice", "address": ADDRESS},
        }
        created = self.post(
            f"{self.base}/checkout_sessions", self.api_key, body, **{"ACT-Intent-Credential": iac}
        )
        assert created.status_code == 201, created.text
        session: dict[str, Any] = created.json()
        return session

    def complete(self, session: dict[str, Any]) -> httpx.Response:
        total = next(t["amount"] for t in session["totals"] if t["type"] == "total")
        clock = self.world.deployment.clock
        allowance = delegate_body(clock, session["id"], Money(total, "CNY"), self.merchant_id)
        minted = self.post(
            f"{self.psp}/agentic_commerce/delegate_payment", self.vault_key, allowance
        )
        assert minted.status_code == 201, minted.text
        payment = {
            "payment_data": {
                "handler_id": "trustcart_delegated_card",
                "instrument": {
                    "type": "card",
                    "credential": {"type": "spt", "token": minted.json()["id"]},
                },
            }
        }
        return self.post(
            f"{self.base}/checkout_sessions/{session['id']}/complete", self.api_key, payment
        )


def _entries(world: UcpWorld) -> int:
    with world.deployment.db.read() as session:
        return entry_count(session)


def _refused(answer: httpx.Response, reason: str) -> None:
    assert answer.status_code == 400, answer.text  # docs/acp.md: 400 (503 if status unknown)
    error = answer.json()
    assert error["code"] == "iac_refused"
    assert set(error) <= {"type", "code", "message", "param"}
    assert reason in error["message"] or reason in answer.text


def test_an_iac_within_its_limits_pays_and_the_refusals_post_nothing(
    db: Database, tmp_path: Path
) -> None:
    with ucp_world(db, tmp_path) as world:
        product_id = milk_tea(world)["id"]
        with world.deployment.db.read() as session:
            merchant_id = session.scalars(
                select(ProductRow.merchant_id).where(ProductRow.product_id == product_id)
            ).one()
        iac, _ = world.credential()
        platform = Platform(world, merchant_id, iac.agent_id)

        before = _entries(world)
        paid = platform.complete(platform.session(product_id, iac.token))
        assert paid.status_code == 200, paid.text
        body = paid.json()
        assert body["status"] == "completed"
        cart = peek_payload(body["metadata"]["act"]["cart"])
        assert cart["delegation_id"] == iac.delegation_id
        assert cart["merchant_id"] == merchant_id
        assert _entries(world) == before + 1

        refusals = []
        tight = CommerceConstraints(max_single=Money.parse("1.00", "CNY"))
        over, _ = world.credential(commerce=tight)
        refusals.append((over, "over-single-limit"))
        elsewhere, _ = world.credential(
            commerce=CommerceConstraints(allowed_merchants=("m_nowhere",))
        )
        refusals.append((elsewhere, "merchant-not-allowed"))
        revoked, _ = world.credential()
        refusals.append((revoked, "revoked"))
        sessions = [(platform.session(product_id, c.token), reason) for c, reason in refusals]
        world.wallet.transition(revoked.delegation_id, Transition.REVOKE)
        before = _entries(world)
        for checkout, reason in sessions:
            _refused(platform.complete(checkout), reason)
        assert _entries(world) == before
