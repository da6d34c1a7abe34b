"""Signed status-change requests (``status-change-request``): suspend, resume or revoke a
credential on the request of its subject or its credit service provider (TSD-CRD-LCM).

``apply_status_change`` checks, in order: the request names this credential; it is fresh; its
anti-replay value is unused; the requester is the credential's subject or the named credit
service (that decides the ``Actor``); its proof verifies under the requester's own key; and the
transition table allows the step for that actor. Only then does the issuer sign a new status
record. Any failure raises and leaves the current record as it was (records are immutable).

Usage::

    result = apply_status_change(record, request, credential=credential,
                                 credit_service_id=..., keys=ring, used_replay_keys=seen,
                                 issuer_key=key, issuer_key_id=key_id, now=now)
    result.record.status, result.replay_key  # the new record, and the value to remember
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import SigningKey
from trustcart.trust.credit.credential import AssociationCredential
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.lifecycle import (
    Actor,
    CredentialStatus,
    CredentialStatusRecord,
    change_status,
    transition_to,
)
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.signing import OMIT_REQUEST_PROOF, CreditKeyRing, verify_projection
from trustcart.trust.credit.values import AntiReplay, Proof, instant


@dataclass(frozen=True)
class StatusChangeRequest:
    request_id: str
    credential_id: str
    target_status: CredentialStatus
    reason_code: str
    requested_by: str
    requested_at: str
    anti_replay: AntiReplay
    request_proof: Proof

    def __post_init__(self) -> None:
        validate(CreditSchema.STATUS_CHANGE_REQUEST, self.to_json())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StatusChangeRequest:
        validate(CreditSchema.STATUS_CHANGE_REQUEST, obj)
        return cls(
            request_id=obj["requestId"],
            credential_id=obj["credentialId"],
            target_status=CredentialStatus(obj["targetStatus"]),
            reason_code=obj["reasonCode"],
            requested_by=obj["requestedBy"],
            requested_at=obj["requestedAt"],
            anti_replay=AntiReplay.from_json(obj["antiReplay"]),
            request_proof=Proof.from_json(obj["requestProof"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "credentialId": self.credential_id,
            "targetStatus": self.target_status.value,
            "reasonCode": self.reason_code,
            "requestedBy": self.requested_by,
            "requestedAt": self.requested_at,
            "antiReplay": self.anti_replay.to_json(),
            "requestProof": self.request_proof.to_json(),
        }

    @property
    def replay_key(self) -> str:
        return f"{self.requested_by}|{self.anti_replay.token}"


@dataclass(frozen=True)
class StatusChangeResult:
    record: CredentialStatusRecord
    replay_key: str  # remember it: the request cannot be used again


def apply_status_change(
    record: CredentialStatusRecord,
    request: StatusChangeRequest,
    *,
    credential: AssociationCredential,
    credit_service_id: str,
    keys: CreditKeyRing,
    used_replay_keys: Container[str],
    issuer_key: SigningKey,
    issuer_key_id: str,
    now: datetime,
    max_skew: timedelta = timedelta(minutes=5),
) -> StatusChangeResult:
    """The new signed status record; raise InvalidCreditObject, InvalidSignature or
    IllegalCreditTransition, changing nothing, when any check fails."""
    if request.credential_id != record.credential_id or (
        credential.credential_id != record.credential_id
    ):
        raise InvalidCreditObject("the request names another credential")
    if abs(now - instant(request.requested_at)) > max_skew:
        raise InvalidCreditObject("the status change request is outside the accepted window")
    if request.replay_key in used_replay_keys:
        raise InvalidCreditObject("the status change request was already used")
    if request.requested_by == credential.subject_id:
        actor = Actor.SUBJECT
    elif request.requested_by == credit_service_id:
        actor = Actor.CREDIT_SERVICE
    else:
        raise InvalidCreditObject("only the subject or its credit service may change the status")
    proof = request.request_proof
    if proof.key_id is None:
        raise InvalidSignature
    verify_projection(
        request.to_json(),
        OMIT_REQUEST_PROOF,
        proof.signature_value,
        keys.keys_for(request.requested_by, proof.key_id),
    )
    transition = transition_to(record.status, request.target_status)
    new_record = change_status(
        record,
        transition,
        actor,
        reason_code=request.reason_code,
        issuer_key=issuer_key,
        key_id=issuer_key_id,
        now=now,
    )
    return StatusChangeResult(new_record, request.replay_key)
