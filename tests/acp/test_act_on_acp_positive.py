"""ACT on ACP with real credentials, over real HTTP (SQLite and PostgreSQL).

Alice's wallet signs IACs that the status service knows (``tests.helpers.ucp_world``: the same
deployment serves ACP at ``/acp/<merchant_id>`` on the merchant app). An ACP platform registered
for the IAC's agent creates a session with the ``ACT-Intent-Credential`` header and pays it with
the restricted payment token bound to the IAC: it completes when the cart is within the IAC and
the status is Active, with the merchant-signed cart in ``metadata.act``; over the single limit,
at a merchant the IAC does not allow, or after the wallet revoked the IAC, ``complete`` is ACP's
``iac_refused`` and nothing is posted. (Its evidence bundle: ``test_act_on_acp_evidence.py``.)
"""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select

from tests.helpers.acp_platform import Platform
from tests.helpers.ucp_flow import milk_tea
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.delegation.lifecycle import Transition
from trustcart.delegation.terms import CommerceConstraints
from trustcart.payments.ledger_store import entry_count
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database


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
        iac, act_token = world.credential()
        platform = Platform(world, merchant_id, iac.agent_id)

        before = _entries(world)
        paid = platform.complete(platform.session(product_id, iac.token), act_token)
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
