"""The outbox and its relay on SQLite and PostgreSQL: staged with the transaction or not at all,
retried with backoff, resumed after a crash, safe with two relays at once, and delivered to a
real log (in process and over HTTP) that answers a repeat with the entry it holds."""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from trustcart.api.trust import create_trust_app
from trustcart.core.clock import FixedClock
from trustcart.crypto.keys import SigningKey
from trustcart.delivery import outbox
from trustcart.delivery.backoff import Backoff
from trustcart.delivery.messages import MessageKind, MessageState, OutboxMessage, Outcome
from trustcart.delivery.relay import OutboxRelay
from trustcart.delivery.staging import stage_notice, stage_record
from trustcart.delivery.transports import HttpLogTransport, LocalLogTransport
from trustcart.local.servers import Servers, free_port
from trustcart.store.db import Database
from trustcart.trust.admission import RecordAdmission
from trustcart.trust.attestations import AttestationService
from trustcart.trust.directory import InMemoryKeyDirectory
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.log import TransparencyLog

SCHEDULE = Backoff(first=timedelta(seconds=2), cap=timedelta(minutes=1))
ZERO = bytes  # random_bytes giving zeros: jitter 0, every delay exactly half its ceiling


class Scripted:
    """A destination that answers from a script, then delivers; counts what it was given."""

    def __init__(self, *script: Outcome) -> None:
        self.script = list(script)
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    def deliver(self, message: OutboxMessage) -> Outcome:
        with self.lock:
            self.seen[message.message_id] += 1
            return self.script.pop(0) if self.script else Outcome.delivered()


class Exploding:
    def deliver(self, message: OutboxMessage) -> Outcome:
        raise RuntimeError("the transport has a bug")


def _notice(db: Database, clock: FixedClock, n: int, *, later: timedelta = timedelta(0)) -> str:
    with db.transaction() as session:
        return stage_notice(
            session,
            sender="psp:p",
            notice_id=f"ntc_{n}",
            merchant_id="m_tea",
            notice={"trade_no": f"trd_{n}"},
            now=clock.now(),
            subject=f"trd_{n}",
            first_try=clock.now() + later,
        )


def _relay(db: Database, clock: FixedClock, transport: object) -> OutboxRelay:
    return OutboxRelay(
        db,
        clock,
        {MessageKind.NOTICE: transport},  # type: ignore[dict-item]
        backoff=SCHEDULE,
        lease=timedelta(seconds=30),
        random_bytes=ZERO,
    )


def _read(db: Database, message_id: str) -> OutboxMessage:
    found = outbox.save(db, message_id, lambda message: message)
    assert found is not None
    return found


def test_a_message_exists_exactly_when_its_transaction_commits(
    db: Database, clock: FixedClock
) -> None:
    def fails_after_staging() -> None:
        with db.transaction() as session:
            stage_notice(
                session,
                sender="psp:p",
                notice_id="ntc_rolled_back",
                merchant_id="m_tea",
                notice={},
                now=clock.now(),
            )
            raise RuntimeError("the payment failed after staging")

    with pytest.raises(RuntimeError):
        fails_after_staging()
    assert outbox.pending_ids(db) == []
    _notice(db, clock, 1)
    assert outbox.pending_ids(db) == ["ntc_1"]


def test_due_messages_go_oldest_first_and_a_claim_keeps_others_off(
    db: Database, clock: FixedClock
) -> None:
    for n in (1, 2):
        _notice(db, clock, n)
        clock.advance(timedelta(seconds=1))
    _notice(db, clock, 3, later=timedelta(seconds=10))  # its writer tries it first
    kinds = [MessageKind.NOTICE]
    claimed = outbox.claim_due(db, clock.now(), kinds=kinds, lease=timedelta(seconds=30), limit=10)
    assert [m.message_id for m in claimed] == ["ntc_1", "ntc_2"]
    assert outbox.claim_due(db, clock.now(), kinds=kinds, lease=timedelta(1), limit=10) == []
    assert (
        outbox.claim_due(db, clock.now(), kinds=[MessageKind.RECORD], lease=timedelta(1), limit=9)
        == []
    )
    clock.advance(timedelta(seconds=30))  # the claiming relay died: the lease ran out
    again = outbox.claim_due(db, clock.now(), kinds=kinds, lease=timedelta(1), limit=10)
    assert [m.message_id for m in again] == ["ntc_1", "ntc_2", "ntc_3"]


