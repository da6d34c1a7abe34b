"""An ACP checkout under an ACT IAC leaves the ACT records and a bundle that verifies.

Over real HTTP (SQLite and PostgreSQL): an ACP platform registered for the IAC's agent creates a
session with ``ACT-Intent-Credential`` and completes it with the restricted payment token bound
to the IAC. The payment goes through the provider's ACT path, so the log holds the merchant's
``cart-confirmed`` and the PSP's ``transaction-completed`` for the order; ``find_purchase`` (what
``trustcart evidence ORDER`` calls) puts the bundle together from the merchant's session and the
person's delegation record, and ``trustcart verify --trusted-keys`` accepts it. Tampered
bundles are refused; a vault token presented for an IAC-bound session is declined with nothing
posted; an order under an IAC the person's records do not hold has no evidence.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.helpers.acp_platform import Platform
from tests.helpers.ucp_flow import milk_tea
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.assistant.memory import RecordKind
from trustcart.crypto.jws import peek_payload
from trustcart.delegation.iac import IAC
from trustcart.local import persona
from trustcart.local.evidence import find_purchase, write_evidence
from trustcart.local.memory import SqlMemory
from trustcart.payments.ledger_store import entry_count
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.events import EventType
from trustcart.trust.evidence import verify_bundle


def _merchant_of(world: UcpWorld, product_id: str) -> str:
    with world.deployment.db.read() as session:
        return str(
            session.scalars(
                select(ProductRow.merchant_id).where(ProductRow.product_id == product_id)
            ).one()
        )


def _remember(world: UcpWorld, iac: IAC, token: str) -> None:
    """What the person's wallet keeps when it signs an IAC (``assistant.records``)."""
    memory = SqlMemory(world.deployment.db, persona.IDENTITY, world.deployment.clock)
    memory.record(
        RecordKind.DELEGATION,
        iac.delegation_id,
        {
            "delegation_id": iac.delegation_id,
            "isr": world.isrs[iac.delegation_id].to_json(),
            "iac": iac.token,
            "payment_token": token,
        },
    )


def _entries(world: UcpWorld) -> int:
    with world.deployment.db.read() as session:
        return entry_count(session)


def _event_types(bundle: dict[str, Any]) -> list[str]:
    return [peek_payload(e["record"])["event_type"] for e in bundle["events"]]


def _cli_verify(path: Path, anchors: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from trustcart.cli.main import main; main()",
            "verify",
            str(path),
            "--trusted-keys",
            str(anchors),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_an_acp_order_under_an_iac_leaves_a_bundle_that_verifies(
    db: Database, tmp_path: Path
) -> None:
    with ucp_world(db, tmp_path) as world:
        product_id = milk_tea(world)["id"]
        merchant_id = _merchant_of(world, product_id)
        iac, act_token = world.credential()
        _remember(world, iac, act_token)
        platform = Platform(world, merchant_id, iac.agent_id)

        # A vault token is never charged for a session bound to an IAC (fail closed).
        session = platform.session(product_id, iac.token)
        before = _entries(world)
        declined = platform.complete(session)
        assert declined.status_code == 400, declined.text
        assert declined.json()["code"] == "payment_declined"
        assert "act-token-required" in declined.text
        assert _entries(world) == before

        paid = platform.complete(session, act_token)
        assert paid.status_code == 200, paid.text
        body = paid.json()
        assert body["status"] == "completed"
        assert _entries(world) == before + 1
        act = body["metadata"]["act"]
        receipt = peek_payload(act["receipt"])
        cart = peek_payload(act["cart"])
        assert receipt["delegation_id"] == iac.delegation_id
        assert receipt["mode"] == "L2"
        assert receipt["out_trade_no"] == cart["out_trade_no"]
        order = str(cart["out_trade_no"])

        deployment = world.deployment
        deployment.relay.run_once()  # any record still owed to the log
        purchase = find_purchase(deployment, order)
        assert purchase is not None
        assert find_purchase(deployment, str(receipt["trade_no"])) is not None  # by trade no
        path = tmp_path / "evidence" / "acp.json"
        anchors_path = write_evidence(deployment, purchase, path)
        bundle = json.loads(path.read_text("utf-8"))
        kinds = _event_types(bundle)
        for kind in (
            EventType.INTENT_CREATED,
            EventType.DELEGATION_ISSUED,
            EventType.CART_CONFIRMED,
            EventType.TRANSACTION_COMPLETED,
        ):
            assert kind.value in kinds
        run = _cli_verify(path, anchors_path)
        assert run.returncode == 0, run.stderr + run.stdout

        anchors = TrustAnchors.from_directory(deployment.directory.entries())
        assert verify_bundle(bundle, anchors=anchors).ok
        for tamper in _tamperings(bundle):
            assert not verify_bundle(tamper, anchors=anchors).ok

        # Another agent's order under an IAC the person's records do not hold: no evidence.
        stranger, stranger_token = world.credential()
        other = platform.complete(platform.session(product_id, stranger.token), stranger_token)
        assert other.status_code == 200, other.text
        other_order = peek_payload(other.json()["metadata"]["act"]["cart"])["out_trade_no"]
        assert find_purchase(deployment, str(other_order)) is None


def _tamperings(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Bundles that each change one thing a verifier must notice."""
    out = []
    dropped = copy.deepcopy(bundle)
    dropped["events"] = [
        e
        for e in dropped["events"]
        if peek_payload(e["record"])["event_type"] != EventType.TRANSACTION_COMPLETED.value
    ]
    out.append(dropped)
    head, payload, signature = bundle["receipt"].split(".")
    forged = copy.deepcopy(bundle)
    forged["receipt"] = ".".join(
        (head, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature)
    )
    out.append(forged)
    no_status = copy.deepcopy(bundle)
    no_status["status"] = bundle["iac"]  # another signed object in its place
    out.append(no_status)
    swapped = copy.deepcopy(bundle)
    swapped["cart"], swapped["receipt"] = bundle["receipt"], bundle["cart"]
    out.append(swapped)
    return out
