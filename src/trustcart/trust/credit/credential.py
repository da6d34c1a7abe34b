"""The credit association credential (TSD-CRD-ASC): issue it in either confirmation form, and
verify its signatures.

Two confirmation forms, two signature layers at most (reference-v1 "签名层数"):

* ``ATTESTED_CONFIRMATION``: the subject confirmed through the credit service provider; the
  credential carries the issuer's outer signature only, and no subject key or signature field;
* ``DIRECT_SIGNATURE``: the subject signs the frozen credential draft (``direct_signing_payload``,
  which binds the application id, its request time and its anti-replay value, so a confirmation
  cannot be reused for another application, Agent, role, purpose or scope); the issuer checks
  that inner signature against the subject's key *from the key ring*, then adds the outer one.

Signed projections (``signing.OMIT_*``): the outer signature leaves out the issuer signature
fields, ``statusQuery`` and ``previousCredentialRef``; the inner one leaves out every signature
field, the subject key and ``previousCredentialRef``. The three mapping elements (assertion
reference, mapped value, mapping policy) are always present and always signed; the source is
always ``ASSOCIATED_CREDIT``. No Agent key or Agent proof-of-possession field exists in the core
credential: such a member is refused like any unknown member.

>>> from trustcart.conformance.tsd_crd_world import build_world
>>> world = build_world()  # an application, an issued ATTESTED credential, a key ring
>>> verify_credential_proofs(world.credential, world.ring)  # returns None: it verified
>>> wire = world.credential.to_json() | {"scope": ["merchant:anywhere"]}
>>> verify_credential_proofs(AssociationCredential.from_json(wire), world.ring)
Traceback (most recent call last):
trustcart.crypto.errors.InvalidSignature
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.crypto.errors import InvalidSignature, KeyFormatError
from trustcart.crypto.keys import SigningKey
from trustcart.crypto.spki import public_key_from_pem
from trustcart.trust.credit.application import AssociationApplication
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.signing import (
    OMIT_ISSUER_OUTER,
    OMIT_SUBJECT_INNER,
    CreditKeyRing,
    sign_projection,
    verify_projection,
)
from trustcart.trust.credit.values import (
    ASSOCIATED_CREDIT,
    ED25519,
    PROFILE_VERSION,
    AntiReplay,
    ConfirmationMethod,
    JsonValue,
    MappingPolicy,
    StatusQuery,
    SubjectPublicKey,
    instant,
    put,
    require_set,
    require_text,
    require_timestamp,
)

_SUBJECT_FIELDS = ("subject_public_key", "subject_signature", "subject_signature_algorithm")


@dataclass(frozen=True)
class MappedCredit:
    """TSD-CRD-MAP's traceability set: without all three, a mapped value means nothing."""

    subject_credit_assertion_ref: str
    value: JsonValue
    policy: MappingPolicy

    def __post_init__(self) -> None:
        require_text(self.subject_credit_assertion_ref, "subjectCreditAssertionRef")


