"""TSD-CRD-LCM: every allowed transition, every forbidden one, signed status records, and
status-change requests that try to get past the table."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from tests.helpers.credit import CREDIT_SERVICE, ISSUER_KEY_ID, KEY_IDS, SUBJECT, World, build_world
from trustcart.core.clock import format_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.trust.credit.errors import IllegalCreditTransition, InvalidCreditObject
from trustcart.trust.credit.lifecycle import (
    TERMINAL,
    TRANSITIONS,
    Actor,
    CredentialStatus,
    CredentialStatusRecord,
    Transition,
    change_status,
    next_status,
    transition_allowed,
    transition_to,
    verify_status_record,
)
from trustcart.trust.credit.messages import sign_request
from trustcart.trust.credit.status_change import StatusChangeRequest, apply_status_change

S = CredentialStatus

# The ACT 2.1 §11 relation, written out independently of the table.
ALLOWED = {
    (S.PENDING, S.ACTIVE),
    (S.PENDING, S.REVOKED),
    (S.PENDING, S.EXPIRED),
    (S.ACTIVE, S.SUSPENDED),
    (S.ACTIVE, S.REVOKED),
    (S.ACTIVE, S.EXPIRED),
    (S.SUSPENDED, S.ACTIVE),
    (S.SUSPENDED, S.REVOKED),
    (S.SUSPENDED, S.EXPIRED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_the_table_allows_exactly_the_act_relation(current: S, target: S) -> None:
    assert transition_allowed(current, target) is ((current, target) in ALLOWED)


def test_terminal_states_have_no_way_out() -> None:
    assert {S.REVOKED, S.EXPIRED} == TERMINAL
    for status, transition, actor in itertools.product(TERMINAL, Transition, Actor):
        with pytest.raises(IllegalCreditTransition):
            next_status(status, transition, actor)


_ALL = list(itertools.product(S, Transition, Actor))


@pytest.mark.parametrize(("current", "transition", "actor"), _ALL)
def test_every_step_is_allowed_or_raises(current: S, transition: Transition, actor: Actor) -> None:
    entry = TRANSITIONS.get((current, transition))
    if entry is not None and actor in entry[1]:
        assert next_status(current, transition, actor) is entry[0]
        assert (current, entry[0]) in ALLOWED
    else:
        with pytest.raises(IllegalCreditTransition):
            next_status(current, transition, actor)


def test_who_may_do_what() -> None:
    assert next_status(S.PENDING, Transition.ISSUE, Actor.ISSUER) is S.ACTIVE
    assert next_status(S.ACTIVE, Transition.SUSPEND, Actor.SUBJECT) is S.SUSPENDED
    assert next_status(S.ACTIVE, Transition.REVOKE, Actor.CREDIT_SERVICE) is S.REVOKED
    assert next_status(S.SUSPENDED, Transition.RESUME, Actor.CREDIT_SERVICE) is S.ACTIVE
    assert next_status(S.ACTIVE, Transition.EXPIRE, Actor.SYSTEM) is S.EXPIRED
    for refused in (
        (S.SUSPENDED, Transition.RESUME, Actor.SUBJECT),  # cannot lift a risk suspension
        (S.ACTIVE, Transition.EXPIRE, Actor.SUBJECT),
        (S.PENDING, Transition.ISSUE, Actor.SUBJECT),
        (S.ACTIVE, Transition.SUSPEND, Actor.ISSUER),
    ):
        with pytest.raises(IllegalCreditTransition):
            next_status(*refused)


def test_transition_to_names_the_one_step_or_raises() -> None:
    assert transition_to(S.SUSPENDED, S.ACTIVE) is Transition.RESUME
    assert transition_to(S.PENDING, S.ACTIVE) is Transition.ISSUE
    with pytest.raises(IllegalCreditTransition):
        transition_to(S.REVOKED, S.ACTIVE)


def _change(
    world: World, record: CredentialStatusRecord, transition: Transition, actor: Actor
) -> CredentialStatusRecord:
    return change_status(
        record,
        transition,
        actor,
        reason_code="TEST",
        issuer_key=world.keys[world.credential.issuer_id],
        key_id=ISSUER_KEY_ID,
        now=world.now,
    )


def test_status_records_are_signed_and_versioned() -> None:
    world = build_world()
    assert world.status.status is S.ACTIVE
    assert world.status.status_version == 1
    verify_status_record(world.status, world.credential.issuer_id, world.ring)
    suspended = _change(world, world.status, Transition.SUSPEND, Actor.SUBJECT)
    resumed = _change(world, suspended, Transition.RESUME, Actor.CREDIT_SERVICE)
    assert (suspended.status, suspended.status_version) == (S.SUSPENDED, 2)
    assert (resumed.status, resumed.status_version) == (S.ACTIVE, 3)
    for record in (suspended, resumed):
        verify_status_record(record, world.credential.issuer_id, world.ring)


def test_an_illegal_change_raises_and_changes_nothing() -> None:
    world = build_world()
    revoked = _change(world, world.status, Transition.REVOKE, Actor.SUBJECT)
    before = revoked.to_json()
    for transition, actor in itertools.product(Transition, Actor):
        with pytest.raises(IllegalCreditTransition):
            _change(world, revoked, transition, actor)
    assert revoked.to_json() == before


def test_a_tampered_status_record_is_refused() -> None:
    world = build_world()
    suspended = _change(world, world.status, Transition.SUSPEND, Actor.SUBJECT)
    forged = CredentialStatusRecord.from_json(suspended.to_json() | {"status": "ACTIVE"})
    with pytest.raises(InvalidSignature):
        verify_status_record(forged, world.credential.issuer_id, world.ring)
    with pytest.raises(InvalidSignature):  # the right signature, but not the issuer's key
        verify_status_record(world.status, "issuer:world:other", world.ring)


def _request(
    world: World, target: str, by: str, *, signer: str | None = None, **changes: Any
) -> StatusChangeRequest:
    body: dict[str, Any] = {
        "requestId": f"status-change-{target.lower()}-001",
        "credentialId": world.credential.credential_id,
        "targetStatus": target,
        "reasonCode": "SUBJECT_REQUEST",
        "requestedBy": by,
        "requestedAt": format_instant(world.now - timedelta(seconds=10)),
        "antiReplay": {"nonce": f"status-change-nonce-{target.lower()}-01"},
        **changes,
    }
    signer = signer or by
    key_id = KEY_IDS.get(by, f"{by}#key-1")
    return StatusChangeRequest.from_json(sign_request(body, world.keys[signer], key_id))


def _apply(
    world: World,
    record: CredentialStatusRecord,
    request: StatusChangeRequest,
    used: frozenset[str] = frozenset(),
) -> CredentialStatusRecord:
    return apply_status_change(
        record,
        request,
        credential=world.credential,
        credit_service_id=CREDIT_SERVICE,
        keys=world.ring,
        used_replay_keys=used,
        issuer_key=world.keys[world.credential.issuer_id],
        issuer_key_id=ISSUER_KEY_ID,
        now=world.now,
    ).record


def test_the_subject_suspends_and_the_credit_service_resumes() -> None:
    world = build_world()
    suspended = _apply(world, world.status, _request(world, "SUSPENDED", SUBJECT))
    assert suspended.status is S.SUSPENDED
    with pytest.raises(IllegalCreditTransition):
        _apply(world, suspended, _request(world, "ACTIVE", SUBJECT))
    resumed = _apply(world, suspended, _request(world, "ACTIVE", CREDIT_SERVICE))
    assert resumed.status is S.ACTIVE


def test_status_change_requests_that_must_be_refused() -> None:
    world = build_world()
    record = world.status
    with pytest.raises(InvalidSignature):  # signed by someone else with the subject's key id
        _apply(world, record, _request(world, "SUSPENDED", SUBJECT, signer="attacker"))
    with pytest.raises(InvalidCreditObject, match="only the subject"):
        _apply(world, record, _request(world, "REVOKED", "relying-party:world:merchant"))
    with pytest.raises(InvalidCreditObject, match="another credential"):
        _apply(world, record, _request(world, "SUSPENDED", SUBJECT, credentialId="credential-x"))
    stale = format_instant(world.now - timedelta(hours=1))
    with pytest.raises(InvalidCreditObject, match="window"):
        _apply(world, record, _request(world, "SUSPENDED", SUBJECT, requestedAt=stale))
    request = _request(world, "SUSPENDED", SUBJECT)
    with pytest.raises(InvalidCreditObject, match="already used"):
        _apply(world, record, request, frozenset({request.replay_key}))
    revoked = _apply(world, record, _request(world, "REVOKED", SUBJECT))
    with pytest.raises(IllegalCreditTransition):  # the vector: REVOKED is terminal
        _apply(world, revoked, _request(world, "ACTIVE", CREDIT_SERVICE))
