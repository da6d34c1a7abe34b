"""``trustcart demo``'s ACP scene: an ACP agent checks out with a delegated token over HTTP.

An agent platform built for the Agentic Commerce Protocol (2026-04-17), knowing nothing about
ACT, is registered at a tea shop (``commerce.acp.platforms``) and at the payment provider's
vault; then, over real HTTP against the running servers, it creates a checkout session for a
pearl milk tea, updates the quantity, asks the PSP for a vault token limited to that session,
merchant and total (``POST /agentic_commerce/delegate_payment``) and completes the session
with it. The ledger shows the payment. Reusing the one-time token for a second session is
refused by the vault and nothing is posted. That session carries no ACT intent credential, so
it is an ordinary ACP checkout and leaves no evidence bundle.

Then the same checkout by an ACT-aware agent (docs/acp.md, "ACT on top"): Alice signs a
standing order (a BOUNDED IAC, her wallet binds a restricted payment token to it), an ACP
platform registered for her agent presents the IAC in ``ACT-Intent-Credential`` and completes
with that token. The provider pays it on its ACT path, so the log holds the merchant's
``cart-confirmed`` and the PSP's ``transaction-completed``, and the order's evidence bundle is
put together the way ``trustcart evidence ORDER`` does (``local.evidence.find_purchase``) and
verified with the others at the end of the demo.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select

from trustcart.commerce.acp.platforms import register_platform
from trustcart.core.clock import format_instant
from trustcart.crypto.jws import peek_payload
from trustcart.local.evidence import find_purchase
from trustcart.payments.ledger_store import entry_count
from trustcart.store.commerce import ProductRow

if TYPE_CHECKING:
    from trustcart.local.demo import Demo

ACP_MERCHANT = "m_pearl_house"
ACP_PRODUCT_TITLE = "Pearl Milk Tea"
VERSION = "2026-04-17"
ACT_REQUEST = "up to 2 milk teas this week, at most 30 CNY each, 60 CNY in total"
_ADDRESS = {
    "name": "Alice",
    "line_one": "1 Beishan Road",
    "city": "Hangzhou",
    "state": "ZJ",
    "country": "CN",
    "postal_code": "310007",
}
_CARD = {
    "type": "card",
    "card_number_type": "fpan",
    "number": "4242424242424242",
    "exp_month": "12",
    "exp_year": "2030",
    "display_card_funding_type": "credit",
    "display_last4": "4242",
}


class AcpAgent:
    """A minimal ACP client: one platform key at the merchant, one at the PSP."""

    def __init__(self, base_url: str, api_key: str, psp_url: str, vault_key: str) -> None:
        self.base_url, self.api_key, self.psp_url, self.vault_key = (
            base_url,
            api_key,
            psp_url,
            vault_key,
        )
        self.http = httpx.Client(timeout=20.0)

    def _post(
        self, url: str, key: str, body: dict[str, Any], extra: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.http.post(
            url,
            content=json.dumps(body),
            headers={
                "Authorization": f"Bearer {key}",
                "API-Version": VERSION,
                "Content-Type": "application/json",
                "Idempotency-Key": secrets.token_hex(8),
                **(extra or {}),
            },
        )

    def checkout(
        self, path: str, body: dict[str, Any], *, iac: str | None = None
    ) -> httpx.Response:
        """POST to the merchant's ACP checkout; ``iac``: the ACT intent credential to present."""
        extra = None if iac is None else {"ACT-Intent-Credential": iac}
        return self._post(f"{self.base_url}{path}", self.api_key, body, extra)

    def delegate(self, session_id: str, amount_minor: int, currency: str, expires: str) -> str:
        body = {
            "payment_method": _CARD,
            "allowance": {
                "reason": "one_time",
                "max_amount": amount_minor,
                "currency": currency.lower(),
                "checkout_session_id": session_id,
                "merchant_id": ACP_MERCHANT,
                "expires_at": expires,
            },
            "risk_signals": [{"type": "card_testing", "score": 2, "action": "authorized"}],
            "metadata": {"source": "trustcart demo"},
        }
        reply = self._post(
            f"{self.psp_url}/agentic_commerce/delegate_payment", self.vault_key, body
        )
        if reply.status_code != 201:
            raise RuntimeError(f"delegate_payment answered {reply.status_code}: {reply.text}")
        return str(reply.json()["id"])

    def close(self) -> None:
        self.http.close()


def _total(session: dict[str, Any]) -> int:
    return int(next(t["amount"] for t in session["totals"] if t["type"] == "total"))


def _pay_with(token: str) -> dict[str, Any]:
    return {
        "payment_data": {
            "handler_id": "trustcart_delegated_card",
            "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
        }
    }


def _product_id(demo: Demo) -> str:
    with demo.d.db.read() as session:
        product_id = session.scalars(
            select(ProductRow.product_id).where(
                ProductRow.merchant_id == ACP_MERCHANT, ProductRow.title == ACP_PRODUCT_TITLE
            )
        ).first()
    if product_id is None:  # pragma: no cover - the seed sells it
        raise RuntimeError(f"{ACP_MERCHANT} sells no {ACP_PRODUCT_TITLE}")
    return str(product_id)


