"""Credit-query authorization (TSD-CRD-AUTH): who may query the associated credit, for which
Agent, purpose and data items, until when, and how often.

It authorizes a *query* only, never a transaction, payment or fulfillment. Two modes:

* ``PER_REQUEST``: bound to one verification request (``boundRequestId``); no platform
  proxy and no frequency limit;
* ``PLATFORM_DELEGATED``: a named platform proxy (``platformDelegateId``) may query within the
  scope without the subject each time, under a machine-readable ``frequencyLimit``
  (``window.RequestWindow`` enforces it); it has no bound request.

The subject signs everything but ``authorizationProof`` and the runtime ``status``. Status
table: ``ACTIVE -> REVOKED`` (the subject) and ``ACTIVE -> EXPIRED`` (the clock), both final.
``check_scope`` returns the reference-v1 reason a query falls outside the authorization.

>>> authorization_transition(AuthorizationStatus.ACTIVE, AuthorizationStatus.REVOKED)
<AuthorizationStatus.REVOKED: 'REVOKED'>
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import SigningKey
from trustcart.trust.credit.errors import IllegalCreditTransition, InvalidCreditObject
from trustcart.trust.credit.reasons import ReasonCode
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.signing import (
    OMIT_AUTHORIZATION_PROOF,
    OMIT_REQUEST_PROOF,
    CreditKeyRing,
    sign_projection,
    verify_projection,
)
from trustcart.trust.credit.values import (
    PROFILE_VERSION,
    AntiReplay,
    AuthorizationMode,
    Proof,
    instant,
    put,
    require_set,
    require_text,
    require_timestamp,
)
from trustcart.trust.credit.window import FrequencyLimit


class AuthorizationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


AUTHORIZATION_TRANSITIONS = frozenset(
    {
        (AuthorizationStatus.ACTIVE, AuthorizationStatus.REVOKED),
        (AuthorizationStatus.ACTIVE, AuthorizationStatus.EXPIRED),
    }
)


def authorization_transition(
    current: AuthorizationStatus, target: AuthorizationStatus
) -> AuthorizationStatus:
    """``target`` if the table allows it; raise IllegalCreditTransition otherwise."""
    if (current, target) not in AUTHORIZATION_TRANSITIONS:
        raise IllegalCreditTransition(f"an authorization cannot go from {current} to {target}")
    return target


@dataclass(frozen=True)
class ResultUseRestrictions:
    may_store: bool
    may_transfer: bool
    retention_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.may_store and self.retention_seconds is None:
            raise InvalidCreditObject("a result that may be stored needs retentionSeconds")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ResultUseRestrictions:
        return cls(obj["mayStore"], obj["mayTransfer"], obj.get("retentionSeconds"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mayStore": self.may_store}
        put(out, "retentionSeconds", self.retention_seconds)
        out["mayTransfer"] = self.may_transfer
        return out


@dataclass(frozen=True)
class CreditQueryAuthorization:
    authorization_id: str
    mode: AuthorizationMode
    subject_id: str
    relying_party_ids: tuple[str, ...]
    agent_ids: tuple[str, ...]
    purpose: str
    allowed_data_items: tuple[str, ...]
    valid_from: str
    expires_at: str
    result_use: ResultUseRestrictions
    status: AuthorizationStatus
    authorization_proof: Proof
    platform_delegate_id: str | None = None
    frequency_limit: FrequencyLimit | None = None
    bound_request_id: str | None = None
    verification_level: str = "ASSOCIATED_CREDIT"
    authorization_version: str = PROFILE_VERSION

    def __post_init__(self) -> None:
        require_text(self.authorization_id, "authorizationId")
        require_text(self.subject_id, "subjectId")
        require_text(self.purpose, "purpose")
        for name in ("relying_party_ids", "agent_ids", "allowed_data_items"):
            require_set(getattr(self, name), name)
        if self.mode is AuthorizationMode.PER_REQUEST and (
            self.bound_request_id is None
            or self.platform_delegate_id is not None
            or self.frequency_limit is not None
        ):
            raise InvalidCreditObject(
                "PER_REQUEST binds one request id and has no platform delegate or frequency limit"
            )
        if self.mode is AuthorizationMode.PLATFORM_DELEGATED and (
            self.platform_delegate_id is None
            or self.frequency_limit is None
            or self.bound_request_id is not None
        ):
            raise InvalidCreditObject(
                "PLATFORM_DELEGATED names its delegate and a frequency limit, and binds no request"
            )
        start = instant(require_timestamp(self.valid_from, "validFrom"))
        if instant(require_timestamp(self.expires_at, "expiresAt")) <= start:
            raise InvalidCreditObject("expiresAt must be after validFrom")
        validate(CreditSchema.AUTHORIZATION, self.to_json())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> CreditQueryAuthorization:
        """Read a wire authorization; raise InvalidCreditObject if it breaks the schema."""
        validate(CreditSchema.AUTHORIZATION, obj)
        limit = obj.get("frequencyLimit")
        return cls(
            authorization_id=obj["authorizationId"],
            authorization_version=obj["authorizationVersion"],
            mode=AuthorizationMode(obj["mode"]),
            subject_id=obj["subjectId"],
            relying_party_ids=tuple(obj["relyingPartyIds"]),
            platform_delegate_id=obj.get("platformDelegateId"),
            agent_ids=tuple(obj["agentIds"]),
            verification_level=obj["verificationLevel"],
            purpose=obj["purpose"],
            allowed_data_items=tuple(obj["allowedDataItems"]),
            valid_from=obj["validFrom"],
            expires_at=obj["expiresAt"],
            frequency_limit=None if limit is None else FrequencyLimit.from_json(limit),
            result_use=ResultUseRestrictions.from_json(obj["resultUseRestrictions"]),
            status=AuthorizationStatus(obj["status"]),
            bound_request_id=obj.get("boundRequestId"),
            authorization_proof=Proof.from_json(obj["authorizationProof"]),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "authorizationId": self.authorization_id,
            "authorizationVersion": self.authorization_version,
            "mode": self.mode.value,
            "subjectId": self.subject_id,
            "relyingPartyIds": list(self.relying_party_ids),
        }
        put(out, "platformDelegateId", self.platform_delegate_id)
        out.update(
            agentIds=list(self.agent_ids),
            verificationLevel=self.verification_level,
            purpose=self.purpose,
            allowedDataItems=list(self.allowed_data_items),
            validFrom=self.valid_from,
            expiresAt=self.expires_at,
        )
        if self.frequency_limit is not None:
            out["frequencyLimit"] = self.frequency_limit.to_json()
        out["resultUseRestrictions"] = self.result_use.to_json()
        out["status"] = self.status.value
        put(out, "boundRequestId", self.bound_request_id)
        out["authorizationProof"] = self.authorization_proof.to_json()
        return out

    def effective_status(self, now: datetime) -> AuthorizationStatus:
        """The recorded status, or EXPIRED once ``expiresAt`` has passed."""
        if self.status is AuthorizationStatus.ACTIVE and now >= instant(self.expires_at):
            return AuthorizationStatus.EXPIRED
        return self.status

    def with_status(self, target: AuthorizationStatus) -> CreditQueryAuthorization:
        """The same authorization after a status change the table allows."""
        return dataclasses.replace(self, status=authorization_transition(self.status, target))


def sign_authorization(
    unsigned: Mapping[str, Any], subject_key: SigningKey, key_id: str
) -> CreditQueryAuthorization:
    """Sign an authorization (every member but the proof) as the subject, then read it back."""
    body = {name: value for name, value in unsigned.items() if name != "authorizationProof"}
    proof = Proof(sign_projection(body, OMIT_AUTHORIZATION_PROOF, subject_key), key_id=key_id)
    return CreditQueryAuthorization.from_json({**body, "authorizationProof": proof.to_json()})


def verify_authorization_proof(
    authorization: CreditQueryAuthorization, keys: CreditKeyRing
) -> None:
    """The subject's proof, under a key the ring binds to the subject; raise InvalidSignature."""
    proof = authorization.authorization_proof
    if proof.key_id is None:
        raise InvalidSignature
    verify_projection(
        authorization.to_json(),
        OMIT_AUTHORIZATION_PROOF,
        proof.signature_value,
        keys.keys_for(authorization.subject_id, proof.key_id),
    )


