"""Registering a credential needs the delegator's own key and a fresh proof of possession, on
SQLite and PostgreSQL. Each test tries to register an IAC "by user:alice" without being Alice
(or without proving it now) and checks that nothing was registered.

Before ``delegation.registration`` the status service took the key to verify with from the
request itself, so an IAC "by user:alice" signed with anyone's key was registered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers.clock import T0
from tests.helpers.delegation import alice_key, make_iac
from tests.helpers.registration import delegator_keys, proof_for, register
from trustcart.core.clock import FixedClock
from trustcart.core.problem import ProblemError
from trustcart.core.typs import IAC_TYP
from trustcart.crypto.jws import peek_payload, sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.iac import IAC
from trustcart.delegation.lifecycle import (
    Actor,
    CredentialStatus,
    Transition,
    sign_transition_request,
)
from trustcart.delegation.service import DelegationService
from trustcart.store.db import Database
from trustcart.store.delegation import DelegationRow
from trustcart.trust.directory import InMemoryKeyDirectory

STATUS_KEY = SigningKey.generate()
BOB = SigningKey.generate()  # another person, with a delegator key of his own


@pytest.fixture
def directory() -> InMemoryKeyDirectory:
    directory = InMemoryKeyDirectory()
    directory.register(alice_key().public, party_id="user:alice", role="delegator")
    directory.register(BOB.public, party_id="user:bob", role="delegator")
    return directory


@pytest.fixture
def service(db: Database, clock: FixedClock, directory: InMemoryKeyDirectory) -> DelegationService:
    return DelegationService(
        db, status_key=STATUS_KEY, clock=clock, delegator_keys=delegator_keys(directory)
    )


def registered(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(DelegationRow)) or 0)


def refusal(action: Callable[[], object]) -> tuple[str, int]:
    with pytest.raises(ProblemError) as caught:
        action()
    return caught.value.code, caught.value.status


def test_alice_registers_her_own_credential(service: DelegationService, db: Database) -> None:
    register(service, make_iac(T0), alice_key(), T0)
    assert service.status("dlg_test1").status is CredentialStatus.ACTIVE
    assert registered(db) == 1


def test_another_persons_key_cannot_register_for_alice(
    service: DelegationService, db: Database
) -> None:
    # Bob's key is a real delegator key, but Bob's: it does not speak for user:alice.
    iac = make_iac(T0, key=BOB)
    assert iac.delegator_identity == "user:alice"
    assert refusal(lambda: register(service, iac, BOB, T0)) == ("delegator-key-unknown", 403)
    assert registered(db) == 0


def test_a_strangers_key_cannot_register_for_alice(
    service: DelegationService, db: Database
) -> None:
    mallory = SigningKey.generate()
    iac = make_iac(T0, key=mallory)
    assert refusal(lambda: register(service, iac, mallory, T0)) == ("delegator-key-unknown", 403)
    assert registered(db) == 0


def test_a_forged_iac_naming_alices_key_is_refused(
    service: DelegationService, db: Database
) -> None:
    # Mallory puts Alice's kid in the header and signs with her own key.
    mallory = SigningKey.generate()
    payload = peek_payload(make_iac(T0).token)
    forged = sign_compact(payload, mallory, typ=IAC_TYP, extra_header={"kid": alice_key().kid})
    proof = proof_for(forged, alice_key(), T0)  # even with Alice's own proof
    assert refusal(lambda: service.register(forged, proof)) == ("iac-invalid", 400)
    assert registered(db) == 0


@pytest.mark.parametrize("state", ["revoked", "expired", "not yet valid", "agent role"])
def test_alices_key_only_while_the_directory_trusts_it_as_hers(
    db: Database, clock: FixedClock, state: str
) -> None:
    directory = InMemoryKeyDirectory()
    windows = {
        "expired": {"not_after": T0 - timedelta(seconds=1)},
        "not yet valid": {"not_before": T0 + timedelta(seconds=1)},
    }
    role = "agent" if state == "agent role" else "delegator"
    directory.register(
        alice_key().public, party_id="user:alice", role=role, **windows.get(state, {})
    )
    if state == "revoked":
        directory.revoke(alice_key().kid)
    service = DelegationService(
        db, status_key=STATUS_KEY, clock=clock, delegator_keys=delegator_keys(directory)
    )
    assert refusal(lambda: register(service, make_iac(T0), alice_key(), T0)) == (
        "delegator-key-unknown",
        403,
    )
    assert registered(db) == 0


def _proofs(iac: IAC) -> dict[str, str]:
    """Proofs that are not Alice's proof of possession, now, for this IAC."""
    return {
        "signed by another key": proof_for(iac, SigningKey.generate(), T0),
        "signed by bob": proof_for(iac, BOB, T0),
        "for another IAC": proof_for(iac, alice_key(), T0, digest="sha-256:" + "A" * 43),
        "for another delegation": proof_for(iac, alice_key(), T0, delegation_id="dlg_other"),
        "stale": proof_for(iac, alice_key(), T0 - timedelta(minutes=5, seconds=1)),
        "from the future": proof_for(iac, alice_key(), T0 + timedelta(minutes=5, seconds=1)),
        "a transition request": sign_transition_request(
            iac.delegation_id, Transition.RESUME, key=alice_key(), actor=Actor.PRINCIPAL, now=T0
        ),
        "the IAC itself": iac.token,
        "not a JWS": "proof",
    }


