"""A complete, valid TSD-CRD world for the conformance suite and the tests: parties, keys,
an issued credential, its status, the credit assertions, an authorization and a signed
level-two verification request that passes.

Everything is built with the library's own issuing functions (nothing is hand-assembled), at a
fixed instant, with keys derived from fixed labels (SHA-256 of the label as the Ed25519 seed),
so runs are reproducible. These keys are test material and prove nothing outside this world.
Each reason-code scenario of the suite is this world with one thing changed.

>>> world = build_world()
>>> world.credential.confirmation_method.value
'ATTESTED_CONFIRMATION'
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from trustcart.core.clock import format_instant
from trustcart.crypto.keys import SigningKey
from trustcart.trust.credit.application import AssociationApplication, create_application
from trustcart.trust.credit.assertions import (
    AgentAssociatedCreditAssertion,
    SubjectCreditAssertion,
    sign_assertion,
)
from trustcart.trust.credit.authorization import CreditQueryAuthorization, sign_authorization
from trustcart.trust.credit.credential import (
    AssociationCredential,
    CredentialDraft,
    MappedCredit,
    issue_attested_credential,
)
from trustcart.trust.credit.lifecycle import CredentialStatusRecord, issue_status_record
from trustcart.trust.credit.messages import sign_request
from trustcart.trust.credit.registry import InMemoryCreditRegistry
from trustcart.trust.credit.signing import CreditKeyRing
from trustcart.trust.credit.values import (
    AntiReplay,
    AuthorizationMode,
    ConfirmationMethod,
    JsonValue,
    MappingPolicy,
    StatusQuery,
)
from trustcart.trust.credit.verifier import VerifierPolicy

NOW = datetime(2026, 8, 12, 9, 15, tzinfo=UTC)

AGENT = "agent:world:shopping-assistant"
SUBJECT = "subject:world:alice"
ISSUER = "issuer:world:reference-service"
CREDIT_SERVICE = "credit-service:world:provider"
RELYING_PARTY = "relying-party:world:merchant"
VERIFIER = "verifier:world:service"
PURPOSE = "MERCHANT_RISK_REFERENCE"
CREDIT_REF = "urn:world:credit-assertion:alice-001"
POLICY = MappingPolicy("world-level-mapping", "1.0")
REQUEST_ID = "verification-world-001"


def key_for(label: str) -> SigningKey:
    """A fixed Ed25519 key derived from ``label`` (test material only)."""
    seed = hashlib.sha256(label.encode()).digest()
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")

    return SigningKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "d": b64(seed), "x": b64(raw)})


KEY_IDS = {
    SUBJECT: f"{SUBJECT}#key-1",
    ISSUER: f"{ISSUER}#key-1",
    CREDIT_SERVICE: f"{CREDIT_SERVICE}#key-1",
    RELYING_PARTY: f"{RELYING_PARTY}#key-1",
    VERIFIER: f"{VERIFIER}#key-1",
}


@dataclass(frozen=True)
class World:
    now: datetime
    keys: dict[str, SigningKey]  # party id -> private key (plus "attacker")
    ring: CreditKeyRing
    application: AssociationApplication
    credential: AssociationCredential
    status: CredentialStatusRecord
    subject_assertion: SubjectCreditAssertion
    agent_assertion: AgentAssociatedCreditAssertion
    authorization: CreditQueryAuthorization
    policy: VerifierPolicy

    @property
    def registry(self) -> InMemoryCreditRegistry:
        return InMemoryCreditRegistry(
            agents=frozenset({AGENT}),
            credentials={self.credential.credential_id: self.credential},
            statuses={self.credential.credential_id: self.status},
            authorizations={self.authorization.authorization_id: self.authorization},
            subject_assertions={CREDIT_REF: self.subject_assertion},
            agent_assertions={self.credential.credential_id: self.agent_assertion},
        )

    def unsigned_request(self) -> dict[str, Any]:
        return {
            "requestId": REQUEST_ID,
            "messageVersion": "reference-v1",
            "relyingPartyId": RELYING_PARTY,
            "agentId": AGENT,
            "verificationLevel": "ASSOCIATED_CREDIT",
            "subjectCreditAssertionRef": CREDIT_REF,
            "authorizationId": self.authorization.authorization_id,
            "purpose": PURPOSE,
            "businessContext": {"orderId": "order-world-001", "transactionType": "PURCHASE"},
            "requestedDataItems": ["associatedCreditValue", "mappingPolicy"],
            "credential": {"credentialId": self.credential.credential_id},
            "requestedAt": format_instant(self.now - timedelta(seconds=5)),
            "antiReplay": {"nonce": "world-verification-nonce-0001"},
        }

    def request(self, **changes: Any) -> dict[str, Any]:
        """The level-two request with ``changes`` (a value of None removes the member),
        signed by the relying party."""
        body = self.unsigned_request()
        for name, value in changes.items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        return sign_request(body, self.keys[RELYING_PARTY], KEY_IDS[RELYING_PARTY])

    def replace(self, **changes: Any) -> World:
        return dataclasses.replace(self, **changes)


def _ring(keys: dict[str, SigningKey]) -> CreditKeyRing:
    ring = CreditKeyRing()
    for party, key_id in KEY_IDS.items():
        ring = ring.with_key(party, key_id, keys[party].public)
    return ring


def sign_world_authorization(
    world_keys: dict[str, SigningKey], now: datetime = NOW, **changes: Any
) -> CreditQueryAuthorization:
    """The per-request authorization of the world's request, with ``changes`` (a value of
    None removes the member), signed by the subject."""
    body: dict[str, Any] = {
        "authorizationId": "authorization-world-001",
        "authorizationVersion": "reference-v1",
        "mode": "PER_REQUEST",
        "subjectId": SUBJECT,
        "relyingPartyIds": [RELYING_PARTY],
        "agentIds": [AGENT],
        "verificationLevel": "ASSOCIATED_CREDIT",
        "purpose": PURPOSE,
        "allowedDataItems": [
            "associatedCreditValue",
            "mappingPolicy",
            "subjectCreditAssertionValid",
        ],
        "validFrom": format_instant(now - timedelta(minutes=1)),
        "expiresAt": format_instant(now + timedelta(minutes=5)),
        "resultUseRestrictions": {"mayStore": False, "mayTransfer": False},
        "status": "ACTIVE",
        "boundRequestId": REQUEST_ID,
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return sign_authorization(body, world_keys[SUBJECT], KEY_IDS[SUBJECT])


def sign_world_subject_assertion(
    world_keys: dict[str, SigningKey], now: datetime = NOW, **changes: Any
) -> SubjectCreditAssertion:
    """The subject's credit assertion, with ``changes``, signed by the credit service."""
    body: dict[str, Any] = {
        "assertionId": "subject-credit-assertion-world-001",
        "assertionVersion": "1.0",
        "creditServiceId": CREDIT_SERVICE,
        "subjectId": SUBJECT,
        "issuedAt": format_instant(now - timedelta(hours=2)),
        "validFrom": format_instant(now - timedelta(hours=2)),
        "expiresAt": format_instant(now + timedelta(days=30)),
        "creditPayload": {"level": "A", "standing": "GOOD"},
        **changes,
    }
    signed = sign_assertion(body, world_keys[CREDIT_SERVICE], KEY_IDS[CREDIT_SERVICE])
    return SubjectCreditAssertion.from_json(signed)


