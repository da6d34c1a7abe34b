"""Issuing and checking association credentials in both confirmation forms, and every way a
signature could be got past: a changed field, another party's key, a reused confirmation."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from tests.helpers.credit import AGENT, ISSUER_KEY_ID, SUBJECT, World, build_world
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import SigningKey
from trustcart.crypto.spki import public_key_to_pem
from trustcart.trust.credit.application import AssociationApplication, create_application
from trustcart.trust.credit.credential import (
    AssociationCredential,
    CredentialDraft,
    direct_signing_payload,
    issue_attested_credential,
    issue_direct_credential,
    sign_direct_confirmation,
    verify_credential_proofs,
)
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.signing import OMIT_ISSUER_OUTER, sign_projection
from trustcart.trust.credit.values import (
    AntiReplay,
    AuthorizationMode,
    ConfirmationMethod,
    JsonValue,
    SubjectPublicKey,
)


def _direct_application(world: World, **changes: Any) -> AssociationApplication:
    fields: dict[str, Any] = {
        "application_id": "application-direct-001",
        "subject_id": SUBJECT,
        "agent_id": AGENT,
        "association_role": "CONTROLLER",
        "relationship_evidence_refs": ("urn:world:evidence:alice-controls-agent",),
        "confirmation_method": ConfirmationMethod.DIRECT_SIGNATURE,
        "issuer_id": world.credential.issuer_id,
        "purpose": "B2B_COUNTERPARTY_REVIEW",
        "scope": ("business:world:procurement",),
        "authorization_mode": AuthorizationMode.PLATFORM_DELEGATED,
        "anti_replay": AntiReplay(idempotency_key="association-direct-001"),
        "now": world.now - timedelta(minutes=30),
        "expires_at": world.now + timedelta(days=365),
    }
    fields.update(changes)
    return create_application(**fields)


def _draft(world: World, application: AssociationApplication) -> CredentialDraft:
    return CredentialDraft(
        credential_id="credential-direct-001",
        mapped=world.credential.mapped,
        relationship_evidence_ref=application.relationship_evidence_refs[0],
        status_query=world.credential.status_query,
        issued_at=world.now - timedelta(minutes=20),
    )


def _subject_key(world: World) -> SubjectPublicKey:
    pem = public_key_to_pem(world.keys[SUBJECT].public)
    return SubjectPublicKey(key_id=f"{SUBJECT}#key-1", value=JsonValue.of(pem))


def _issue_direct(world: World) -> AssociationCredential:
    application = _direct_application(world)
    payload = direct_signing_payload(application, _draft(world, application))
    signature = sign_direct_confirmation(payload, world.keys[SUBJECT])
    return issue_direct_credential(
        payload,
        subject_public_key=_subject_key(world),
        subject_signature=signature,
        issuer_key=world.keys[world.credential.issuer_id],
        keys=world.ring,
    )


def test_attested_has_one_signature_layer_and_verifies() -> None:
    world = build_world()
    wire = world.credential.to_json()
    assert not {"subjectPublicKey", "subjectSignature", "subjectSignatureAlgorithm"} & set(wire)
    assert wire["creditSource"] == "ASSOCIATED_CREDIT"
    assert "OPERATOR" in wire["confirmationStatement"]
    assert "MERCHANT_RISK_REFERENCE" in wire["confirmationStatement"]
    verify_credential_proofs(world.credential, world.ring)


def test_direct_has_two_signature_layers_and_verifies() -> None:
    world = build_world()
    credential = _issue_direct(world)
    wire = credential.to_json()
    assert wire["subjectSignature"]
    assert wire["issuerSignature"]
    assert wire["associationApplicationAntiReplay"] == {"idempotencyKey": "association-direct-001"}
    verify_credential_proofs(credential, world.ring)


def test_issuance_is_deterministic() -> None:
    assert build_world().credential == build_world().credential
    assert _issue_direct(build_world()) == _issue_direct(build_world())


_SIGNED_FIELDS: dict[str, Any] = {
    "agentId": "agent:world:other-assistant",
    "subjectId": "subject:world:mallory",
    "associationRole": "DEVELOPER",
    "purpose": "CREDIT_GRANTING",
    "scope": ["merchant:world:store", "merchant:world:every-store"],
    "associatedCreditValue": {"level": "AAA-ASSOCIATED"},
    "mappingPolicy": {"id": "world-level-mapping", "version": "2.0"},
    "subjectCreditAssertionRef": "urn:world:credit-assertion:mallory-001",
    "expiresAt": "2099-01-01T00:00:00Z",
    "confirmationStatement": "The subject guarantees every payment.",
    "relationshipEvidenceRef": "urn:world:evidence:forged",
    "issuerId": "issuer:world:unknown",
}


@pytest.mark.parametrize(("name", "value"), sorted(_SIGNED_FIELDS.items()))
@pytest.mark.parametrize("form", ["attested", "direct"])
def test_changing_any_signed_field_is_refused(form: str, name: str, value: Any) -> None:
    world = build_world()
    credential = world.credential if form == "attested" else _issue_direct(world)
    wire = credential.to_json() | {name: value}
    with pytest.raises(InvalidSignature):
        verify_credential_proofs(AssociationCredential.from_json(wire), world.ring)


def test_the_issuer_signature_must_come_from_the_named_issuer() -> None:
    world = build_world()
    unsigned = {
        k: v
        for k, v in world.credential.to_json().items()
        if k not in ("issuerSignature", "issuerSignatureAlgorithm")
    }
    for stranger in ("attacker", SUBJECT):  # a key the ring binds to another party
        forged = unsigned | {
            "issuerSignature": sign_projection(unsigned, OMIT_ISSUER_OUTER, world.keys[stranger]),
            "issuerSignatureAlgorithm": "Ed25519",
        }
        with pytest.raises(InvalidSignature):
            verify_credential_proofs(AssociationCredential.from_json(forged), world.ring)


def test_a_subject_key_the_ring_does_not_bind_to_the_subject_is_refused() -> None:
    world = build_world()
    application = _direct_application(world)
    payload = direct_signing_payload(application, _draft(world, application))
    attacker = world.keys["attacker"]
    signature = sign_direct_confirmation(payload, attacker)
    claimed = SubjectPublicKey(f"{SUBJECT}#key-1", JsonValue.of(public_key_to_pem(attacker.public)))
    with pytest.raises(InvalidSignature):
        issue_direct_credential(
            payload,
            subject_public_key=claimed,
            subject_signature=signature,
            issuer_key=world.keys[world.credential.issuer_id],
            keys=world.ring,
        )
    # The subject's real key under another party's key id proves nothing either.
    other_id = SubjectPublicKey(ISSUER_KEY_ID, _subject_key(world).value)
    with pytest.raises(InvalidSignature):
        issue_direct_credential(
            payload,
            subject_public_key=other_id,
            subject_signature=sign_direct_confirmation(payload, world.keys[SUBJECT]),
            issuer_key=world.keys[world.credential.issuer_id],
            keys=world.ring,
        )


@pytest.mark.parametrize(
    "change",
    [
        {"agent_id": "agent:world:other-assistant"},
        {"association_role": "DEVELOPER"},
        {"purpose": "CREDIT_GRANTING"},
        {"scope": ("business:world:everything",)},
        {"application_id": "application-direct-002"},
        {"anti_replay": AntiReplay(idempotency_key="association-direct-002")},
    ],
)
def test_a_confirmation_cannot_be_reused_for_another_application(change: dict[str, Any]) -> None:
    world = build_world()
    application = _direct_application(world)
    signature = sign_direct_confirmation(
        direct_signing_payload(application, _draft(world, application)), world.keys[SUBJECT]
    )
    other = _direct_application(world, **change)
    other_payload = direct_signing_payload(other, _draft(world, other))
    with pytest.raises(InvalidSignature):
        issue_direct_credential(
            other_payload,
            subject_public_key=_subject_key(world),
            subject_signature=signature,
            issuer_key=world.keys[world.credential.issuer_id],
            keys=world.ring,
        )


def test_the_signing_payload_matches_its_schema_and_has_no_signature_fields() -> None:
    world = build_world()
    application = _direct_application(world)
    payload = direct_signing_payload(application, _draft(world, application))
    validate(CreditSchema.DIRECT_SIGNING_PAYLOAD, payload)
    assert payload["associationApplicationRequestedAt"] == application.requested_at
    assert not {"subjectSignature", "issuerSignature", "subjectPublicKey"} & set(payload)


def test_forms_cannot_be_mixed() -> None:
    world = build_world()
    direct = _direct_application(world)
    with pytest.raises(InvalidCreditObject):
        issue_attested_credential(direct, _draft(world, direct), world.keys["attacker"])
    with pytest.raises(InvalidCreditObject):
        direct_signing_payload(world.application, _draft(world, world.application))


def test_relationship_evidence_must_come_from_the_application() -> None:
    world = build_world()
    draft = dataclasses.replace(
        _draft(world, world.application), relationship_evidence_ref="urn:world:evidence:other"
    )
    with pytest.raises(InvalidCreditObject, match="relationship evidence"):
        issue_attested_credential(world.application, draft, world.keys[world.credential.issuer_id])


def test_a_new_credential_references_its_predecessor() -> None:
    world = build_world()
    draft = dataclasses.replace(
        _draft(world, world.application),
        credential_id="credential-world-002",
        previous_credential_ref=world.credential.credential_id,
    )
    successor = issue_attested_credential(
        world.application, draft, world.keys[world.credential.issuer_id]
    )
    assert successor.previous_credential_ref == world.credential.credential_id
    verify_credential_proofs(successor, world.ring)


def test_only_ed25519_keys_sign() -> None:
    world = build_world()
    with pytest.raises(InvalidCreditObject, match="Ed25519"):
        issue_attested_credential(
            world.application, _draft(world, world.application), SigningKey.generate("ES256")
        )