@pytest.mark.parametrize("case", list(_proofs(make_iac(T0))))
def test_a_registration_without_alices_fresh_proof_is_refused(
    service: DelegationService, db: Database, case: str
) -> None:
    iac = make_iac(T0)
    proof = _proofs(iac)[case]
    assert refusal(lambda: service.register(iac.token, proof)) == ("not-authorized", 401)
    assert registered(db) == 0


def test_a_proof_within_five_minutes_is_fresh(service: DelegationService, db: Database) -> None:
    iac = make_iac(T0)
    service.register(iac.token, proof_for(iac, alice_key(), T0 - timedelta(minutes=5)))
    assert registered(db) == 1


def test_a_replayed_registration_is_refused(
    service: DelegationService, db: Database, clock: FixedClock
) -> None:
    iac = make_iac(T0)
    proof = proof_for(iac, alice_key(), T0)
    service.register(iac.token, proof)
    clock.advance(timedelta(seconds=30))
    assert refusal(lambda: service.register(iac.token, proof)) == ("not-authorized", 401)
    assert registered(db) == 1


def test_a_proof_is_used_up_even_by_a_refused_registration(
    service: DelegationService, db: Database
) -> None:
    # Registered already: a second registration (a new proof) is refused as a duplicate, and
    # its proof stays used up, like a refused transition request.
    register(service, make_iac(T0), alice_key(), T0)
    proof = proof_for(make_iac(T0), alice_key(), T0, nonce="n-once")
    assert refusal(lambda: service.register(make_iac(T0).token, proof)) == ("iac-invalid", 409)
    assert refusal(lambda: service.register(make_iac(T0).token, proof)) == ("not-authorized", 401)
    assert registered(db) == 1


def test_principal_transitions_use_the_directorys_keys(
    service: DelegationService, directory: InMemoryKeyDirectory, clock: FixedClock
) -> None:
    register(service, make_iac(T0), alice_key(), T0)
    alice_new = SigningKey.generate()
    directory.register(alice_new.public, party_id="user:alice", role="delegator")

    def move(transition: Transition, key: SigningKey) -> None:
        service.apply(
            sign_transition_request(
                "dlg_test1", transition, key=key, actor=Actor.PRINCIPAL, now=clock.now()
            )
        )

    move(Transition.SUSPEND, alice_new)  # a key Alice added later speaks for her
    assert refusal(lambda: move(Transition.RESUME, BOB)) == ("not-authorized", 401)
    directory.revoke(alice_key().kid)  # her old key was stolen: it moves nothing any more
    assert refusal(lambda: move(Transition.RESUME, alice_key())) == ("not-authorized", 401)
    assert service.status("dlg_test1").status is CredentialStatus.SUSPENDED
    move(Transition.RESUME, alice_new)
    assert service.status("dlg_test1").status is CredentialStatus.ACTIVE
