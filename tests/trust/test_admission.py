"""The log admits only what it should: every row of the acceptance table, attacked over HTTP.

A genuine purchase is logged first, by the parties that really initiate each step. Then, for
every event type, records that try to get past the rule (backdated, future-dated, wrong role,
wrong party, mismatched or missing ids, another party's key) are sent to ``POST /records``:
each is refused with its stable code, and the log (size and signed head) is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trustcart.api.trust import create_trust_app
from trustcart.core.clock import FixedClock
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.trust.admission import (
    ADMISSION_RULES,
    LATE_DELIVERY,
    SKEW,
    RecordAdmission,
    RecordRefusal,
)
from trustcart.trust.attestations import AttestationService
from trustcart.trust.directory import InMemoryKeyDirectory
from trustcart.trust.errors import LogError, RecordRefused
from trustcart.trust.events import Chain, EventType, Participant, build_record, sign_record
from trustcart.trust.log import TransparencyLog

# party name -> (role, party id)
PARTIES = {
    "agent": ("agent", "agent:trustcart-assistant"),
    "other_agent": ("agent", "agent:other"),
    "alice": ("delegator", "user:alice"),
    "bob": ("delegator", "user:bob"),
    "merchant": ("merchant", "m_tea"),
    "other_merchant": ("merchant", "m_other"),
    "psp": ("psp", "psp:trustcart"),
    "other_psp": ("psp", "psp:other"),
    "status": ("status", "status:trustcart"),
    "log": ("log", "log:trustcart"),
}
KEYS = {name: SigningKey.generate() for name in PARTIES}
INTENT = Chain("int_1")
DELEGATION = Chain("int_1", "dlg_1")
ORDER = Chain("int_1", "dlg_1", "ord_1")
PAID = Chain("int_1", "dlg_1", "ord_1", "tr_1")
E = EventType


@dataclass
class Log:
    client: TestClient
    log: TransparencyLog
    clock: FixedClock
    counter: Iterator[int]

    def token(
        self,
        kind: EventType,
        chain: Chain,
        signer: str,
        *,
        claims: str | None = None,
        event_time: datetime | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """A record signed by ``signer``'s key; its participant says it is ``claims``."""
        role, party = PARTIES[claims or signer]
        me = Participant(role, party, KEYS[signer].kid)
        payload = build_record(
            event_type=kind,
            chain=chain,
            participants=[me],
            event_body={"n": next(self.counter)},
            now=created_at or self.clock.now(),
            random_bytes=lambda n: next(self.counter).to_bytes(n, "big"),
            event_time=event_time,
        )
        return sign_record(payload, KEYS[signer])

    def post(self, kind: EventType, chain: Chain, signer: str, **options: Any) -> Any:
        return self.client.post(
            "/records", json={"record": self.token(kind, chain, signer, **options)}
        )


def _trust_log(db: Database, clock: FixedClock) -> Iterator[Log]:
    directory = InMemoryKeyDirectory()
    for name, (role, party) in PARTIES.items():
        directory.register(KEYS[name].public, party_id=party, role=role)
    log = TransparencyLog(db, KEYS["log"], PARTIES["log"][1], clock)
    service = AttestationService(log, clock, admission=RecordAdmission(directory))
    app = create_trust_app(service, directory, clock, rate_limit="off")
    with TestClient(app) as client:
        yield Log(client, log, clock, iter(range(1, 1_000_000)))


@pytest.fixture
def trust_log(clock: FixedClock) -> Iterator[Log]:
    """The trust service on an in-memory SQLite log (the attack matrix is large)."""
    db = Database("sqlite://")
    db.create_all()
    try:
        yield from _trust_log(db, clock)
    finally:
        db.dispose()


@pytest.fixture
def trust_log_on_both(db: Database, clock: FixedClock) -> Iterator[Log]:
    """The same on the ``db`` fixture: SQLite file and PostgreSQL."""
    yield from _trust_log(db, clock)