@dataclass(frozen=True)
class AssociationCredential:
    credential_id: str
    association_application_id: str
    agent_id: str
    subject_id: str
    association_role: str
    issuer_id: str
    relationship_evidence_ref: str
    confirmation_method: ConfirmationMethod
    mapped: MappedCredit
    confirmation_statement: str
    purpose: str
    scope: tuple[str, ...]
    issued_at: str
    valid_from: str
    status_query: StatusQuery
    issuer_signature: str
    expires_at: str | None = None
    application_requested_at: str | None = None
    application_anti_replay: AntiReplay | None = None
    subject_public_key: SubjectPublicKey | None = None
    subject_signature: str | None = None
    subject_signature_algorithm: str | None = None
    previous_credential_ref: str | None = None
    credit_source: str = ASSOCIATED_CREDIT
    credential_version: str = PROFILE_VERSION
    issuer_signature_algorithm: str = ED25519

    def __post_init__(self) -> None:
        if self.credit_source != ASSOCIATED_CREDIT:
            raise InvalidCreditObject("associated credit must be marked ASSOCIATED_CREDIT")
        for name in ("credential_id", "agent_id", "subject_id", "issuer_id", "purpose"):
            require_text(getattr(self, name), name)
        require_set(self.scope, "scope")
        present = [getattr(self, name) is not None for name in _SUBJECT_FIELDS]
        if self.confirmation_method is ConfirmationMethod.ATTESTED_CONFIRMATION and any(present):
            raise InvalidCreditObject("ATTESTED_CONFIRMATION carries no subject key or signature")
        if self.confirmation_method is ConfirmationMethod.DIRECT_SIGNATURE and not (
            all(present)
            and self.application_requested_at is not None
            and self.application_anti_replay is not None
        ):
            raise InvalidCreditObject(
                "DIRECT_SIGNATURE needs the subject key, its signature and the application's "
                "request time and anti-replay value"
            )
        valid_from = instant(require_timestamp(self.valid_from, "valid_from"))
        if self.expires_at is not None and instant(self.expires_at) <= valid_from:
            raise InvalidCreditObject("expiresAt must be after validFrom")
        validate(CreditSchema.CREDENTIAL, self.to_json())

    def in_validity(self, now: datetime) -> bool:
        """``validFrom <= now < expiresAt`` (no ``expiresAt``: open-ended)."""
        if now < instant(self.valid_from):
            return False
        return self.expires_at is None or now < instant(self.expires_at)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> AssociationCredential:
        """Read a wire credential; raise InvalidCreditObject if it breaks the schema."""
        validate(CreditSchema.CREDENTIAL, obj)
        anti_replay = obj.get("associationApplicationAntiReplay")
        subject_key = obj.get("subjectPublicKey")
        return cls(
            credential_id=obj["credentialId"],
            credential_version=obj["credentialVersion"],
            association_application_id=obj["associationApplicationId"],
            agent_id=obj["agentId"],
            subject_id=obj["subjectId"],
            association_role=obj["associationRole"],
            issuer_id=obj["issuerId"],
            relationship_evidence_ref=obj["relationshipEvidenceRef"],
            confirmation_method=ConfirmationMethod(obj["confirmationMethod"]),
            mapped=MappedCredit(
                subject_credit_assertion_ref=obj["subjectCreditAssertionRef"],
                value=JsonValue.of(obj["associatedCreditValue"]),
                policy=MappingPolicy.from_json(obj["mappingPolicy"]),
            ),
            credit_source=obj["creditSource"],
            confirmation_statement=obj["confirmationStatement"],
            purpose=obj["purpose"],
            scope=tuple(obj["scope"]),
            application_requested_at=obj.get("associationApplicationRequestedAt"),
            application_anti_replay=None
            if anti_replay is None
            else AntiReplay.from_json(anti_replay),
            subject_public_key=None
            if subject_key is None
            else SubjectPublicKey.from_json(subject_key),
            subject_signature=obj.get("subjectSignature"),
            subject_signature_algorithm=obj.get("subjectSignatureAlgorithm"),
            issued_at=obj["issuedAt"],
            valid_from=obj["validFrom"],
            expires_at=obj.get("expiresAt"),
            status_query=StatusQuery.from_json(obj["statusQuery"]),
            previous_credential_ref=obj.get("previousCredentialRef"),
            issuer_signature=obj["issuerSignature"],
            issuer_signature_algorithm=obj["issuerSignatureAlgorithm"],
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "credentialId": self.credential_id,
            "credentialVersion": self.credential_version,
            "associationApplicationId": self.association_application_id,
            "agentId": self.agent_id,
            "subjectId": self.subject_id,
            "associationRole": self.association_role,
            "issuerId": self.issuer_id,
            "relationshipEvidenceRef": self.relationship_evidence_ref,
            "confirmationMethod": self.confirmation_method.value,
            "subjectCreditAssertionRef": self.mapped.subject_credit_assertion_ref,
            "associatedCreditValue": self.mapped.value.value,
            "creditSource": self.credit_source,
            "mappingPolicy": self.mapped.policy.to_json(),
            "confirmationStatement": self.confirmation_statement,
            "purpose": self.purpose,
            "scope": list(self.scope),
            "issuedAt": self.issued_at,
            "validFrom": self.valid_from,
            "statusQuery": self.status_query.to_json(),
            "issuerSignature": self.issuer_signature,
            "issuerSignatureAlgorithm": self.issuer_signature_algorithm,
        }
        put(out, "associationApplicationRequestedAt", self.application_requested_at)
        if self.application_anti_replay is not None:
            out["associationApplicationAntiReplay"] = self.application_anti_replay.to_json()
        if self.subject_public_key is not None:
            out["subjectPublicKey"] = self.subject_public_key.to_json()
        put(out, "subjectSignature", self.subject_signature)
        put(out, "subjectSignatureAlgorithm", self.subject_signature_algorithm)
        put(out, "expiresAt", self.expires_at)
        put(out, "previousCredentialRef", self.previous_credential_ref)
        return out


