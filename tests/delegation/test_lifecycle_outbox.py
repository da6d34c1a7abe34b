"""The status service stages each lifecycle event in the transaction that makes the change:
a committed change always owes its signed event, a refused one owes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers.clock import T0
from tests.helpers.delegation import alice_key, make_iac
from tests.helpers.registration import delegator_keys, directory_with_delegator, register
from trustcart.core.clock import FixedClock
from trustcart.core.problem import ProblemError
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.lifecycle import Actor, Transition, sign_transition_request
from trustcart.delegation.service import DelegationService
from trustcart.delivery import outbox
from trustcart.delivery.messages import MessageKind
from trustcart.delivery.staging import EventOutbox
from trustcart.store.db import Database
from trustcart.store.outbox import OutboxRow
from trustcart.trust.events import EventType, Participant, verify_record

STATUS_KEY = SigningKey.generate()
STATUS = Participant("status", "status:trustcart", STATUS_KEY.kid)


@pytest.fixture
def service(db: Database, clock: FixedClock) -> DelegationService:
    svc = DelegationService(
        db,
        status_key=STATUS_KEY,
        clock=clock,
        staged_events=EventOutbox(STATUS, STATUS_KEY),
        delegator_keys=delegator_keys(directory_with_delegator(alice_key())),
    )
    register(svc, make_iac(T0), alice_key(), clock.now())
    return svc


def _owed(db: Database) -> list[tuple[EventType, dict[str, str], str]]:
    found = []
    with db.read() as session:
        for row in session.query(OutboxRow).order_by(OutboxRow.created_at):
            assert (row.kind, row.sender, row.subject) == (
                MessageKind.RECORD.value,
                STATUS.id,
                "dlg_test1",
            )
            record = verify_record(row.payload, {STATUS_KEY.kid: STATUS_KEY.public})
            assert record.initiator == STATUS
            assert record.record_id == row.message_id  # fixed before the commit
            found.append((record.event_type, record.chain.to_json(), record.event_body["to"]))
    return found


def test_each_change_owes_its_event_and_a_refused_one_owes_none(
    db: Database, service: DelegationService, clock: FixedClock
) -> None:
    def request(transition: Transition) -> str:
        return sign_transition_request(
            "dlg_test1", transition, key=alice_key(), actor=Actor.PRINCIPAL, now=clock.now()
        )

    service.apply(request(Transition.SUSPEND))
    with pytest.raises(ProblemError):
        service.apply(request(Transition.SUSPEND))  # already suspended: illegal, nothing owed
    chain = {"intent_id": "int_test1", "delegation_id": "dlg_test1"}
    assert _owed(db) == [(EventType.DELEGATION_SUSPENDED, chain, "Suspended")]
    clock.advance(timedelta(days=7))  # the credential's validity end
    assert service.expire_due() == ["dlg_test1"]
    assert _owed(db)[-1] == (EventType.DELEGATION_EXPIRED, chain, "Expired")
    assert len(outbox.pending_ids(db, subject="dlg_test1")) == 2
