"""Credit assertions (TSD-CRD-MAP): the subject's own credit declaration, and the Agent's
associated-credit declaration mapped from it.

* ``SubjectCreditAssertion`` is the credit service provider's statement about the *subject*; its
  ``creditPayload`` is provider-defined and never leaves the verifier (minimal disclosure):
  a verification response says only whether it was valid.
* ``AgentAssociatedCreditAssertion`` is what the Agent may show: the mapped value with its
  assertion reference and mapping policy (the three traceability elements), always marked
  ``ASSOCIATED_CREDIT``, with its own status. It is a risk reference, not the Agent's credit.

Both are signed by the credit service (``assertionProof`` over every other member; reference-v1
leaves this projection open, trustcart chooses the obvious one and documents it).

>>> from trustcart.conformance.tsd_crd_world import build_world
>>> world = build_world()
>>> verify_assertion_proof(world.subject_assertion, world.ring)  # returns None: it verified
>>> "creditPayload" in world.subject_assertion.to_json(), world.agent_assertion.usable_at(world.now)
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import SigningKey
from trustcart.trust.credit.credential import MappedCredit
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.signing import (
    OMIT_ASSERTION_PROOF,
    CreditKeyRing,
    sign_projection,
    verify_projection,
)
from trustcart.trust.credit.values import (
    ASSOCIATED_CREDIT,
    JsonValue,
    MappingPolicy,
    Proof,
    instant,
    put,
    require_set,
    require_text,
    require_timestamp,
)


class AssertionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


def _in_validity(valid_from: str, expires_at: str | None, now: datetime) -> bool:
    if now < instant(valid_from):
        return False
    return expires_at is None or now < instant(expires_at)


@dataclass(frozen=True)
class SubjectCreditAssertion:
    assertion_id: str
    assertion_version: str
    credit_service_id: str
    subject_id: str
    issued_at: str
    valid_from: str
    credit_payload: JsonValue
    expires_at: str | None = None
    assertion_proof: Proof | None = None

    def __post_init__(self) -> None:
        for name in ("assertion_id", "credit_service_id", "subject_id"):
            require_text(getattr(self, name), name)
        require_timestamp(self.valid_from, "validFrom")
        validate(CreditSchema.SUBJECT_CREDIT_ASSERTION, self.to_json())

    def in_validity(self, now: datetime) -> bool:
        return _in_validity(self.valid_from, self.expires_at, now)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SubjectCreditAssertion:
        validate(CreditSchema.SUBJECT_CREDIT_ASSERTION, obj)
        proof = obj.get("assertionProof")
        return cls(
            assertion_id=obj["assertionId"],
            assertion_version=obj["assertionVersion"],
            credit_service_id=obj["creditServiceId"],
            subject_id=obj["subjectId"],
            issued_at=obj["issuedAt"],
            valid_from=obj["validFrom"],
            expires_at=obj.get("expiresAt"),
            credit_payload=JsonValue.of(obj["creditPayload"]),
            assertion_proof=None if proof is None else Proof.from_json(proof),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "assertionId": self.assertion_id,
            "assertionVersion": self.assertion_version,
            "creditServiceId": self.credit_service_id,
            "subjectId": self.subject_id,
            "issuedAt": self.issued_at,
            "validFrom": self.valid_from,
        }
        put(out, "expiresAt", self.expires_at)
        out["creditPayload"] = self.credit_payload.value
        if self.assertion_proof is not None:
            out["assertionProof"] = self.assertion_proof.to_json()
        return out


@dataclass(frozen=True)
class AgentAssociatedCreditAssertion:
    assertion_id: str
    assertion_version: str
    credit_service_id: str
    agent_id: str
    association_credential_ref: str
    mapped: MappedCredit
    purpose: str
    scope: tuple[str, ...]
    issued_at: str
    valid_from: str
    status: AssertionStatus
    expires_at: str | None = None
    assertion_proof: Proof | None = None
    credit_source: str = ASSOCIATED_CREDIT

    def __post_init__(self) -> None:
        if self.credit_source != ASSOCIATED_CREDIT:
            raise InvalidCreditObject("associated credit must be marked ASSOCIATED_CREDIT")
        for name in ("assertion_id", "credit_service_id", "agent_id", "purpose"):
            require_text(getattr(self, name), name)
        require_set(self.scope, "scope")
        require_timestamp(self.valid_from, "validFrom")
        validate(CreditSchema.AGENT_CREDIT_ASSERTION, self.to_json())

    def usable_at(self, now: datetime) -> bool:
        """ACTIVE and inside its validity: only then may it inform a decision."""
        return self.status is AssertionStatus.ACTIVE and _in_validity(
            self.valid_from, self.expires_at, now
        )

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> AgentAssociatedCreditAssertion:
        validate(CreditSchema.AGENT_CREDIT_ASSERTION, obj)
        proof = obj.get("assertionProof")
        return cls(
            assertion_id=obj["assertionId"],
            assertion_version=obj["assertionVersion"],
            credit_service_id=obj["creditServiceId"],
            agent_id=obj["agentId"],
            association_credential_ref=obj["associationCredentialRef"],
            mapped=MappedCredit(
                subject_credit_assertion_ref=obj["subjectCreditAssertionRef"],
                value=JsonValue.of(obj["associatedCreditValue"]),
                policy=MappingPolicy.from_json(obj["mappingPolicy"]),
            ),
            credit_source=obj["creditSource"],
            purpose=obj["purpose"],
            scope=tuple(obj["scope"]),
            issued_at=obj["issuedAt"],
            valid_from=obj["validFrom"],
            expires_at=obj.get("expiresAt"),
            status=AssertionStatus(obj["status"]),
            assertion_proof=None if proof is None else Proof.from_json(proof),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "assertionId": self.assertion_id,
            "assertionVersion": self.assertion_version,
            "creditServiceId": self.credit_service_id,
            "agentId": self.agent_id,
            "associationCredentialRef": self.association_credential_ref,
            "subjectCreditAssertionRef": self.mapped.subject_credit_assertion_ref,
            "associatedCreditValue": self.mapped.value.value,
            "creditSource": self.credit_source,
            "mappingPolicy": self.mapped.policy.to_json(),
            "purpose": self.purpose,
            "scope": list(self.scope),
            "issuedAt": self.issued_at,
            "validFrom": self.valid_from,
        }
        put(out, "expiresAt", self.expires_at)
        out["status"] = self.status.value
        if self.assertion_proof is not None:
            out["assertionProof"] = self.assertion_proof.to_json()
        return out


def sign_assertion(unsigned: Mapping[str, Any], key: SigningKey, key_id: str) -> dict[str, Any]:
    """``unsigned`` plus the credit service's ``assertionProof`` (read it back with from_json)."""
    body = {name: value for name, value in unsigned.items() if name != "assertionProof"}
    proof = Proof(sign_projection(body, OMIT_ASSERTION_PROOF, key), key_id=key_id)
    return {**body, "assertionProof": proof.to_json()}


def verify_assertion_proof(
    assertion: SubjectCreditAssertion | AgentAssociatedCreditAssertion, keys: CreditKeyRing
) -> None:
    """The credit service's proof under a key bound to it; raise InvalidSignature (an
    assertion without a proof never verifies)."""
    proof = assertion.assertion_proof
    if proof is None or proof.key_id is None:
        raise InvalidSignature
    verify_projection(
        assertion.to_json(),
        OMIT_ASSERTION_PROOF,
        proof.signature_value,
        keys.keys_for(assertion.credit_service_id, proof.key_id),
    )