def confirmation_statement(application: AssociationApplication) -> str:
    """The statement ACT asks for: role, scope, purpose and the responsibility boundary."""
    return (
        f"The subject {application.subject_id} confirms the {application.association_role} "
        f"relationship with Agent {application.agent_id} for {application.purpose} within "
        f"scope {', '.join(application.scope)}. This confirms the association and its "
        "permitted use only; it guarantees no transaction, payment or fulfillment result."
    )


@dataclass(frozen=True)
class CredentialDraft:
    """What the issuer fixes before anyone signs: identity, mapping, times and status URI."""

    credential_id: str
    mapped: MappedCredit
    relationship_evidence_ref: str
    status_query: StatusQuery
    issued_at: datetime
    expires_at: datetime | None = None
    previous_credential_ref: str | None = None


def _draft_json(application: AssociationApplication, draft: CredentialDraft) -> dict[str, Any]:
    if draft.relationship_evidence_ref not in application.relationship_evidence_refs:
        raise InvalidCreditObject("the relationship evidence must come from the application")
    issued = format_instant(draft.issued_at)
    expires = draft.expires_at
    out: dict[str, Any] = {
        "credentialId": draft.credential_id,
        "credentialVersion": PROFILE_VERSION,
        "associationApplicationId": application.application_id,
        "agentId": application.agent_id,
        "subjectId": application.subject_id,
        "associationRole": application.association_role,
        "issuerId": application.issuer_id,
        "relationshipEvidenceRef": draft.relationship_evidence_ref,
        "confirmationMethod": application.confirmation_method.value,
        "subjectCreditAssertionRef": draft.mapped.subject_credit_assertion_ref,
        "associatedCreditValue": draft.mapped.value.value,
        "creditSource": ASSOCIATED_CREDIT,
        "mappingPolicy": draft.mapped.policy.to_json(),
        "confirmationStatement": confirmation_statement(application),
        "purpose": application.purpose,
        "scope": list(application.scope),
        "issuedAt": issued,
        "validFrom": issued,
        "statusQuery": draft.status_query.to_json(),
    }
    if expires is None and application.expires_at is not None:
        out["expiresAt"] = application.expires_at
    elif expires is not None:
        out["expiresAt"] = format_instant(expires)
    if application.confirmation_method is ConfirmationMethod.DIRECT_SIGNATURE:
        out["associationApplicationRequestedAt"] = application.requested_at
        out["associationApplicationAntiReplay"] = application.anti_replay.to_json()
    put(out, "previousCredentialRef", draft.previous_credential_ref)
    return out


def _sign_outer(unsigned: dict[str, Any], issuer_key: SigningKey) -> AssociationCredential:
    signed = {
        **unsigned,
        "issuerSignature": sign_projection(unsigned, OMIT_ISSUER_OUTER, issuer_key),
        "issuerSignatureAlgorithm": ED25519,
    }
    return AssociationCredential.from_json(signed)


