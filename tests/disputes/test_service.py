"""The dispute service on SQLite and PostgreSQL: who may open, each outcome's ledger entry and
decision record, review on bad evidence, and one refund however often a dispute is decided."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers.bundles import build_bundle, valid_bundle
from tests.helpers.clock import T0
from tests.helpers.disputes import (
    ALICE,
    MERCHANT,
    ORDER,
    balances,
    dispute_service,
    seed_purchase,
)
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.disputes.errors import (
    DisputeConflict,
    DisputeForbidden,
    DisputeNotFound,
    IllegalDisputeTransition,
)
from trustcart.disputes.records import Opener, OpenerRole
from trustcart.store.db import Database
from trustcart.store.outbox import OutboxRow
from trustcart.store.payments import PaymentRow, RefundRow
from trustcart.trust.events import Chain, EventType

ALICE_OPENS = Opener(OpenerRole.PERSON, ALICE)
FULFILLED = (
    (EventType.FULFILLMENT_COMPLETED, Chain("int_1", "dlg_1", ORDER, "tr_1"), "merchant", 6.0),
)
PAID = Money(1900, "CNY")


@pytest.fixture
def store(db: Database) -> Database:
    seed_purchase(db)
    return db


def late_clock() -> FixedClock:
    return FixedClock(T0 + timedelta(minutes=30))


def decision_records(db: Database) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.scalars(select(OutboxRow)).all()
        payloads = [peek_payload(row.payload) for row in rows]
    return [p for p in payloads if p.get("event_type") == EventType.DECISION_LOGGED.value]


def test_delivered_as_confirmed_is_declined_and_logged(store: Database) -> None:
    service = dispute_service(store, late_clock(), build_bundle(extra_events=FULFILLED))
    before = balances(store)
    dispute = service.open(ORDER, ALICE_OPENS, "the tea never came")
    assert dispute["state"] == "decided"
    assert dispute["decision"]["outcome"] == "declined"
    assert dispute["decision"]["reason_code"] == "delivered-as-confirmed"
    assert balances(store) == before
    [record] = decision_records(store)
    assert record["event_body"]["decision_id"] == dispute["decision_id"]
    assert record["event_body"]["refund"] == "none"
    assert record["chain"] == {
        "intent_id": "int_1",
        "delegation_id": "dlg_1",
        "out_trade_no": ORDER,
        "trade_no": "tr_1",
    }
    assert record["participants"][0]["role"] == "psp"


def test_not_fulfilled_in_time_is_refunded_by_the_merchant(store: Database) -> None:
    service = dispute_service(store, late_clock(), valid_bundle())
    wallet, merchant, losses = balances(store)
    dispute = service.open(ORDER, ALICE_OPENS, "never delivered")
    assert dispute["decision"]["reason_code"] == "not-fulfilled-in-time"
    assert balances(store) == (wallet + PAID, merchant - PAID, losses)
    with store.read() as s:
        refund = s.scalars(select(RefundRow)).one()
        assert refund.reason == dispute["decision_id"]
        assert s.get(PaymentRow, "tr_1").status == "REFUNDED"  # type: ignore[union-attr]


def test_paid_outside_the_iac_is_refunded_by_the_psp_not_the_merchant(store: Database) -> None:
    def over_single(iac: dict[str, Any]) -> None:
        iac["ext"]["commerce"]["max_single_amount"] = "10.00"

    bundle = build_bundle(iac=over_single, extra_events=FULFILLED)
    service = dispute_service(store, late_clock(), bundle)
    wallet, merchant, losses = balances(store)
    dispute = service.open(ORDER, Opener(OpenerRole.MERCHANT, MERCHANT), "agent overspent")
    assert dispute["decision"]["outcome"] == "psp-refund"
    assert balances(store) == (wallet + PAID, merchant, losses + PAID)  # the PSP paid it in


def test_a_tampered_bundle_goes_to_review_and_moves_no_money(store: Database) -> None:
    bundle = valid_bundle()
    head, payload, signature = bundle["receipt"].split(".")
    bundle["receipt"] = f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    service = dispute_service(store, late_clock(), bundle)
    before = balances(store)
    dispute = service.open(ORDER, ALICE_OPENS, "never delivered")
    assert (dispute["state"], dispute["decision"]["reason_code"]) == (
        "review",
        "evidence-tampered",
    )
    assert balances(store) == before
    assert len(decision_records(store)) == 1  # review is logged too
    with pytest.raises(IllegalDisputeTransition):
        service.appeal(dispute["dispute_id"], ALICE_OPENS, "please decide")


def test_no_evidence_goes_to_review_from_opened(store: Database) -> None:
    dispute = dispute_service(store, late_clock(), None).open(ORDER, ALICE_OPENS, "where is it")
    assert (dispute["state"], dispute["decision"]["reason_code"]) == (
        "review",
        "evidence-incomplete",
    )


@pytest.mark.parametrize(
    "stranger",
    [
        Opener(OpenerRole.PERSON, "user:mallory"),
        Opener(OpenerRole.MERCHANT, "m_other"),
        Opener(OpenerRole.MERCHANT, ALICE),  # the payer's id, claimed as a merchant
        Opener(OpenerRole.PERSON, MERCHANT),  # the merchant's id, claimed as the payer
    ],
)
def test_nobody_but_the_payer_or_the_paid_merchant_may_open(
    store: Database, stranger: Opener
) -> None:
    service = dispute_service(store, late_clock(), valid_bundle())
    with pytest.raises(DisputeForbidden):
        service.open(ORDER, stranger, "refund me")
    assert service.all() == []
    dispute = service.open(ORDER, ALICE_OPENS, "never delivered")
    with pytest.raises(DisputeNotFound):
        service.show(dispute["dispute_id"], stranger)
    assert service.all(stranger) == []


def test_an_unpaid_order_and_a_second_claim_are_refused(store: Database) -> None:
    service = dispute_service(store, late_clock(), valid_bundle())
    with pytest.raises(DisputeNotFound):
        service.open("ord_unknown", ALICE_OPENS, "refund")
    service.open(ORDER, ALICE_OPENS, "never delivered")
    with pytest.raises(DisputeConflict):
        service.open(ORDER, Opener(OpenerRole.MERCHANT, MERCHANT), "again")


def test_deciding_twice_refunds_once_and_appeal_goes_to_a_person(store: Database) -> None:
    service = dispute_service(store, late_clock(), valid_bundle())
    dispute = service.open(ORDER, ALICE_OPENS, "never delivered")
    after = balances(store)
    again = service.resolve(dispute["dispute_id"])
    assert again == dispute
    assert balances(store) == after
    appealed = service.appeal(
        dispute["dispute_id"], Opener(OpenerRole.MERCHANT, MERCHANT), "we did deliver"
    )
    assert appealed["state"] == "appealed"
    with pytest.raises(IllegalDisputeTransition):
        service.appeal(dispute["dispute_id"], None, "twice")
    assert service.show(dispute["dispute_id"])["state"] == "appealed"


def test_concurrent_decisions_of_one_dispute_refund_once(store: Database) -> None:
    service = dispute_service(store, late_clock(), valid_bundle())
    with store.transaction() as s:  # an opened dispute, decided by two workers at once
        from trustcart.store.disputes import DisputeRow

        s.add(
            DisputeRow(
                dispute_id="dsp_race",
                out_trade_no=ORDER,
                trade_no="tr_1",
                merchant_id=MERCHANT,
                opened_by=ALICE,
                opener_role="person",
                reason="never delivered",
                state="opened",
                currency="CNY",
                created_at=T0,
                updated_at=T0,
            )
        )
    wallet, merchant, losses = balances(store)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def decide() -> None:
        start.wait()
        try:
            results.append(service.resolve("dsp_race"))
        except BaseException as e:  # a lost race may surface as a unique-key error
            errors.append(e)

    threads = [threading.Thread(target=decide) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results, errors
    assert {json.dumps(r["decision"], sort_keys=True) for r in results} == {
        json.dumps(service.show("dsp_race")["decision"], sort_keys=True)
    }
    assert balances(store) == (wallet + PAID, merchant - PAID, losses)
    with store.read() as s:
        assert len(s.scalars(select(RefundRow)).all()) == 1
    assert len(decision_records(store)) == 1