def build_world(now: datetime = NOW) -> World:
    """The baseline: every check of a level-two verification passes at ``now``."""
    keys = {party: key_for(party) for party in KEY_IDS}
    keys["attacker"] = key_for("attacker")
    issued = now - timedelta(hours=1)
    application = create_application(
        application_id="application-world-001",
        subject_id=SUBJECT,
        agent_id=AGENT,
        association_role="OPERATOR",
        relationship_evidence_refs=("urn:world:evidence:alice-operates-agent",),
        confirmation_method=ConfirmationMethod.ATTESTED_CONFIRMATION,
        issuer_id=ISSUER,
        purpose=PURPOSE,
        scope=("merchant:world:store", "transaction:purchase"),
        authorization_mode=AuthorizationMode.PER_REQUEST,
        anti_replay=AntiReplay(nonce="world-association-nonce-0001"),
        now=issued - timedelta(minutes=10),
        expires_at=now + timedelta(days=365),
    )
    mapped = MappedCredit(CREDIT_REF, JsonValue.of({"level": "A-ASSOCIATED"}), POLICY)
    credential = issue_attested_credential(
        application,
        CredentialDraft(
            credential_id="credential-world-001",
            mapped=mapped,
            relationship_evidence_ref=application.relationship_evidence_refs[0],
            status_query=StatusQuery(
                "/v1/association-credentials/credential-world-001/status", "GET"
            ),
            issued_at=issued,
        ),
        keys[ISSUER],
    )
    status = issue_status_record(
        credential.credential_id, issuer_key=keys[ISSUER], key_id=KEY_IDS[ISSUER], now=issued
    )
    agent_assertion = AgentAssociatedCreditAssertion.from_json(
        sign_assertion(
            {
                "assertionId": "agent-associated-credit-assertion-world-001",
                "assertionVersion": "reference-v1",
                "creditServiceId": CREDIT_SERVICE,
                "agentId": AGENT,
                "associationCredentialRef": credential.credential_id,
                "subjectCreditAssertionRef": CREDIT_REF,
                "associatedCreditValue": {"level": "A-ASSOCIATED"},
                "creditSource": "ASSOCIATED_CREDIT",
                "mappingPolicy": POLICY.to_json(),
                "purpose": PURPOSE,
                "scope": list(credential.scope),
                "issuedAt": format_instant(issued),
                "validFrom": format_instant(issued),
                "expiresAt": format_instant(now + timedelta(days=30)),
                "status": "ACTIVE",
            },
            keys[CREDIT_SERVICE],
            KEY_IDS[CREDIT_SERVICE],
        )
    )
    return World(
        now=now,
        keys=keys,
        ring=_ring(keys),
        application=application,
        credential=credential,
        status=status,
        subject_assertion=sign_world_subject_assertion(keys, now),
        agent_assertion=agent_assertion,
        authorization=sign_world_authorization(keys, now),
        policy=VerifierPolicy(supported_mapping_policies=frozenset({POLICY})),
    )
