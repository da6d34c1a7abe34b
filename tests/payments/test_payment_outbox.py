"""A payment and what it owes commit together: its ``transaction-completed`` record (built and
signed by the PSP inside the transaction) and the merchant's notice are staged with it, tried
right after the commit, and stay owed when that fails; a refusal owes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers.payments import AGENT, MERCHANT, PSP_ID, World, make_world
from trustcart.core.clock import FixedClock
from trustcart.delivery import outbox
from trustcart.delivery.messages import MessageKind, MessageState, OutboxMessage, Outcome
from trustcart.payments.errors import PaymentProblem
from trustcart.payments.provider import PaymentProvider
from trustcart.store.db import Database
from trustcart.store.outbox import OutboxRow
from trustcart.trust.events import EventType, verify_record


class Log:
    """A log that is down until told otherwise, and keeps what it was given."""

    def __init__(self) -> None:
        self.up = False
        self.records: list[str] = []

    def deliver(self, message: OutboxMessage) -> Outcome:
        if not self.up:
            return Outcome.retry("log unreachable")
        self.records.append(message.payload)
        return Outcome.delivered()


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    return make_world(db, clock)


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def psp(world: World, log: Log) -> PaymentProvider:
    return PaymentProvider(
        world.db,
        psp_id=PSP_ID,
        signing_key=world.psp_key,
        directory=world.directory,
        status_checker=world.status,
        notifier=world.notifier,
        clock=world.clock,
        log=log,
    )


def _rows(db: Database) -> list[OutboxRow]:
    with db.read() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.kind)))


def test_the_payment_owes_its_record_and_notice_from_its_commit(
    world: World, psp: PaymentProvider, log: Log
) -> None:
    body = world.request()
    paid = psp.submit_payment(agent_id=AGENT, idempotency_key="k1", request=body)
    assert paid.status == 200, paid.body
    trade_no = paid.body["trade_no"]
    notice, record = _rows(world.db)
    assert (notice.kind, notice.destination, notice.state) == ("notice", MERCHANT, "delivered")
    assert [n["trade_no"] for _, n in world.notifier.delivered] == [trade_no]
    assert (record.kind, record.destination, record.subject) == ("record", "log", trade_no)
    assert (record.state, record.attempts, record.last_error) == ("pending", 1, "log unreachable")
    verified = verify_record(record.payload, {world.psp_key.kid: world.psp_key.public})
    assert verified.record_id == record.message_id  # fixed inside the payment's transaction
    assert verified.event_type is EventType.TRANSACTION_COMPLETED
    assert verified.chain.trade_no == trade_no
    assert verified.event_time == world.now
    # The log comes back: the agent's retry (same key) also tries what the trade still owes.
    log.up = True
    retry = psp.submit_payment(agent_id=AGENT, idempotency_key="k1", request=body)
    assert retry.replayed
    assert log.records == [record.payload]
    assert outbox.pending_ids(world.db) == []


def test_a_refused_payment_owes_nothing(world: World, psp: PaymentProvider) -> None:
    big = world.request(world.cart(unit_price="999.00"))
    refused = psp.submit_payment(agent_id=AGENT, idempotency_key="k1", request=big)
    assert refused.code in (PaymentProblem.OVER_BUDGET, PaymentProblem.OVER_SINGLE_LIMIT)
    assert _rows(world.db) == []


def test_what_the_first_try_missed_the_relay_delivers_with_backoff(
    world: World, psp: PaymentProvider, log: Log
) -> None:
    world.notifier.fail = True
    paid = psp.submit_payment(agent_id=AGENT, idempotency_key="k1", request=world.request())
    assert paid.status == 200  # neither the log nor the merchant was there
    assert psp.relay.run_once().to_json()["retrying"] == 0  # not due yet: backing off
    log.up, world.notifier.fail = True, False
    world.clock.advance(timedelta(minutes=1))
    report = psp.relay.run_once()
    assert sorted(report.delivered) == sorted(m.message_id for m in _rows(world.db))
    assert {m.state for m in _rows(world.db)} == {MessageState.DELIVERED.value}
    with world.db.read() as session:
        kinds = session.execute(select(OutboxRow.kind, func.count()).group_by(OutboxRow.kind)).all()
    assert sorted(kinds) == [(MessageKind.NOTICE.value, 1), (MessageKind.RECORD.value, 1)]