def test_a_failing_destination_is_retried_with_backoff_until_it_takes_the_message(
    db: Database, clock: FixedClock
) -> None:
    _notice(db, clock, 1)
    down = Scripted(Outcome.retry("merchant down"), Outcome.retry("merchant down"))
    relay = _relay(db, clock, down)
    assert relay.run_once().retrying == ["ntc_1"]
    first = _read(db, "ntc_1")
    assert (first.attempts, first.last_error) == (1, "merchant down")
    assert first.next_attempt_at == clock.now() + timedelta(seconds=1)  # half of 2 s
    assert relay.run_once().to_json() == {"delivered": 0, "retrying": 0, "refused": 0}
    clock.advance(timedelta(seconds=1))
    assert relay.run_once().retrying == ["ntc_1"]
    assert _read(db, "ntc_1").next_attempt_at == clock.now() + timedelta(seconds=2)
    clock.advance(timedelta(seconds=2))
    # A relay built afresh (the process restarted) resumes from what the table says.
    restarted = _relay(db, clock, down)
    assert restarted.run_once().delivered == ["ntc_1"]
    done = _read(db, "ntc_1")
    assert (done.state, done.attempts, done.delivered_at) == (
        MessageState.DELIVERED,
        3,
        clock.now(),
    )
    assert down.seen["ntc_1"] == 3
    clock.advance(timedelta(days=1))
    assert restarted.run_once().delivered == []  # delivered once is delivered


def test_refusals_are_final_and_exceptions_are_retried(db: Database, clock: FixedClock) -> None:
    _notice(db, clock, 1)
    _notice(db, clock, 2)
    refusing = Scripted(Outcome.refused("record-party-mismatch: not yours"))
    report = _relay(db, clock, refusing).run_once(limit=1)
    assert report.refused == ["ntc_1"]
    clock.advance(timedelta(days=1))
    broken = _relay(db, clock, Exploding())
    assert broken.run_once().retrying == ["ntc_2"]  # the refused one is never tried again
    assert "RuntimeError" in (_read(db, "ntc_2").last_error or "")
    assert _read(db, "ntc_1").state is MessageState.REFUSED
    status = broken.status().to_json()
    assert status["counts"]["notice"] == {"pending": 1, "delivered": 0, "refused": 1}  # type: ignore[index]


def test_the_writers_first_try_ignores_the_schedule(db: Database, clock: FixedClock) -> None:
    _notice(db, clock, 1, later=timedelta(seconds=10))
    _notice(db, clock, 2, later=timedelta(seconds=10))
    relay = _relay(db, clock, Scripted())
    assert relay.run_once().delivered == []  # not yet due to other relays
    assert relay.deliver_subject("trd_2").delivered == ["ntc_2"]
    assert relay.deliver(["ntc_1", "ntc_2", "ntc_unknown"]).delivered == ["ntc_1"]


def test_two_relays_at_once_deliver_everything_and_agree(db: Database, clock: FixedClock) -> None:
    for n in range(40):
        _notice(db, clock, n)
    destination = Scripted(*[Outcome.retry("busy")] * 10)
    relays = [
        OutboxRelay(db, clock, {MessageKind.NOTICE: destination}, backoff=SCHEDULE, batch=7)
        for _ in range(2)
    ]
    for _ in range(4):
        threads = [threading.Thread(target=relay.run_once) for relay in relays]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        clock.advance(timedelta(minutes=2))
    assert outbox.pending_ids(db) == []
    assert set(destination.seen) == {f"ntc_{n}" for n in range(40)}
    assert sum(destination.seen.values()) == 40 + 10  # claims kept the relays apart
    status = relays[0].status()
    assert status.counts["notice"]["delivered"] == 40
    assert status.oldest_pending is None


# -- the log as destination ----------------------------------------------------------------

KEYS = {name: SigningKey.generate() for name in ("agent", "alice", "merchant", "psp", "log")}
ROLES = {
    "agent": ("agent", "agent:a"),
    "alice": ("delegator", "user:alice"),
    "merchant": ("merchant", "m_tea"),
    "psp": ("psp", "psp:p"),
}


@dataclass
class TrustWorld:
    db: Database
    clock: FixedClock
    attestations: AttestationService
    directory: InMemoryKeyDirectory

    def stage(self, kind: EventType, chain: Chain, party: str) -> str:
        role, party_id = ROLES[party]
        with self.db.transaction() as session:
            return stage_record(
                session,
                sender=party_id,
                event_type=kind,
                chain=chain,
                participants=[Participant(role, party_id, KEYS[party].kid)],
                body={"party": party},
                key=KEYS[party],
                now=self.clock.now(),
                random_bytes=os.urandom,
                subject=chain.out_trade_no,
            )

    def resolve(self, kid: str) -> object:
        entry = self.directory.resolve(kid)
        return entry.public_key if entry else None