GENUINE: list[tuple[EventType, Chain, str]] = [
    (E.INTENT_CREATED, INTENT, "agent"),
    (E.DELEGATION_ISSUED, DELEGATION, "alice"),
    (E.DECISION_LOGGED, DELEGATION, "agent"),
    (E.CART_CONFIRMED, ORDER, "merchant"),
    (E.TRANSACTION_COMPLETED, PAID, "psp"),
    (E.FULFILLMENT_COMPLETED, PAID, "merchant"),
    # Ids the attacks below try to mix up with the purchase's own.
    (E.INTENT_CREATED, Chain("int_2"), "agent"),
    (E.DELEGATION_ISSUED, Chain("int_1", "dlg_2"), "alice"),
]


def _log_genuine(log: Log) -> None:
    for kind, chain, signer in GENUINE:
        response = log.post(kind, chain, signer)
        assert response.status_code == 201, response.text
        log.clock.advance(timedelta(seconds=5))


def test_a_genuine_purchase_and_its_lifecycle_are_admitted(trust_log_on_both: Log) -> None:
    log = trust_log_on_both
    _log_genuine(log)
    for kind, signer in [
        (E.DELEGATION_SUSPENDED, "alice"),
        (E.DELEGATION_RESUMED, "status"),
        (E.DELEGATION_SUSPENDED, "agent"),
        (E.DELEGATION_RESUMED, "alice"),
        (E.DELEGATION_REVOKED, "agent"),
        (E.DELEGATION_REVOKED, "alice"),
        (E.DELEGATION_REVOKED, "status"),
        (E.DELEGATION_EXPIRED, "status"),
        (E.DELEGATION_EXPIRED, "agent"),
    ]:
        assert log.post(kind, DELEGATION, signer).status_code == 201, (kind, signer)
    # At the edges of the skew window, both ways.
    now = log.clock.now()
    for instant in (now - timedelta(minutes=5), now + timedelta(seconds=30)):
        response = log.post(E.DECISION_LOGGED, INTENT, "agent", event_time=instant)
        assert response.status_code == 201, response.text
    # A second order and a third intent, each by its own party.
    second = Chain("int_1", "dlg_1", "ord_2")
    assert log.post(E.CART_CONFIRMED, second, "other_merchant").status_code == 201
    assert log.post(E.INTENT_CREATED, Chain("int_3"), "other_agent").status_code == 201
    assert log.log.size() == len(GENUINE) + 9 + 2 + 2


def _late(log: Log) -> dict[str, Any]:
    return {"event_time": log.clock.now() - timedelta(minutes=5, seconds=1)}


def _early(log: Log) -> dict[str, Any]:
    return {"event_time": log.clock.now() + timedelta(seconds=31)}


def _old(log: Log) -> dict[str, Any]:
    return {"created_at": log.clock.now() - timedelta(minutes=6)}


def _beyond_delay(log: Log) -> dict[str, Any]:
    return {"event_time": log.clock.now() - SKEW.max_delay - timedelta(seconds=1)}


def _created_beyond_delay(log: Log) -> dict[str, Any]:
    return {"created_at": log.clock.now() - SKEW.max_delay - timedelta(minutes=1)}


def _as(claims: str) -> Any:
    return lambda _log: {"claims": claims}


def _plain(_log: Log) -> dict[str, Any]:
    return {}


R = RecordRefusal
# name -> (event type, chain, signer, options from the log's clock, expected code)
ATTACKS: dict[str, tuple[EventType, Chain, str, Any, RecordRefusal]] = {}
# For every row, a record the table admits; each attack changes one thing about it.
ADMITTED: dict[EventType, tuple[Chain, str]] = {}


