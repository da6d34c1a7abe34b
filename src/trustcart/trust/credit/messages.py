"""Verification messages (TSD-CRD-VER): the relying party's request and the verifier's signed
response, with the minimal-disclosure rule built into the response itself.

Minimal disclosure: a response carries credit data (``creditSource``, ``associatedCreditValue``,
``subjectCreditAssertionValid``, ``mappingPolicy``) only when level two (ASSOCIATED_CREDIT)
*passed*, and then all four together, so a mapped value never travels without its policy. Any
other response that carries one of them cannot be built or read (``InvalidCreditObject``). A
``PASS`` is always ``VERIFIED`` with an ``ACTIVE`` credential, and ``VERIFIED`` is always a PASS.
The subject's own ``creditPayload`` never appears in any response.

The request proof is the relying party's signature over everything but ``requestProof``; the
response proof is the verifier's over everything but ``responseProof``.

>>> CREDIT_FIELDS
('creditSource', 'associatedCreditValue', 'subjectCreditAssertionValid', 'mappingPolicy')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trustcart.crypto.keys import SigningKey
from trustcart.trust.credit.credential import AssociationCredential
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.lifecycle import CredentialStatus
from trustcart.trust.credit.reasons import ReasonCode, VerificationResult
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.signing import (
    OMIT_REQUEST_PROOF,
    OMIT_RESPONSE_PROOF,
    sign_projection,
)
from trustcart.trust.credit.values import (
    ASSOCIATED_CREDIT,
    PROFILE_VERSION,
    AntiReplay,
    JsonValue,
    MappingPolicy,
    Proof,
    StatusQuery,
    VerificationLevel,
    instant,
    put,
    require_set,
    require_text,
    require_timestamp,
)

CREDIT_FIELDS = (
    "creditSource",
    "associatedCreditValue",
    "subjectCreditAssertionValid",
    "mappingPolicy",
)


@dataclass(frozen=True)
class CredentialReference:
    """A credential named by id (and optionally where it lives) instead of embedded."""

    credential_id: str
    uri: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"credentialId": self.credential_id}
        put(out, "uri", self.uri)
        return out


@dataclass(frozen=True)
class VerificationRequest:
    request_id: str
    relying_party_id: str
    agent_id: str
    verification_level: VerificationLevel
    purpose: str
    business_context: JsonValue
    requested_data_items: tuple[str, ...]
    credential: AssociationCredential | CredentialReference
    requested_at: str
    anti_replay: AntiReplay
    request_proof: Proof
    subject_credit_assertion_ref: str | None = None
    authorization_id: str | None = None
    platform_delegate_id: str | None = None
    message_version: str = PROFILE_VERSION

    def __post_init__(self) -> None:
        for name in ("request_id", "relying_party_id", "agent_id", "purpose"):
            require_text(getattr(self, name), name)
        require_set(self.requested_data_items, "requestedDataItems")
        require_timestamp(self.requested_at, "requestedAt")
        validate(CreditSchema.VERIFICATION_REQUEST, self.to_json())

    @property
    def credential_id(self) -> str:
        return self.credential.credential_id

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> VerificationRequest:
        """Read a wire request; raise InvalidCreditObject if it breaks the schema."""
        validate(CreditSchema.VERIFICATION_REQUEST, obj)
        raw = obj["credential"]
        credential: AssociationCredential | CredentialReference = (
            CredentialReference(raw["credentialId"], raw.get("uri"))
            if set(raw) <= {"credentialId", "uri"}
            else AssociationCredential.from_json(raw)
        )
        return cls(
            request_id=obj["requestId"],
            message_version=obj["messageVersion"],
            relying_party_id=obj["relyingPartyId"],
            agent_id=obj["agentId"],
            verification_level=VerificationLevel(obj["verificationLevel"]),
            subject_credit_assertion_ref=obj.get("subjectCreditAssertionRef"),
            authorization_id=obj.get("authorizationId"),
            platform_delegate_id=obj.get("platformDelegateId"),
            purpose=obj["purpose"],
            business_context=JsonValue.of(obj["businessContext"]),
            requested_data_items=tuple(obj["requestedDataItems"]),
            credential=credential,
            requested_at=obj["requestedAt"],
            anti_replay=AntiReplay.from_json(obj["antiReplay"]),
            request_proof=Proof.from_json(obj["requestProof"]),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "requestId": self.request_id,
            "messageVersion": self.message_version,
            "relyingPartyId": self.relying_party_id,
            "agentId": self.agent_id,
            "verificationLevel": self.verification_level.value,
        }
        put(out, "subjectCreditAssertionRef", self.subject_credit_assertion_ref)
        put(out, "authorizationId", self.authorization_id)
        put(out, "platformDelegateId", self.platform_delegate_id)
        out.update(
            purpose=self.purpose,
            businessContext=self.business_context.value,
            requestedDataItems=list(self.requested_data_items),
            credential=self.credential.to_json(),
            requestedAt=self.requested_at,
            antiReplay=self.anti_replay.to_json(),
            requestProof=self.request_proof.to_json(),
        )
        return out


def sign_request(unsigned: Mapping[str, Any], key: SigningKey, key_id: str) -> dict[str, Any]:
    """``unsigned`` plus the relying party's ``requestProof`` (a wire object, not yet read)."""
    body = {name: value for name, value in unsigned.items() if name != "requestProof"}
    proof = Proof(sign_projection(body, OMIT_REQUEST_PROOF, key), key_id=key_id)
    return {**body, "requestProof": proof.to_json()}