@pytest.fixture
def trust(db: Database, clock: FixedClock) -> TrustWorld:
    directory = InMemoryKeyDirectory()
    for name, (role, party) in ROLES.items():
        directory.register(KEYS[name].public, party_id=party, role=role)
    log = TransparencyLog(db, KEYS["log"], "log:l", clock)
    service = AttestationService(log, clock, admission=RecordAdmission(directory))
    return TrustWorld(db, clock, service, directory)


ORDER = Chain("int_1", "dlg_1", "ord_1")
PAID = Chain("int_1", "dlg_1", "ord_1", "trd_1")


def _stage_purchase(trust: TrustWorld) -> list[str]:
    # The PSP's record is owed first: it waits, retried, until the merchant's cart-confirmed
    # (which introduces the order) and the agent's and delegator's records are in the log.
    return [
        trust.stage(EventType.TRANSACTION_COMPLETED, PAID, "psp"),
        trust.stage(EventType.CART_CONFIRMED, ORDER, "merchant"),
        trust.stage(EventType.DELEGATION_ISSUED, Chain("int_1", "dlg_1"), "alice"),
        trust.stage(EventType.INTENT_CREATED, Chain("int_1"), "agent"),
    ]


def test_records_wait_for_the_records_they_build_on(trust: TrustWorld) -> None:
    ids = _stage_purchase(trust)
    transport = LocalLogTransport(trust.attestations, trust.resolve)  # type: ignore[arg-type]
    relay = OutboxRelay(
        trust.db, trust.clock, {MessageKind.RECORD: transport}, backoff=SCHEDULE, random_bytes=ZERO
    )
    for _ in range(4):  # each pass admits what the log can place now
        relay.run_once()
        trust.clock.advance(timedelta(minutes=1))
    assert outbox.pending_ids(trust.db) == []
    events = trust.attestations.events_for(intent_id="int_1")
    assert sorted(e.record_id for e in events) == sorted(ids)
    assert [e.event_type for e in events][-1] is EventType.TRANSACTION_COMPLETED
    # Delivered twice (a relay died after the log wrote it): answered with the same entry.
    psp_record = _read(trust.db, ids[0])
    again = transport.deliver(psp_record)
    assert (again.verdict.value, again.detail) == ("delivered", f"leaf {events[-1].leaf_index}")
    assert trust.attestations.log.size() == 4


def test_the_log_over_http_while_down_then_up(trust: TrustWorld) -> None:
    ids = _stage_purchase(trust)
    port = free_port()
    app = create_trust_app(trust.attestations, trust.directory, trust.clock, rate_limit="off")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5.0) as client:
        relay = OutboxRelay(
            trust.db,
            trust.clock,
            {MessageKind.RECORD: HttpLogTransport(client)},
            backoff=SCHEDULE,
            random_bytes=ZERO,
        )
        down = relay.run_once()  # nothing listens on the port: the log is unreachable
        assert sorted(down.retrying) == sorted(ids)
        assert "log unreachable" in (_read(trust.db, ids[0]).last_error or "")
        with Servers({"trust": app}, {"trust": port}):
            for _ in range(5):
                trust.clock.advance(timedelta(minutes=1))
                relay.run_once()
            assert outbox.pending_ids(trust.db) == []
            # The log answers a record it holds with its entry (200), not an error.
            token = _read(trust.db, ids[0]).payload
            repeat = client.post("/records", json={"record": token})
            assert repeat.status_code == 200, repeat.text
            assert repeat.json()["duplicate"] is True
            assert repeat.json()["record_id"] == ids[0]
    assert trust.attestations.log.size() == 4


def test_a_record_the_log_will_never_take_is_refused_for_good(trust: TrustWorld) -> None:
    # Signed by the merchant's key but claiming to be the PSP: the log's party check refuses.
    with trust.db.transaction() as session:
        record_id = stage_record(
            session,
            sender="m_tea",
            event_type=EventType.INTENT_CREATED,
            chain=Chain("int_9"),
            participants=[Participant("agent", "agent:a", KEYS["merchant"].kid)],
            body={},
            key=KEYS["merchant"],
            now=trust.clock.now(),
            random_bytes=os.urandom,
        )
    transport = LocalLogTransport(trust.attestations, trust.resolve)  # type: ignore[arg-type]
    relay = OutboxRelay(trust.db, trust.clock, {MessageKind.RECORD: transport})
    assert relay.run_once().refused == [record_id]
    assert "record-party-mismatch" in (_read(trust.db, record_id).last_error or "")
    assert trust.attestations.log.size() == 0