def issue_attested_credential(
    application: AssociationApplication, draft: CredentialDraft, issuer_key: SigningKey
) -> AssociationCredential:
    """Issue an ATTESTED_CONFIRMATION credential: the issuer's outer signature only."""
    if application.confirmation_method is not ConfirmationMethod.ATTESTED_CONFIRMATION:
        raise InvalidCreditObject("the application asked for DIRECT_SIGNATURE")
    return _sign_outer(_draft_json(application, draft), issuer_key)


def direct_signing_payload(
    application: AssociationApplication, draft: CredentialDraft
) -> dict[str, Any]:
    """The frozen draft the subject signs (``direct-signing-payload`` schema)."""
    if application.confirmation_method is not ConfirmationMethod.DIRECT_SIGNATURE:
        raise InvalidCreditObject("the application asked for ATTESTED_CONFIRMATION")
    payload = {
        name: value
        for name, value in _draft_json(application, draft).items()
        if name not in OMIT_SUBJECT_INNER
    }
    validate(CreditSchema.DIRECT_SIGNING_PAYLOAD, payload)
    return payload


def sign_direct_confirmation(payload: Mapping[str, Any], subject_key: SigningKey) -> str:
    """The subject's inner signature over the signing payload (done on the subject's side)."""
    validate(CreditSchema.DIRECT_SIGNING_PAYLOAD, payload)
    return sign_projection(payload, OMIT_SUBJECT_INNER, subject_key)


def _verify_inner(credential: Mapping[str, Any], keys: CreditKeyRing) -> None:
    subject_key = SubjectPublicKey.from_json(credential["subjectPublicKey"])
    pem = subject_key.pem
    if pem is None or credential.get("subjectSignatureAlgorithm") != ED25519:
        raise InvalidSignature
    try:
        carried = public_key_from_pem(pem)
    except KeyFormatError as e:
        raise InvalidSignature from e
    # The carried key counts only if the key ring binds that very key to this subject.
    if carried not in keys.keys_for(credential["subjectId"], subject_key.key_id):
        raise InvalidSignature
    verify_projection(
        credential,
        OMIT_SUBJECT_INNER,
        credential.get("subjectSignature"),
        (carried,),
        override={"confirmationMethod": ConfirmationMethod.DIRECT_SIGNATURE.value},
    )


def issue_direct_credential(
    payload: Mapping[str, Any],
    *,
    subject_public_key: SubjectPublicKey,
    subject_signature: str,
    issuer_key: SigningKey,
    keys: CreditKeyRing,
    previous_credential_ref: str | None = None,
) -> AssociationCredential:
    """Check the subject's inner signature on ``payload``, then add the issuer's outer one.

    Raises InvalidSignature when the inner signature does not verify under a key the ring
    binds to the subject; the payload is never changed after the subject signed it.
    """
    validate(CreditSchema.DIRECT_SIGNING_PAYLOAD, payload)
    unsigned: dict[str, Any] = {
        **payload,
        "subjectPublicKey": subject_public_key.to_json(),
        "subjectSignature": subject_signature,
        "subjectSignatureAlgorithm": ED25519,
    }
    put(unsigned, "previousCredentialRef", previous_credential_ref)
    _verify_inner(unsigned, keys)
    return _sign_outer(unsigned, issuer_key)


def verify_credential_proofs(credential: AssociationCredential, keys: CreditKeyRing) -> None:
    """Verify the outer signature (and the inner one for DIRECT_SIGNATURE); raise
    InvalidSignature on any failure, including a key the ring does not bind to the party."""
    wire = credential.to_json()
    if credential.issuer_signature_algorithm != ED25519:
        raise InvalidSignature
    verify_projection(
        wire, OMIT_ISSUER_OUTER, credential.issuer_signature, keys.keys_for(credential.issuer_id)
    )
    if credential.confirmation_method is ConfirmationMethod.DIRECT_SIGNATURE:
        _verify_inner(wire, keys)
