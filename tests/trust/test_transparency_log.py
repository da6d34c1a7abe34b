"""The transparency log on SQLite and PostgreSQL: appends, heads, proofs, concurrency, anchors."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from trustcart.core.clock import FixedClock
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.store.trust import LogLeafRow
from trustcart.trust.attestations import AttestationService
from trustcart.trust.errors import DuplicateRecord, LogError, ProofRangeError
from trustcart.trust.events import (
    Chain,
    EventType,
    Participant,
    build_record,
    sign_record,
    verify_record,
)
from trustcart.trust.log import TransparencyLog
from trustcart.trust.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from trustcart.trust.treehead import verify_tree_head

LOG_KEY = SigningKey.generate()
LOG_KEYS = {LOG_KEY.kid: LOG_KEY.public}


@pytest.fixture
def log(db: Database, clock: FixedClock) -> TransparencyLog:
    return TransparencyLog(db, LOG_KEY, "log:test", clock)


def test_empty_log_head(log: TransparencyLog) -> None:
    head = verify_tree_head(log.tree_head(), LOG_KEYS)
    assert (head.log_id, head.tree_size, head.root_hash) == ("log:test", 0, EMPTY_ROOT)
    assert head.timestamp == "2026-11-29T08:00:00Z"


def test_appends_get_consecutive_indexes_and_heads_match(
    log: TransparencyLog, clock: FixedClock
) -> None:
    leaves = [f"leaf-{i}".encode() for i in range(7)]
    assert [log.append(leaf) for leaf in leaves] == list(range(7))
    assert log.size() == 7
    assert log.leaf(3) == b"leaf-3"
    clock.advance(timedelta(seconds=10))
    head = verify_tree_head(log.tree_head(), LOG_KEYS)
    assert head.tree_size == 7
    assert head.root_hash == merkle_root(leaves)
    assert head.timestamp == "2026-11-29T08:00:00Z"  # signed by the last append
    fresh = verify_tree_head(log.sign_tree_head(), LOG_KEYS)
    assert (fresh.tree_size, fresh.root_hash) == (7, head.root_hash)
    assert fresh.timestamp == "2026-11-29T08:00:10Z"
    assert log.tree_head() == log.signed_tree_heads()[-1]
    with pytest.raises(InvalidSignature):
        verify_tree_head(log.tree_head(), {SigningKey.generate().kid: SigningKey.generate().public})


def test_proofs_from_the_log_verify(log: TransparencyLog) -> None:
    leaves = [bytes([i]) * (i + 1) for i in range(11)]
    for leaf in leaves:
        log.append(leaf)
    for size in range(1, 12):
        root = merkle_root(leaves[:size])
        for index in range(size):
            verify_inclusion(
                index, size, leaf_hash(leaves[index]), log.inclusion_proof(index, size), root
            )
    for old in range(12):
        for new in range(old, 12):
            verify_consistency(
                old,
                new,
                merkle_root(leaves[:old]),
                merkle_root(leaves[:new]),
                log.consistency_proof(old, new),
            )


def test_proof_ranges_are_checked(log: TransparencyLog) -> None:
    log.append(b"a")
    log.append(b"b")
    for index, size in [(2, 2), (0, 3), (-1, 2), (0, 0)]:
        with pytest.raises(ProofRangeError):
            log.inclusion_proof(index, size)
    with pytest.raises(ProofRangeError):
        log.consistency_proof(1, 3)
    with pytest.raises(ProofRangeError):
        log.consistency_proof(2, 1)
    with pytest.raises(ProofRangeError):
        log.leaf(5)
    with pytest.raises(LogError):
        log.append("text")  # type: ignore[arg-type]


def test_tree_heads_are_stored(log: TransparencyLog) -> None:
    first = log.tree_head()
    log.append(b"x")
    second = log.tree_head()
    assert log.signed_tree_heads() == [first, second]


def test_two_logs_in_one_database_are_separate(db: Database, clock: FixedClock) -> None:
    a = TransparencyLog(db, LOG_KEY, "log:a", clock)
    b = TransparencyLog(db, LOG_KEY, "log:b", clock)
    assert a.append(b"1") == 0
    assert b.append(b"1") == 0
    assert a.append(b"2") == 1
    assert (a.size(), b.size()) == (2, 1)


def test_concurrent_appends_get_distinct_consecutive_indexes(
    db: Database, clock: FixedClock
) -> None:
    threads_count, per_thread = 6, 8
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads_count)

    def worker(n: int) -> None:
        # Each thread has its own log object, as separate processes would.
        log = TransparencyLog(db, LOG_KEY, "log:busy", clock)
        barrier.wait()
        try:
            for i in range(per_thread):
                index = log.append(f"{n}-{i}".encode())
                with lock:
                    results.append(index)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    total = threads_count * per_thread
    assert sorted(results) == list(range(total))
    log = TransparencyLog(db, LOG_KEY, "log:busy", clock)
    assert log.size() == total
    with db.transaction() as session:
        indexes = (
            session.execute(select(LogLeafRow.leaf_index).where(LogLeafRow.log_id == "log:busy"))
            .scalars()
            .all()
        )
    assert sorted(indexes) == list(range(total))


# -- attestation service ----------------------------------------------------------------------

MERCHANT = SigningKey.generate()


def _service(log: TransparencyLog, clock: FixedClock) -> AttestationService:
    counter = iter(range(1, 1_000_000))
    return AttestationService(log, clock, lambda n: next(counter).to_bytes(n, "big"))


def test_record_builds_signs_and_anchors(log: TransparencyLog, clock: FixedClock) -> None:
    service = _service(log, clock)
    me = Participant("merchant", "m_1", MERCHANT.kid)
    first = service.record(
        EventType.CART_CONFIRMED, Chain("int_1", "dlg_1", "ord_1"), [me], {"items": 1}, MERCHANT
    )
    second = service.record(
        EventType.CART_CONFIRMED, Chain("int_2", "dlg_2", "ord_2"), [me], {"items": 2}, MERCHANT
    )
    third = service.record(
        EventType.TRANSACTION_COMPLETED,
        Chain("int_1", "dlg_1", "ord_1", "tr_1"),
        [me],
        {"ok": True},
        MERCHANT,
    )
    assert (first.leaf_index, second.leaf_index, third.leaf_index) == (0, 1, 2)
    assert log.leaf(0) == first.record_jws.encode()
    verified = verify_record(first.record_jws, {MERCHANT.kid: MERCHANT.public})
    assert verified.record_id == first.record_id
    assert service.events_for(intent_id="int_1") == [first, third]
    assert service.events_for(out_trade_no="ord_2") == [second]
    assert service.events_for(intent_id="int_1", delegation_id="dlg_2") == []
    with pytest.raises(LogError):
        service.events_for()


def test_the_same_record_again_is_answered_with_its_entry(
    log: TransparencyLog, clock: FixedClock
) -> None:
    service = _service(log, clock)
    me = Participant("merchant", "m_1", MERCHANT.kid)
    event = service.record(EventType.DECISION_LOGGED, Chain("int_1"), [me], {}, MERCHANT)
    clock.advance(timedelta(minutes=1))
    again = service.anchor(event.record_jws, {MERCHANT.kid: MERCHANT.public})
    assert again.duplicate
    assert not event.duplicate
    assert (again.leaf_index, again.record_id, again.record_jws) == (
        event.leaf_index,
        event.record_id,
        event.record_jws,
    )
    assert log.size() == 1  # nothing appended


def test_another_record_under_a_known_id_is_refused(
    log: TransparencyLog, clock: FixedClock
) -> None:
    service = _service(log, clock)
    me = Participant("merchant", "m_1", MERCHANT.kid)
    event = service.record(EventType.DECISION_LOGGED, Chain("int_1"), [me], {}, MERCHANT)
    other = build_record(
        event_type=EventType.DECISION_LOGGED,
        chain=Chain("int_2"),
        participants=[me],
        event_body={},
        now=clock.now(),
        random_bytes=bytes,
        record_id=event.record_id,
    )
    with pytest.raises(DuplicateRecord) as caught:
        service.anchor(sign_record(other, MERCHANT), {MERCHANT.kid: MERCHANT.public})
    assert caught.value.leaf_index == event.leaf_index
    assert log.size() == 1  # nothing appended, nothing overwritten
    assert service.events_for(intent_id="int_2") == []


def test_anchor_verifies_before_appending(log: TransparencyLog, clock: FixedClock) -> None:
    service = _service(log, clock)
    me = Participant("merchant", "m_1", MERCHANT.kid)
    event = service.record(EventType.DECISION_LOGGED, Chain("int_1"), [me], {}, MERCHANT)
    header, payload, signature = event.record_jws.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(InvalidSignature):
        service.anchor(forged, {MERCHANT.kid: MERCHANT.public})
    assert log.size() == 1