def _attacks(
    kind: EventType,
    admitted: tuple[Chain, str],
    cases: dict[str, tuple[Chain, str, RecordRefusal] | tuple[Chain, str, Any, RecordRefusal]],
) -> None:
    chain, signer = ADMITTED[kind] = admitted
    # Records that come from their sender's outbox may be late, up to SKEW.max_delay.
    outbox = (kind, PARTIES[signer][0]) in LATE_DELIVERY
    every = {
        "backdated": (chain, signer, _beyond_delay if outbox else _late, R.TIME_SKEW),
        "future-dated": (chain, signer, _early, R.TIME_SKEW),
        "created-long-ago": (chain, signer, _created_beyond_delay if outbox else _old, R.TIME_SKEW),
    }
    for name, case in {**every, **cases}.items():
        full = case if len(case) == 4 else (case[0], case[1], _plain, case[2])
        ATTACKS[f"{kind.value.split(':')[-1]}/{name}"] = (kind, *full)


_attacks(
    E.INTENT_CREATED,
    (Chain("int_9"), "agent"),
    {
        "wrong-role": (Chain("int_9"), "merchant", R.ROLE_NOT_ALLOWED),
        "wrong-party": (INTENT, "other_agent", R.PARTY_MISMATCH),
        "extra-ids": (DELEGATION, "agent", R.CHAIN_IDS),
        "another-partys-key": (Chain("int_9"), "merchant", _as("agent"), R.PARTY_MISMATCH),
    },
)
_attacks(
    E.DELEGATION_ISSUED,
    (Chain("int_1", "dlg_9"), "alice"),
    {
        "wrong-role": (Chain("int_1", "dlg_9"), "agent", R.ROLE_NOT_ALLOWED),
        "wrong-party": (DELEGATION, "bob", R.PARTY_MISMATCH),
        "mismatched-ids": (Chain("int_2", "dlg_1"), "alice", R.CHAIN_MISMATCH),
        "missing-ids": (INTENT, "alice", R.CHAIN_IDS),
        "unknown-intent": (Chain("int_9", "dlg_9"), "alice", R.CHAIN_UNKNOWN),
        "another-partys-key": (Chain("int_1", "dlg_9"), "psp", _as("alice"), R.PARTY_MISMATCH),
    },
)
for lifecycle in (E.DELEGATION_SUSPENDED, E.DELEGATION_RESUMED, E.DELEGATION_REVOKED):
    _attacks(
        lifecycle,
        (DELEGATION, "status"),
        {
            "wrong-role-merchant": (DELEGATION, "merchant", R.ROLE_NOT_ALLOWED),
            "wrong-role-psp": (DELEGATION, "psp", R.ROLE_NOT_ALLOWED),
            "wrong-party-delegator": (DELEGATION, "bob", R.PARTY_MISMATCH),
            "wrong-party-agent": (DELEGATION, "other_agent", R.PARTY_MISMATCH),
            "mismatched-ids": (Chain("int_2", "dlg_1"), "status", R.CHAIN_MISMATCH),
            "unknown-delegation": (Chain("int_1", "dlg_9"), "status", R.CHAIN_UNKNOWN),
            "missing-ids": (INTENT, "status", R.CHAIN_IDS),
            "extra-ids": (ORDER, "status", R.CHAIN_IDS),
            "another-partys-key": (DELEGATION, "merchant", _as("status"), R.PARTY_MISMATCH),
        },
    )