@dataclass(frozen=True)
class QueryFacts:
    """What a level-two verification asks of an authorization."""

    request_id: str
    relying_party_id: str
    agent_id: str
    subject_id: str
    purpose: str
    requested_data_items: Collection[str]
    platform_delegate_id: str | None


def check_scope(authorization: CreditQueryAuthorization, query: QueryFacts) -> ReasonCode | None:
    """None when the query is inside the authorization, else AUTHORIZATION_SCOPE_MISMATCH."""
    inside = (
        query.subject_id == authorization.subject_id
        and query.relying_party_id in authorization.relying_party_ids
        and query.agent_id in authorization.agent_ids
        and query.purpose == authorization.purpose
        and set(query.requested_data_items) <= set(authorization.allowed_data_items)
    )
    if authorization.mode is AuthorizationMode.PER_REQUEST:
        bound = query.request_id == authorization.bound_request_id
        inside = inside and bound and query.platform_delegate_id is None
    else:
        inside = inside and query.platform_delegate_id == authorization.platform_delegate_id
    return None if inside else ReasonCode.AUTHORIZATION_SCOPE_MISMATCH


@dataclass(frozen=True)
class AuthorizationRevocationRequest:
    request_id: str
    authorization_id: str
    subject_id: str
    reason_code: str
    requested_at: str
    anti_replay: AntiReplay
    request_proof: Proof

    def __post_init__(self) -> None:
        validate(CreditSchema.AUTHORIZATION_REVOCATION, self.to_json())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> AuthorizationRevocationRequest:
        validate(CreditSchema.AUTHORIZATION_REVOCATION, obj)
        return cls(
            request_id=obj["requestId"],
            authorization_id=obj["authorizationId"],
            subject_id=obj["subjectId"],
            reason_code=obj["reasonCode"],
            requested_at=obj["requestedAt"],
            anti_replay=AntiReplay.from_json(obj["antiReplay"]),
            request_proof=Proof.from_json(obj["requestProof"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "authorizationId": self.authorization_id,
            "subjectId": self.subject_id,
            "reasonCode": self.reason_code,
            "requestedAt": self.requested_at,
            "antiReplay": self.anti_replay.to_json(),
            "requestProof": self.request_proof.to_json(),
        }


def revoke_authorization(
    authorization: CreditQueryAuthorization,
    request: AuthorizationRevocationRequest,
    *,
    keys: CreditKeyRing,
    now: datetime,
    max_skew: timedelta = timedelta(minutes=5),
) -> CreditQueryAuthorization:
    """Revoke on the subject's signed request. Raises InvalidCreditObject (wrong authorization
    or subject, stale request), InvalidSignature (not the subject's key) or
    IllegalCreditTransition (not ACTIVE); the authorization given is never changed."""
    if request.authorization_id != authorization.authorization_id:
        raise InvalidCreditObject("the revocation names another authorization")
    if request.subject_id != authorization.subject_id:
        raise InvalidCreditObject("only the authorizing subject may revoke")
    if abs(now - instant(request.requested_at)) > max_skew:
        raise InvalidCreditObject("the revocation request is outside the accepted time window")
    proof = request.request_proof
    if proof.key_id is None:
        raise InvalidSignature
    verify_projection(
        request.to_json(),
        OMIT_REQUEST_PROOF,
        proof.signature_value,
        keys.keys_for(authorization.subject_id, proof.key_id),
    )
    return authorization.with_status(AuthorizationStatus.REVOKED)