@dataclass(frozen=True)
class DisclosedCredit:
    """What a passed level-two verification may return, all four together."""

    value: JsonValue
    policy: MappingPolicy
    subject_credit_assertion_valid: bool = True
    credit_source: str = ASSOCIATED_CREDIT

    def __post_init__(self) -> None:
        if (
            self.credit_source != ASSOCIATED_CREDIT
            or self.subject_credit_assertion_valid is not True
        ):
            raise InvalidCreditObject(
                "disclosed credit is ASSOCIATED_CREDIT from a valid assertion"
            )


@dataclass(frozen=True)
class VerificationResponse:
    request_id: str
    verification_record_id: str
    agent_id: str
    completed_level: VerificationLevel
    result: VerificationResult
    reason_code: ReasonCode
    credential_status: CredentialStatus
    scope: tuple[str, ...]
    generated_at: str
    expires_at: str
    response_proof: Proof
    disclosed: DisclosedCredit | None = None
    status_query: StatusQuery | None = None
    purpose_limited: bool = True

    def __post_init__(self) -> None:
        if self.purpose_limited is not True:
            raise InvalidCreditObject("a verification result is always purpose-limited")
        if (self.result is VerificationResult.PASS) != (self.reason_code is ReasonCode.VERIFIED):
            raise InvalidCreditObject("PASS goes with VERIFIED and only with it")
        if self.result is VerificationResult.PASS and self.credential_status is not (
            CredentialStatus.ACTIVE
        ):
            raise InvalidCreditObject("a PASS needs an ACTIVE credential")
        level_two_pass = (
            self.completed_level is VerificationLevel.ASSOCIATED_CREDIT
            and self.result is VerificationResult.PASS
        )
        if level_two_pass != (self.disclosed is not None):
            raise InvalidCreditObject(
                "credit data goes in a response exactly when level two passed"
            )
        if instant(require_timestamp(self.expires_at, "expiresAt")) <= instant(
            require_timestamp(self.generated_at, "generatedAt")
        ):
            raise InvalidCreditObject("expiresAt must be after generatedAt")
        validate(CreditSchema.VERIFICATION_RESPONSE, self.to_json())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> VerificationResponse:
        """Read a wire response; a leak or a PASS that is not clean is refused."""
        validate(CreditSchema.VERIFICATION_RESPONSE, obj)
        present = [name in obj for name in CREDIT_FIELDS]
        if any(present) and not all(present):
            raise InvalidCreditObject("credit fields come all four together or not at all")
        disclosed = (
            DisclosedCredit(
                value=JsonValue.of(obj["associatedCreditValue"]),
                policy=MappingPolicy.from_json(obj["mappingPolicy"]),
                subject_credit_assertion_valid=obj["subjectCreditAssertionValid"],
                credit_source=obj["creditSource"],
            )
            if all(present)
            else None
        )
        query = obj.get("statusQuery")
        return cls(
            request_id=obj["requestId"],
            verification_record_id=obj["verificationRecordId"],
            agent_id=obj["agentId"],
            completed_level=VerificationLevel(obj["completedLevel"]),
            result=VerificationResult(obj["result"]),
            reason_code=ReasonCode(obj["reasonCode"]),
            credential_status=CredentialStatus(obj["credentialStatus"]),
            disclosed=disclosed,
            scope=tuple(obj["scope"]),
            generated_at=obj["generatedAt"],
            expires_at=obj["expiresAt"],
            status_query=None if query is None else StatusQuery.from_json(query),
            purpose_limited=obj["purposeLimited"],
            response_proof=Proof.from_json(obj["responseProof"]),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "requestId": self.request_id,
            "verificationRecordId": self.verification_record_id,
            "agentId": self.agent_id,
            "completedLevel": self.completed_level.value,
            "result": self.result.value,
            "reasonCode": self.reason_code.value,
            "credentialStatus": self.credential_status.value,
        }
        if self.disclosed is not None:
            out.update(
                creditSource=self.disclosed.credit_source,
                associatedCreditValue=self.disclosed.value.value,
                subjectCreditAssertionValid=self.disclosed.subject_credit_assertion_valid,
                mappingPolicy=self.disclosed.policy.to_json(),
            )
        out.update(scope=list(self.scope), generatedAt=self.generated_at, expiresAt=self.expires_at)
        if self.status_query is not None:
            out["statusQuery"] = self.status_query.to_json()
        out.update(purposeLimited=self.purpose_limited, responseProof=self.response_proof.to_json())
        return out


def sign_response(
    unsigned: Mapping[str, Any], key: SigningKey, key_id: str
) -> VerificationResponse:
    """Sign a response as the verifier and read it back (so it is checked before it leaves)."""
    body = {name: value for name, value in unsigned.items() if name != "responseProof"}
    proof = Proof(sign_projection(body, OMIT_RESPONSE_PROOF, key), key_id=key_id)
    return VerificationResponse.from_json({**body, "responseProof": proof.to_json()})


@dataclass(frozen=True)
class ProtocolErrorBody:
    """The reference-v1 ``ErrorResponse`` (``{"error": {"code", "message"}}``): what a refusal
    looks like before any credential is known (no status or scope to report)."""

    code: ReasonCode
    message: str

    def __post_init__(self) -> None:
        require_text(self.message, "message")

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code.value, "message": self.message}}
