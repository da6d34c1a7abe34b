"""The status service (ADD-IAC-LCM): registers credentials, applies lifecycle transitions,
answers signed status, and reports each change as an attestation event.

A credential is registered only when its delegator's own key, as the key directory knows it,
signed it and proves possession now (``registration``; single use, like transitions).
Who may cause a transition is decided by the transition table in ``lifecycle``; *that* the
caller is who it claims is proved by a JWS (``typ: act-iac-transition+jwt``) signed by a key
the directory holds for the delegator (principal) or by the agent's key (agent, revocation
only), verified here: a delegator key revoked in the directory moves nothing any more.
A transition request is fresh for five minutes and accepted once (replay cache).
Expiry needs no request: any read at or after ``validity_end_time`` moves the credential to
Expired first (and records it), so a stale Active is never served.

Each change is reported as an attestation event. With ``staged_events`` (the deployment's) the
event is staged in the outbox inside the transaction that makes the change, so a change is
never committed without its event nor an event without its change; the relay delivers it
(``trustcart.delivery``). With only ``events`` it is handed over after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from trustcart.core.clock import Clock, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.problem import ProblemError
from trustcart.core.typs import REGISTRATION_TYP, TRANSITION_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.crypto.nonces import NonceCache
from trustcart.delegation.errors import (
    DelegationProblem,
    IllegalTransition,
    InvalidCredential,
    UnknownDelegation,
)
from trustcart.delegation.iac import IAC, verify_iac
from trustcart.delegation.lifecycle import (
    TRANSITION_EVENTS,
    Actor,
    CredentialStatus,
    Transition,
    next_status,
)
from trustcart.delegation.registration import (
    REGISTRATION_MAX_AGE,
    DelegatorKeys,
    verify_registration,
)
from trustcart.delegation.status import StatusAttestation, sign_status
from trustcart.store.db import Database
from trustcart.store.delegation import DelegationRow, DelegationTransitionRow
from trustcart.store.nonces import SqlNonceCache

PendingEvent = tuple[str, dict[str, str], dict[str, Any]]
TRANSITION_REQUEST_MAX_AGE = timedelta(minutes=5)
# Keep a used request a little past the instant it turns stale, so no boundary lets it back in.
_REPLAY_MARGIN = timedelta(seconds=1)


class EventSink(Protocol):
    """Where lifecycle events go (the trust domain's attestation service, or a list in tests)."""

    def __call__(self, event_type: str, chain: dict[str, str], body: dict[str, Any]) -> None: ...


class StagedEvents(Protocol):
    """Stages a lifecycle event in the transaction of ``session`` (``delivery.EventOutbox``)."""

    def __call__(
        self,
        session: Any,
        event_type: str,
        chain: dict[str, str],
        body: dict[str, Any],
        now: datetime,
    ) -> object: ...


@dataclass(frozen=True)
class TransitionResult:
    delegation_id: str
    from_status: CredentialStatus
    to_status: CredentialStatus


class DelegationService:
    def __init__(
        self,
        db: Database,
        *,
        status_key: SigningKey,
        clock: Clock,
        delegator_keys: DelegatorKeys,
        agent_keys: Callable[[str], Mapping[str, PublicKey]] | None = None,
        events: EventSink | None = None,
        replay_cache: NonceCache | None = None,
        staged_events: StagedEvents | None = None,
    ) -> None:
        """``delegator_keys`` answers, from the key directory, which keys speak for a person."""
        self._db = db
        self._delegator_keys = delegator_keys
        # Shared by every process on this database, like the RFC 9421 nonce cache.
        self._replays: NonceCache = replay_cache or SqlNonceCache(db)
        self._status_key = status_key
        self._clock = clock
        self._agent_keys = agent_keys or (lambda _agent_id: {})
        self._events = events
        self._staged = staged_events

    @property
    def status_public_key(self) -> PublicKey:
        return self._status_key.public

    # -- registration ----------------------------------------------------------------------

    def register(self, token: str, proof: str) -> IAC:
        """Register an IAC signed by a delegator key of its ``delegator_identity`` (key
        directory) with that key's fresh, single-use ``proof`` of possession; it starts Active.

        Every refusal registers nothing (``registration`` lists the checks and codes).
        """
        now = self._clock.now()
        checked = verify_registration(token, proof, self._delegator_keys, now)
        iac, key = checked.iac, checked.key
        if self._replays.seen_or_add(
            f"{REGISTRATION_TYP}:{key.kid}",
            checked.proof_digest,
            checked.requested_at + REGISTRATION_MAX_AGE + _REPLAY_MARGIN,
            now,
        ):
            raise ProblemError(
                DelegationProblem.NOT_AUTHORIZED, 401, "this registration was already used"
            )
        with self._db.transaction() as session:
            if session.get(DelegationRow, iac.delegation_id) is not None:
                raise ProblemError(
                    DelegationProblem.IAC_INVALID, 409, "delegation_id already registered"
                )
            session.add(
                DelegationRow(
                    delegation_id=iac.delegation_id,
                    intent_id=iac.intent_id,
                    delegator_identity=iac.delegator_identity,
                    delegator_jwk=json.dumps(key.to_jwk(), sort_keys=True),
                    agent_id=iac.agent_id,
                    token=token,
                    status=CredentialStatus.ACTIVE.value,
                    validity_end=iac.validity_end,
                    version=0,
                    updated_at=now,
                )
            )
        return iac

    # -- reads -----------------------------------------------------------------------------

    def status(self, delegation_id: str) -> StatusAttestation:
        """A signed, current status (expiring the credential first if its time has come)."""
        pending: list[PendingEvent] = []
        now = self._clock.now()
        with self._db.transaction() as session:
            row = self._locked(session, delegation_id)
            self._expire_if_due(session, row, now, pending)
            status = CredentialStatus(row.status)
        self._emit(pending)
        return sign_status(delegation_id, status, key=self._status_key, now=now)

    def credential(self, delegation_id: str) -> tuple[IAC, CredentialStatus]:
        pending: list[PendingEvent] = []
        with self._db.transaction() as session:
            row = self._locked(session, delegation_id)
            self._expire_if_due(session, row, self._clock.now(), pending)
            key = PublicKey.from_jwk(json.loads(row.delegator_jwk))
            found = verify_iac(row.token, {key.kid: key}), CredentialStatus(row.status)
        self._emit(pending)
        return found

    # -- transitions -----------------------------------------------------------------------

    def apply(self, request_token: str) -> TransitionResult:
        """Apply a signed transition request; unverifiable or illegal requests change nothing.

        Each request is accepted once: its digest goes into the replay cache (its own
        transaction, committed before the state is touched) until it would be stale anyway.
        Without that, a copied "resume" could re-activate a credential its owner had suspended
        again, for as long as the request is fresh. A request refused later (illegal
        transition) stays used up: the owner signs a new one, with a new nonce.
        """
        now = self._clock.now()
        try:
            claimed = _peek(request_token)
            with self._db.transaction() as session:
                row = self._locked(session, claimed["delegation_id"])
                actor = Actor(claimed["actor"])
                keys = self._keys_for(row, actor, now)
            verified = verify_compact(request_token, keys, typ=TRANSITION_TYP)
            payload = verified.payload
            transition = Transition(payload["transition"])
            requested_at = parse_instant(payload["requested_at"])
        except (InvalidSignature, KeyError, ValueError, ValidationError) as e:
            raise ProblemError(
                DelegationProblem.NOT_AUTHORIZED, 401, "transition request does not verify"
            ) from e
        if (
            payload["delegation_id"] != claimed["delegation_id"]
            or abs(now - requested_at) > TRANSITION_REQUEST_MAX_AGE
        ):
            raise ProblemError(DelegationProblem.NOT_AUTHORIZED, 401, "stale request")
        if self._replays.seen_or_add(
            f"{TRANSITION_TYP}:{verified.header['kid']}",
            jcs_digest(payload),
            requested_at + TRANSITION_REQUEST_MAX_AGE + _REPLAY_MARGIN,
            now,
        ):
            raise ProblemError(DelegationProblem.NOT_AUTHORIZED, 401, "request already used")
        pending: list[PendingEvent] = []
        with self._db.transaction() as session:
            row = self._locked(session, claimed["delegation_id"])
            self._expire_if_due(session, row, now, pending)
            current = CredentialStatus(row.status)
            try:
                target = next_status(current, transition, actor)
            except IllegalTransition as e:
                raise ProblemError(DelegationProblem.ILLEGAL_TRANSITION, 409, str(e)) from e
            self._move(
                session,
                row,
                transition=transition,
                target=target,
                actor=actor,
                now=now,
                pending=pending,
            )
        self._emit(pending)
        return TransitionResult(row.delegation_id, current, target)

    def expire_due(self) -> list[str]:
        """Expire every credential whose validity has ended (a periodic sweep)."""
        pending: list[PendingEvent] = []
        now = self._clock.now()
        expired = []
        with self._db.transaction() as session:
            rows = session.scalars(
                select(DelegationRow)
                .where(
                    DelegationRow.validity_end <= now,
                    DelegationRow.status.in_([CredentialStatus.ACTIVE, CredentialStatus.SUSPENDED]),
                )
                .with_for_update()
            ).all()
            for row in rows:
                self._expire_if_due(session, row, now, pending)
                expired.append(row.delegation_id)
        self._emit(pending)
        return expired

    # -- internals -------------------------------------------------------------------------

    def _locked(self, session: Any, delegation_id: str) -> DelegationRow:
        row = session.scalars(
            select(DelegationRow)
            .where(DelegationRow.delegation_id == delegation_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise ProblemError(
                DelegationProblem.UNKNOWN_DELEGATION, 404, f"no delegation {delegation_id}"
            ) from UnknownDelegation(delegation_id)
        assert isinstance(row, DelegationRow)
        return row

    def _keys_for(
        self, row: DelegationRow, actor: Actor, now: datetime
    ) -> Mapping[str, PublicKey] | Callable[[str], PublicKey | None]:
        if actor is Actor.PRINCIPAL:
            # The directory's keys for this person now: a revoked key is refused, a rotated
            # one accepted.
            identity = row.delegator_identity
            return lambda kid: self._delegator_keys(identity, kid, now)
        if actor is Actor.AGENT:
            return self._agent_keys(row.agent_id)
        raise InvalidCredential(f"{actor} cannot send transition requests")

    def _expire_if_due(
        self, session: Any, row: DelegationRow, now: datetime, pending: list[PendingEvent]
    ) -> None:
        end = (
            row.validity_end
            if row.validity_end.tzinfo
            else row.validity_end.replace(tzinfo=now.tzinfo)
        )
        if now >= end and row.status in (CredentialStatus.ACTIVE, CredentialStatus.SUSPENDED):
            self._move(
                session,
                row,
                transition=Transition.EXPIRE,
                target=CredentialStatus.EXPIRED,
                actor=Actor.SYSTEM,
                now=now,
                pending=pending,
            )

    def _move(
        self,
        session: Any,
        row: DelegationRow,
        *,
        transition: Transition,
        target: CredentialStatus,
        actor: Actor,
        now: datetime,
        pending: list[PendingEvent],
    ) -> None:
        session.add(
            DelegationTransitionRow(
                delegation_id=row.delegation_id,
                transition=transition.value,
                from_status=row.status,
                to_status=target.value,
                actor=actor.value,
                at=now,
            )
        )
        from_status = row.status
        row.status = target.value
        row.version += 1
        row.updated_at = now
        event = (
            TRANSITION_EVENTS[transition],
            {"intent_id": row.intent_id, "delegation_id": row.delegation_id},
            {"from": from_status, "to": target.value, "actor": actor.value},
        )
        if self._staged is not None:  # in this transaction: commits with the change or not
            self._staged(session, *event, now)
            return
        # Reported after the commit (see _emit): the log is another party and another
        # transaction, and an event must never describe a change that was rolled back.
        pending.append(event)

    def _emit(self, pending: list[PendingEvent]) -> None:
        if self._events is None:
            return
        for event_type, chain, body in pending:
            self._events(event_type, chain, body)


def _peek(token: str) -> dict[str, Any]:
    from trustcart.crypto.jws import peek_payload

    payload = peek_payload(token)
    if not isinstance(payload.get("delegation_id"), str):
        raise KeyError("delegation_id")
    return payload