_attacks(
    E.DELEGATION_EXPIRED,
    (DELEGATION, "status"),
    {
        "wrong-role-delegator": (DELEGATION, "alice", R.ROLE_NOT_ALLOWED),
        "wrong-role-merchant": (DELEGATION, "merchant", R.ROLE_NOT_ALLOWED),
        "wrong-party": (DELEGATION, "other_agent", R.PARTY_MISMATCH),
        "mismatched-ids": (Chain("int_2", "dlg_1"), "agent", R.CHAIN_MISMATCH),
        "unknown-delegation": (Chain("int_1", "dlg_9"), "status", R.CHAIN_UNKNOWN),
        "another-partys-key": (DELEGATION, "psp", _as("status"), R.PARTY_MISMATCH),
    },
)
_attacks(
    E.DECISION_LOGGED,
    (DELEGATION, "agent"),
    {
        "wrong-role": (DELEGATION, "merchant", R.ROLE_NOT_ALLOWED),
        "wrong-party": (DELEGATION, "other_agent", R.PARTY_MISMATCH),
        "unknown-intent": (Chain("int_9"), "agent", R.CHAIN_UNKNOWN),
        "mismatched-ids": (Chain("int_2", "dlg_1"), "agent", R.CHAIN_MISMATCH),
        "unknown-order": (Chain("int_1", "dlg_1", "ord_9"), "agent", R.CHAIN_UNKNOWN),
        "extra-ids": (PAID, "agent", R.CHAIN_IDS),
        "another-partys-key": (DELEGATION, "other_agent", _as("agent"), R.PARTY_MISMATCH),
    },
)
_attacks(
    E.CART_CONFIRMED,
    (Chain("int_1", "dlg_1", "ord_9"), "merchant"),
    {
        "wrong-role": (Chain("int_1", "dlg_1", "ord_9"), "psp", R.ROLE_NOT_ALLOWED),
        "wrong-party": (ORDER, "other_merchant", R.PARTY_MISMATCH),
        "mismatched-ids": (Chain("int_2", "dlg_1", "ord_1"), "merchant", R.CHAIN_MISMATCH),
        "order-of-another-delegation": (
            Chain("int_1", "dlg_2", "ord_1"),
            "merchant",
            R.CHAIN_MISMATCH,
        ),
        "missing-ids": (Chain("int_1", out_trade_no="ord_9"), "merchant", R.CHAIN_IDS),
        "unknown-delegation": (Chain("int_1", "dlg_9", "ord_9"), "merchant", R.CHAIN_UNKNOWN),
        "another-partys-key": (ORDER, "other_merchant", _as("merchant"), R.PARTY_MISMATCH),
    },
)
_attacks(
    E.TRANSACTION_COMPLETED,
    (PAID, "psp"),
    {
        "wrong-role": (PAID, "merchant", R.ROLE_NOT_ALLOWED),
        "wrong-party": (PAID, "other_psp", R.PARTY_MISMATCH),
        "second-trade-for-a-paid-order": (
            Chain("int_1", "dlg_1", "ord_1", "tr_9"),
            "psp",
            R.CHAIN_MISMATCH,
        ),
        "mismatched-ids": (Chain("int_1", "dlg_2", "ord_1", "tr_1"), "psp", R.CHAIN_MISMATCH),
        "unknown-order": (Chain("int_1", "dlg_1", "ord_9", "tr_9"), "psp", R.CHAIN_UNKNOWN),
        "missing-ids": (ORDER, "psp", R.CHAIN_IDS),
        "another-partys-key": (PAID, "merchant", _as("psp"), R.PARTY_MISMATCH),
    },
)
_attacks(
    E.FULFILLMENT_COMPLETED,
    (PAID, "merchant"),
    {
        "wrong-role": (PAID, "agent", R.ROLE_NOT_ALLOWED),
        "wrong-party": (PAID, "other_merchant", R.PARTY_MISMATCH),
        "mismatched-ids": (Chain("int_2", out_trade_no="ord_1"), "merchant", R.CHAIN_MISMATCH),
        "unknown-trade": (Chain("int_1", "dlg_1", "ord_1", "tr_9"), "merchant", R.CHAIN_UNKNOWN),
        "missing-ids": (DELEGATION, "merchant", R.CHAIN_IDS),
        "another-partys-key": (PAID, "other_merchant", _as("merchant"), R.PARTY_MISMATCH),
    },
)


