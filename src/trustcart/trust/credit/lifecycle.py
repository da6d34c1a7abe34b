"""Credential lifecycle (TSD-CRD-LCM) as a transition table, and the signed status record.

ACT 2.1 §11: ``PENDING -> ACTIVE | REVOKED | EXPIRED``, ``ACTIVE -> SUSPENDED | REVOKED |
EXPIRED``, ``SUSPENDED -> ACTIVE | REVOKED | EXPIRED``; ``REVOKED`` and ``EXPIRED`` are
terminal. Who may cause each step (trustcart's reading of "the associated subject MAY suspend
or revoke; the credit service provider MAY suspend or revoke on anomalies; the issuer applies
and records"): the issuer issues, the clock expires, subject or credit service suspend and
revoke, and only the credit service resumes, after its reassessment, so a subject cannot lift
a suspension the provider imposed for risk.

An illegal transition raises ``IllegalCreditTransition`` and returns nothing: the record it was
asked to change is immutable, so nothing changes. A status record (``credential-status``) is
signed by the issuer over everything but ``statusProof``; each change bumps ``statusVersion``.

>>> next_status(CredentialStatus.ACTIVE, Transition.SUSPEND, Actor.SUBJECT)
<CredentialStatus.SUSPENDED: 'SUSPENDED'>
>>> transition_allowed(CredentialStatus.REVOKED, CredentialStatus.ACTIVE)
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.crypto.keys import SigningKey
from trustcart.trust.credit.errors import IllegalCreditTransition
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.signing import (
    OMIT_STATUS_PROOF,
    CreditKeyRing,
    sign_projection,
    verify_projection,
)
from trustcart.trust.credit.values import Proof, put, require_text, require_timestamp


class CredentialStatus(StrEnum):
    PENDING = "PENDING"  # application created; confirmation, mapping or issuance incomplete
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"  # must not produce new passing results
    REVOKED = "REVOKED"  # irreversible; terminal
    EXPIRED = "EXPIRED"  # validity exceeded; terminal


class Transition(StrEnum):
    ISSUE = "issue"
    SUSPEND = "suspend"
    RESUME = "resume"
    REVOKE = "revoke"
    EXPIRE = "expire"


class Actor(StrEnum):
    SUBJECT = "subject"  # the associated subject
    CREDIT_SERVICE = "credit-service"  # the credit service provider
    ISSUER = "issuer"  # the credential issuer
    SYSTEM = "system"  # the clock: expiry at expiresAt


TERMINAL = frozenset({CredentialStatus.REVOKED, CredentialStatus.EXPIRED})
_CHANGERS = frozenset({Actor.SUBJECT, Actor.CREDIT_SERVICE})

# (from, transition) -> (to, actors allowed to cause it)
TRANSITIONS: dict[
    tuple[CredentialStatus, Transition], tuple[CredentialStatus, frozenset[Actor]]
] = {
    (CredentialStatus.PENDING, Transition.ISSUE): (
        CredentialStatus.ACTIVE,
        frozenset({Actor.ISSUER}),
    ),
    (CredentialStatus.PENDING, Transition.REVOKE): (CredentialStatus.REVOKED, _CHANGERS),
    (CredentialStatus.PENDING, Transition.EXPIRE): (
        CredentialStatus.EXPIRED,
        frozenset({Actor.SYSTEM}),
    ),
    (CredentialStatus.ACTIVE, Transition.SUSPEND): (CredentialStatus.SUSPENDED, _CHANGERS),
    (CredentialStatus.ACTIVE, Transition.REVOKE): (CredentialStatus.REVOKED, _CHANGERS),
    (CredentialStatus.ACTIVE, Transition.EXPIRE): (
        CredentialStatus.EXPIRED,
        frozenset({Actor.SYSTEM}),
    ),
    (CredentialStatus.SUSPENDED, Transition.RESUME): (
        CredentialStatus.ACTIVE,
        frozenset({Actor.CREDIT_SERVICE}),
    ),
    (CredentialStatus.SUSPENDED, Transition.REVOKE): (CredentialStatus.REVOKED, _CHANGERS),
    (CredentialStatus.SUSPENDED, Transition.EXPIRE): (
        CredentialStatus.EXPIRED,
        frozenset({Actor.SYSTEM}),
    ),
}


def next_status(
    current: CredentialStatus, transition: Transition, actor: Actor
) -> CredentialStatus:
    """The status after ``transition``; raise IllegalCreditTransition if TSD-CRD forbids it."""
    entry = TRANSITIONS.get((current, transition))
    if entry is None:
        raise IllegalCreditTransition(f"cannot {transition} a credential that is {current}")
    target, actors = entry
    if actor not in actors:
        raise IllegalCreditTransition(f"{actor} may not {transition} a credential")
    return target


def transition_allowed(current: CredentialStatus, target: CredentialStatus) -> bool:
    """Whether any actor may move a credential from ``current`` to ``target``."""
    return any(source == current and to == target for (source, _), (to, _) in TRANSITIONS.items())


def transition_to(current: CredentialStatus, target: CredentialStatus) -> Transition:
    """The one transition that leads from ``current`` to ``target``; raise if there is none."""
    for (source, transition), (to, _) in TRANSITIONS.items():
        if source == current and to == target:
            return transition
    raise IllegalCreditTransition(f"no transition from {current} to {target}")


@dataclass(frozen=True)
class CredentialStatusRecord:
    """A signed ``credential-status`` document: the status the issuer recorded, and when."""

    credential_id: str
    status: CredentialStatus
    status_version: int
    effective_at: str
    updated_at: str
    status_proof: Proof
    reason_code: str | None = None

    def __post_init__(self) -> None:
        require_text(self.credential_id, "credentialId")
        require_timestamp(self.effective_at, "effectiveAt")
        require_timestamp(self.updated_at, "updatedAt")
        validate(CreditSchema.CREDENTIAL_STATUS, self.to_json())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> CredentialStatusRecord:
        validate(CreditSchema.CREDENTIAL_STATUS, obj)
        return cls(
            credential_id=obj["credentialId"],
            status=CredentialStatus(obj["status"]),
            status_version=obj["statusVersion"],
            reason_code=obj.get("reasonCode"),
            effective_at=obj["effectiveAt"],
            updated_at=obj["updatedAt"],
            status_proof=Proof.from_json(obj["statusProof"]),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "credentialId": self.credential_id,
            "status": self.status.value,
            "statusVersion": self.status_version,
        }
        put(out, "reasonCode", self.reason_code)
        out.update(
            effectiveAt=self.effective_at,
            updatedAt=self.updated_at,
            statusProof=self.status_proof.to_json(),
        )
        return out


def _signed_record(
    unsigned: dict[str, Any], issuer_key: SigningKey, key_id: str
) -> CredentialStatusRecord:
    signature = sign_projection(unsigned, OMIT_STATUS_PROOF, issuer_key)
    proof = Proof(signature_value=signature, key_id=key_id)
    return CredentialStatusRecord.from_json({**unsigned, "statusProof": proof.to_json()})


def issue_status_record(
    credential_id: str, *, issuer_key: SigningKey, key_id: str, now: datetime
) -> CredentialStatusRecord:
    """The first record of an issued credential: PENDING -> ACTIVE by the issuer."""
    status = next_status(CredentialStatus.PENDING, Transition.ISSUE, Actor.ISSUER)
    at = format_instant(now)
    return _signed_record(
        {
            "credentialId": credential_id,
            "status": status.value,
            "statusVersion": 1,
            "reasonCode": "ISSUED",
            "effectiveAt": at,
            "updatedAt": at,
        },
        issuer_key,
        key_id,
    )


def change_status(
    record: CredentialStatusRecord,
    transition: Transition,
    actor: Actor,
    *,
    reason_code: str,
    issuer_key: SigningKey,
    key_id: str,
    now: datetime,
) -> CredentialStatusRecord:
    """A new signed record after ``transition``; raise IllegalCreditTransition (and change
    nothing) if the table does not allow it for ``actor``."""
    target = next_status(record.status, transition, actor)
    at = format_instant(now)
    return _signed_record(
        {
            "credentialId": record.credential_id,
            "status": target.value,
            "statusVersion": record.status_version + 1,
            "reasonCode": require_text(reason_code, "reason_code"),
            "effectiveAt": at,
            "updatedAt": at,
        },
        issuer_key,
        key_id,
    )


def verify_status_record(
    record: CredentialStatusRecord, issuer_id: str, keys: CreditKeyRing
) -> None:
    """Verify the issuer's status proof; raise InvalidSignature."""
    verify_projection(
        record.to_json(),
        OMIT_STATUS_PROOF,
        record.status_proof.signature_value,
        keys.keys_for(issuer_id, record.status_proof.key_id),
    )
