"""An ACP agent platform that presents an ACT intent credential, over real HTTP (tests).

``Platform(world, merchant_id, agent_id)`` registers an ACP platform for the IAC's agent at the
merchant and a client at the PSP's vault of a ``tests.helpers.ucp_world`` deployment; it creates
sessions with the ``ACT-Intent-Credential`` header and completes them with a vault token (no
``token``) or with the restricted ACT payment token bound to the IAC (``token``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.helpers.acp import delegate_body
from tests.helpers.ucp_world import UcpWorld
from trustcart.commerce.acp.platforms import register_platform
from trustcart.core.money import Money

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

    def vault_token(self, session: dict[str, Any]) -> str:
        """A one-time vault token for this session, its merchant and its total."""
        total = next(t["amount"] for t in session["totals"] if t["type"] == "total")
        clock = self.world.deployment.clock
        allowance = delegate_body(clock, session["id"], Money(total, "CNY"), self.merchant_id)
        minted = self.post(
            f"{self.psp}/agentic_commerce/delegate_payment", self.vault_key, allowance
        )
        assert minted.status_code == 201, minted.text
        return str(minted.json()["id"])

    def complete(self, session: dict[str, Any], token: str | None = None) -> httpx.Response:
        """Complete with ``token``, or a fresh vault token for the session."""
        token = token or self.vault_token(session)
        payment = {
            "payment_data": {
                "handler_id": "trustcart_delegated_card",
                "instrument": {
                    "type": "card",
                    "credential": {"type": "spt", "token": token},
                },
            }
        }
        return self.post(
            f"{self.base}/checkout_sessions/{session['id']}/complete", self.api_key, payment
        )