def test_every_row_of_the_table_is_attacked() -> None:
    attacked = {kind for kind, *_ in ATTACKS.values()}
    assert attacked == set(ADMITTED) == set(ADMISSION_RULES) == set(EventType)
    kinds = {name.split("/")[1] for name in ATTACKS}
    assert {"backdated", "future-dated", "wrong-role", "wrong-party", "another-partys-key"} <= {
        k.removesuffix("-merchant")
        .removesuffix("-delegator")
        .removesuffix("-psp")
        .removesuffix("-agent")
        for k in kinds
    }


@pytest.mark.parametrize("kind", list(ADMITTED), ids=lambda k: k.value.split(":")[-1])
def test_the_record_each_attack_starts_from_is_admitted(trust_log: Log, kind: EventType) -> None:
    _log_genuine(trust_log)
    chain, signer = ADMITTED[kind]
    response = trust_log.post(kind, chain, signer)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("case", list(ATTACKS))
def test_records_that_try_to_get_past_the_rule_are_refused(trust_log: Log, case: str) -> None:
    kind, chain, signer, how, code = ATTACKS[case]
    _log_genuine(trust_log)
    size, head = trust_log.log.size(), trust_log.client.get("/tree-head").json()
    response = trust_log.post(kind, chain, signer, **how(trust_log))
    assert response.status_code in (403, 409, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code.value, response.text
    assert trust_log.log.size() == size
    assert trust_log.client.get("/tree-head").json() == head


def test_the_attack_measured_on_main_is_refused(trust_log_on_both: Log) -> None:
    # An unrelated party logs a backdated "revoked" to make a real purchase's evidence fail.
    log = trust_log_on_both
    _log_genuine(log)
    size = log.log.size()
    before = log.clock.now() - timedelta(minutes=1)
    for signer in ("other_merchant", "merchant", "psp", "other_agent", "bob"):
        response = log.post(E.DELEGATION_REVOKED, DELEGATION, signer, event_time=before)
        assert response.status_code == 403, (signer, response.text)
    backdated = log.clock.now() - timedelta(hours=1)
    response = log.post(E.DELEGATION_REVOKED, DELEGATION, "status", event_time=backdated)
    assert response.json()["code"] == "record-time-skew"
    assert log.log.size() == size


def test_an_unknown_key_is_refused(trust_log: Log) -> None:
    stranger = SigningKey.generate()
    record = build_record(
        event_type=E.INTENT_CREATED,
        chain=Chain("int_5"),
        participants=[Participant("agent", "agent:stranger", stranger.kid)],
        event_body={},
        now=trust_log.clock.now(),
        random_bytes=lambda n: bytes(range(n)),
    )
    response = trust_log.client.post("/records", json={"record": sign_record(record, stranger)})
    assert response.status_code == 401
    assert response.json()["code"] == "signature-invalid"
    assert trust_log.log.size() == 0


def test_in_process_recording_passes_the_same_rule(db: Database, clock: FixedClock) -> None:
    directory = InMemoryKeyDirectory()
    for name, (role, party) in PARTIES.items():
        directory.register(KEYS[name].public, party_id=party, role=role)
    log = TransparencyLog(db, KEYS["log"], "log:trustcart", clock)
    service = AttestationService(log, clock, admission=RecordAdmission(directory))
    merchant = Participant("merchant", "m_tea", KEYS["merchant"].kid)
    with pytest.raises(RecordRefused) as refused:
        service.record(E.DELEGATION_REVOKED, DELEGATION, [merchant], {}, KEYS["merchant"])
    assert refused.value.code == "record-role-not-allowed"
    assert log.size() == 0


def test_the_trust_service_will_not_run_without_an_admission_rule(
    db: Database, clock: FixedClock
) -> None:
    log = TransparencyLog(db, KEYS["log"], "log:trustcart", clock)
    with pytest.raises(LogError):
        create_trust_app(AttestationService(log, clock), InMemoryKeyDirectory(), clock)