def acp_checkout(demo: Demo) -> None:
    """The scene (module doc); raises if the ACP checkout does not pay exactly once."""
    d = demo.d
    if d.acp is None:  # pragma: no cover - every local deployment installs ACP
        raise RuntimeError("this deployment serves no ACP checkout")
    demo.console.rule("[bold]ACP (2026-04-17): an ACP agent pays with a delegated vault token")
    now = d.clock.now()
    product_id = _product_id(demo)
    with d.db.transaction() as session:
        registration = register_platform(session, ACP_MERCHANT, "demo ACP platform", now=now)
    _client, vault_key = d.acp.vault.register_client("demo ACP platform")
    agent = AcpAgent(d.acp.base_url(ACP_MERCHANT), registration.api_key, d.endpoints.psp, vault_key)
    try:
        created = agent.checkout(
            "/checkout_sessions",
            {
                "currency": "cny",
                "line_items": [{"id": product_id}],
                "fulfillment_details": {"name": "Alice", "address": _ADDRESS},
            },
        )
        if created.status_code != 201:
            raise RuntimeError(f"create answered {created.status_code}: {created.text}")
        session_id = str(created.json()["id"])
        demo.step(f"POST {agent.base_url}/checkout_sessions → 201 {session_id}")
        updated = agent.checkout(
            f"/checkout_sessions/{session_id}",
            {"line_items": [{"id": product_id, "quantity": 2}]},
        )
        if updated.status_code != 200:
            raise RuntimeError(f"update answered {updated.status_code}: {updated.text}")
        total = _total(updated.json())
        demo.step(f"update: 2 × {ACP_PRODUCT_TITLE}, total {total / 100:.2f} CNY")
        expires = format_instant(now + timedelta(minutes=30))
        token = agent.delegate(session_id, total, "CNY", expires)
        demo.step(f"PSP vault token for this session only, at most {total / 100:.2f} CNY")
        with d.db.read() as session:
            entries = entry_count(session)
        paid = agent.checkout(f"/checkout_sessions/{session_id}/complete", _pay_with(token))
        body = paid.json()
        if paid.status_code != 200 or body.get("status") != "completed":
            raise RuntimeError(f"complete answered {paid.status_code}: {paid.text}")
        with d.db.read() as session:
            posted = entry_count(session) - entries
        if posted != 1:
            raise RuntimeError(f"the ACP payment posted {posted} ledger entries, not 1")
        demo.step(f"complete → {body['status']}, order {body['order']['id']}: 1 ledger entry")
        again = agent.checkout(
            "/checkout_sessions",
            {
                "currency": "cny",
                "line_items": [{"id": product_id}],
                "fulfillment_details": {"name": "Alice", "address": _ADDRESS},
            },
        )
        second = str(again.json()["id"])
        reused = agent.checkout(f"/checkout_sessions/{second}/complete", _pay_with(token))
        with d.db.read() as session:
            if reused.status_code < 400 or entry_count(session) != entries + 1:
                raise RuntimeError("a one-time vault token was charged twice")
        error = reused.json()
        demo.refused(
            f"the same token on another session: {error['code']} ({error['message']}), "
            "nothing posted"
        )
        demo.result.refusals.append((str(error["code"]), str(error["message"])))
    finally:
        agent.close()
    acp_checkout_under_iac(demo, product_id)


def acp_checkout_under_iac(demo: Demo, product_id: str) -> None:
    """The ACT-on-ACP half of the scene (module doc); raises unless it pays once, on the ACT
    path, and its evidence bundle can be put together."""
    d = demo.d
    assert d.acp is not None
    demo.console.print(f'  Alice: "{ACT_REQUEST}" (her agent shops over ACP)')
    standing = demo.tools.authorize_standing_order(ACT_REQUEST)
    delegation = demo.tools.delegations[str(standing["delegation_id"])]
    iac = delegation.iac
    demo.step(f"Alice's wallet signs the BOUNDED IAC {iac.delegation_id} and binds a token to it")
    with d.db.transaction() as session:
        registration = register_platform(
            session, ACP_MERCHANT, "demo ACT platform", now=d.clock.now(), agent_id=iac.agent_id
        )
    agent = AcpAgent(d.acp.base_url(ACP_MERCHANT), registration.api_key, d.endpoints.psp, "")
    try:
        created = agent.checkout(
            "/checkout_sessions",
            {
                "currency": "cny",
                "line_items": [{"id": product_id}],
                "fulfillment_details": {"name": "Alice", "address": _ADDRESS},
            },
            iac=iac.token,
        )
        if created.status_code != 201:
            raise RuntimeError(f"create answered {created.status_code}: {created.text}")
        session_id = str(created.json()["id"])
        demo.step(f"create with ACT-Intent-Credential → 201 {session_id} (bound to the IAC)")
        with d.db.read() as session:
            entries = entry_count(session)
        paid = agent.checkout(
            f"/checkout_sessions/{session_id}/complete", _pay_with(delegation.payment_token)
        )
        body = paid.json()
        if paid.status_code != 200 or body.get("status") != "completed":
            raise RuntimeError(f"complete answered {paid.status_code}: {paid.text}")
        with d.db.read() as session:
            if entry_count(session) != entries + 1:
                raise RuntimeError("the ACP payment under the IAC did not post exactly once")
    finally:
        agent.close()
    order = str(peek_payload(body["metadata"]["act"]["cart"])["out_trade_no"])
    demo.step(
        f"complete → the ACT checks hold (IAC, status Active, cart within it); the provider "
        f"paid order {order} on its ACT path with the restricted token"
    )
    purchase = find_purchase(d, order)  # what `trustcart evidence ORDER` packages
    if purchase is None:
        raise RuntimeError(f"no evidence can be put together for ACP order {order}")
    demo.finish("acp", purchase)
