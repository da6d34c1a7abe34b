"""The basket record (trustcart-basket/1): it verifies for a paid basket, and each way of
forging it (a cart dropped, swapped or added, another approval, unanchored or misanchored keys,
a receipt of another cart) fails with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.basket import MARKET, Baskets, approve_basket, basket_world
from tests.helpers.payments import MERCHANT
from trustcart.core.clock import FixedClock
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.trust.anchors import Anchor, TrustAnchors
from trustcart.trust.basket_record import basket_record, verify_basket_record


@pytest.fixture
def paid(sqlite_db: Database, clock: FixedClock) -> tuple[Baskets, dict[str, Any]]:
    baskets = basket_world(sqlite_db, clock)
    baskets.world.directory.register(
        baskets.world.alice.public, party_id="user:alice", role="delegator"
    )
    carts = baskets.hotpot()
    body = baskets.request(carts)
    outcome = baskets.pay(body)
    assert outcome.ok, outcome.body
    record = basket_record(
        iac=baskets.world.iac.token,
        approval=body["approval"],
        carts=carts,
        receipts=[p["receipt"] for p in outcome.body["payments"]],
        now=baskets.world.now,
    )
    return baskets, record


def _anchors(baskets: Baskets) -> TrustAnchors:
    return TrustAnchors.from_directory(baskets.world.directory.entries())


def test_a_paid_basket_record_verifies(paid: tuple[Baskets, dict[str, Any]]) -> None:
    baskets, record = paid
    report = verify_basket_record(record, _anchors(baskets))
    assert report.ok, report.reason
    assert str(report.total) == "180.00 CNY"


def test_without_the_delegator_anchored_nothing_verifies(
    paid: tuple[Baskets, dict[str, Any]],
) -> None:
    baskets, record = paid
    others = [a for a in _anchors(baskets).anchors if "delegator" not in a.roles]
    assert not verify_basket_record(record, TrustAnchors(tuple(others))).ok


def test_a_merchant_key_anchored_for_another_merchant_proves_nothing(
    paid: tuple[Baskets, dict[str, Any]],
) -> None:
    baskets, record = paid
    anchors = [
        Anchor(a.key, MERCHANT, a.roles) if a.party_id == MARKET else a
        for a in _anchors(baskets).anchors
    ]
    report = verify_basket_record(record, TrustAnchors(tuple(anchors)))
    assert not report.ok
    assert "another merchant" in report.reason


def _forge(baskets: Baskets, record: dict[str, Any], how: str) -> dict[str, Any]:
    forged = dict(record)
    if how == "cart dropped":
        forged["carts"], forged["receipts"] = record["carts"][:1], record["receipts"][:1]
    elif how == "receipts swapped":
        forged["receipts"] = list(reversed(record["receipts"]))
    elif how == "cart replaced":
        other = baskets.cart(MARKET, "60.00")
        forged["carts"] = [record["carts"][0], other]
    elif how == "approval of another set":
        forged["approval"] = approve_basket(
            baskets.world.alice, baskets.hotpot(), baskets.world.now
        )
    elif how == "approval by a stranger":
        forged["approval"] = approve_basket(
            SigningKey.generate(), record["carts"], baskets.world.now
        )
    elif how == "approved amount changed":
        forged["approval"] = approve_basket(
            baskets.world.alice,
            record["carts"],
            baskets.world.now,
            amount={"amount": "10.00", "currency": "CNY"},
        )
    elif how == "wrong format":
        forged["format"] = "trustcart-evidence/1"
    elif how == "garbage":
        forged["iac"] = "not.a.jws"
    return forged


@pytest.mark.parametrize(
    "how",
    [
        "cart dropped",
        "receipts swapped",
        "cart replaced",
        "approval of another set",
        "approval by a stranger",
        "approved amount changed",
        "wrong format",
        "garbage",
    ],
)
def test_a_forged_record_fails_with_a_reason(
    paid: tuple[Baskets, dict[str, Any]], how: str
) -> None:
    baskets, record = paid
    report = verify_basket_record(_forge(baskets, record, how), _anchors(baskets))
    assert not report.ok
    assert report.reason
