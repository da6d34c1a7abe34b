"""Records from an outbox may reach the log late; nothing else may, and a late lifecycle event
may not rewrite how a payment the log already holds reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from trustcart.core.clock import FixedClock
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.trust.admission import SKEW, RecordAdmission, RecordRefusal
from trustcart.trust.attestations import AttestationService, RecordedEvent
from trustcart.trust.directory import InMemoryKeyDirectory
from trustcart.trust.errors import RecordRefused
from trustcart.trust.events import Chain, EventType, Participant, build_record, sign_record
from trustcart.trust.log import TransparencyLog

E = EventType
PARTIES = {
    "agent": ("agent", "agent:a"),
    "alice": ("delegator", "user:alice"),
    "merchant": ("merchant", "m_tea"),
    "psp": ("psp", "psp:p"),
    "status": ("status", "status:s"),
}
KEYS = {name: SigningKey.generate() for name in (*PARTIES, "log")}
INTENT = Chain("int_1")
DELEGATION = Chain("int_1", "dlg_1")
ORDER = Chain("int_1", "dlg_1", "ord_1")
PAID = Chain("int_1", "dlg_1", "ord_1", "trd_1")


class Log:
    def __init__(self, service: AttestationService, clock: FixedClock) -> None:
        self.service, self.clock, self._n = service, clock, 0

    def send(self, kind: EventType, chain: Chain, signer: str, at: datetime) -> RecordedEvent:
        """A record ``signer`` built and signed at ``at``, reaching the log now."""
        role, party = PARTIES[signer]
        self._n += 1
        payload = build_record(
            event_type=kind,
            chain=chain,
            participants=[Participant(role, party, KEYS[signer].kid)],
            event_body={"n": self._n},
            now=at,
            random_bytes=lambda size: self._n.to_bytes(size, "big"),
        )
        token = sign_record(payload, KEYS[signer])
        return self.service.anchor(token, {k.kid: k.public for k in KEYS.values()})

    def refused(self, kind: EventType, chain: Chain, signer: str, at: datetime) -> str:
        with pytest.raises(RecordRefused) as caught:
            self.send(kind, chain, signer, at)
        return caught.value.code


@pytest.fixture
def log(clock: FixedClock) -> Iterator[Log]:
    db = Database("sqlite://")
    db.create_all()
    directory = InMemoryKeyDirectory()
    for name, (role, party) in PARTIES.items():
        directory.register(KEYS[name].public, party_id=party, role=role)
    log = TransparencyLog(db, KEYS["log"], "log:l", clock)
    yield Log(AttestationService(log, clock, admission=RecordAdmission(directory)), clock)
    db.dispose()


def _purchase_until_the_cart(log: Log) -> datetime:
    t0 = log.clock.now()
    log.send(E.INTENT_CREATED, INTENT, "agent", t0)
    log.send(E.DELEGATION_ISSUED, DELEGATION, "alice", t0)
    log.send(E.CART_CONFIRMED, ORDER, "merchant", t0)
    return t0


def test_a_payment_record_delivered_after_a_long_log_outage_is_admitted(log: Log) -> None:
    t0 = _purchase_until_the_cart(log)
    paid_at = t0 + timedelta(minutes=1)
    log.clock.advance(timedelta(hours=6))  # the log was down; the PSP's relay kept trying
    late = log.send(E.TRANSACTION_COMPLETED, PAID, "psp", paid_at)
    assert late.leaf_index == 3
    fulfilled = log.send(E.FULFILLMENT_COMPLETED, PAID, "merchant", paid_at)
    assert fulfilled.leaf_index == 4


def test_only_outbox_records_may_be_late(log: Log) -> None:
    t0 = _purchase_until_the_cart(log)
    log.clock.advance(timedelta(hours=1))
    # The agent and the delegator report live; what they send late is backdated.
    assert log.refused(E.DECISION_LOGGED, DELEGATION, "agent", t0) == RecordRefusal.TIME_SKEW
    assert log.refused(E.DELEGATION_REVOKED, DELEGATION, "alice", t0) == RecordRefusal.TIME_SKEW
    # An outbox record older than the delivery window is refused too, and none may be ahead.
    now = log.clock.now()
    too_old = now - SKEW.max_delay - timedelta(seconds=1)
    assert log.refused(E.TRANSACTION_COMPLETED, PAID, "psp", too_old) == RecordRefusal.TIME_SKEW
    ahead = now + SKEW.max_ahead + timedelta(seconds=1)
    assert log.refused(E.TRANSACTION_COMPLETED, PAID, "psp", ahead) == RecordRefusal.TIME_SKEW
    assert log.send(E.TRANSACTION_COMPLETED, PAID, "psp", now - SKEW.max_delay).leaf_index == 3


def test_a_late_lifecycle_event_cannot_land_before_a_payment_the_log_holds(log: Log) -> None:
    t0 = _purchase_until_the_cart(log)
    paid_at = t0 + timedelta(minutes=2)
    log.clock.set(paid_at)
    log.send(E.TRANSACTION_COMPLETED, PAID, "psp", paid_at)
    log.clock.advance(timedelta(hours=1))
    # A "revoked" dated before the payment would make a paid purchase's evidence fail.
    for kind in (E.DELEGATION_REVOKED, E.DELEGATION_SUSPENDED, E.DELEGATION_RESUMED):
        for at in (t0 + timedelta(minutes=1), paid_at):
            assert log.refused(kind, DELEGATION, "status", at) == RecordRefusal.TIME_SKEW
    # Dated after the payment, the status service's late event changes nothing it read.
    revoked = log.send(E.DELEGATION_REVOKED, DELEGATION, "status", paid_at + timedelta(seconds=1))
    assert not revoked.duplicate


def test_a_late_lifecycle_event_without_payments_is_admitted(log: Log) -> None:
    t0 = _purchase_until_the_cart(log)
    log.clock.advance(timedelta(hours=3))
    assert log.send(E.DELEGATION_SUSPENDED, DELEGATION, "status", t0).leaf_index == 3
    # On time, the rule is the one it always was (5 minutes back at most, whatever it says).
    on_time = log.clock.now() - timedelta(minutes=4)
    assert log.send(E.DELEGATION_RESUMED, DELEGATION, "status", on_time).leaf_index == 4
