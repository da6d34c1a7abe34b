"""Associated-credit verification (TSD-CRD-VER), both levels, as one pure function.

``verify_credit_request(request, registry, keys, policy, now)`` returns an outcome with one
reference-v1 reason code; the result follows from the code (``reasons.RESULT_OF``). Checks, in
order, the first failure deciding (ACT 2.1 §12, reference-v1):

level one (CREDENTIAL)
  1. the request matches its schema                    INVALID_REQUEST / AUTHORIZATION_REQUIRED
  2. ``requestedAt`` within ``policy.max_clock_skew``  REQUEST_EXPIRED
  3. the relying party's proof, under its own key      REQUEST_PROOF_INVALID
  4. the anti-replay value is new                       REPLAY_DETECTED
  5. the Agent is registered                            AGENT_NOT_REGISTERED
  6. the credential exists (embedded or by id), and so does its status record
                                                        ASSOCIATION_CREDENTIAL_NOT_FOUND
     (status service down, or a status record that does not verify: INCONCLUSIVE)
  7. outer (and for DIRECT_SIGNATURE inner) signature   ASSOCIATION_PROOF_INVALID
  8. request names the credential's Agent and purpose   INVALID_REQUEST
  9. credential ACTIVE and inside its validity          ASSOCIATION_CREDENTIAL_NOT_ACTIVE
  (a level-one request then ends with the review policy, REVIEW_REQUIRED, or VERIFIED)
level two (ASSOCIATED_CREDIT), only after level one
 10. the credential's assertion reference, and a request for ``associatedCreditValue``
                                                        INVALID_REQUEST
 11. a known authorization signed by the subject        AUTHORIZATION_REQUIRED
 12. not revoked, not expired or premature              AUTHORIZATION_REVOKED / _EXPIRED
 13. requester, Agent, subject, purpose, data items, bound request or platform proxy,
     ``mappingPolicy`` allowed with the value, and the proxy's frequency limit
                                                        AUTHORIZATION_SCOPE_MISMATCH
 14. the subject credit assertion: reachable, then the subject's, signed and current
                                                        CREDIT_ASSERTION_UNAVAILABLE / _INVALID
 15. the mapping policy is one the verifier supports   MAPPING_POLICY_UNSUPPORTED
 16. the Agent associated-credit assertion, if any, signed, ACTIVE and consistent
                                                        CREDIT_ASSERTION_INVALID
finally the review policy (REVIEW_REQUIRED), then VERIFIED.

Side effects are returned, not performed: the replay value to remember (as soon as the request
proof verified) and the query window after this query. Credit data is disclosed only on a
level-two PASS (``messages.DisclosedCredit``); the subject's own credit payload never is.

>>> from trustcart.conformance.tsd_crd_world import build_world
>>> w = build_world()
>>> outcome = verify_credit_request(w.request(), w.registry, w.ring, w.policy, w.now)
>>> outcome.result.value, outcome.reason.value, outcome.disclosed.value.value
('PASS', 'VERIFIED', {'level': 'A-ASSOCIATED'})
>>> level_one = w.request(verificationLevel="CREDENTIAL", authorizationId=None,
...                       subjectCreditAssertionRef=None)
>>> outcome = verify_credit_request(level_one, w.registry, w.ring, w.policy, w.now)
>>> outcome.reason.value, outcome.disclosed is None
('VERIFIED', True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import SigningKey
from trustcart.trust.credit.assertions import verify_assertion_proof
from trustcart.trust.credit.authorization import (
    AuthorizationStatus,
    QueryFacts,
    check_scope,
    verify_authorization_proof,
)
from trustcart.trust.credit.credential import AssociationCredential, verify_credential_proofs
from trustcart.trust.credit.errors import DependencyUnavailable, InvalidCreditObject
from trustcart.trust.credit.lifecycle import CredentialStatus, verify_status_record
from trustcart.trust.credit.messages import (
    DisclosedCredit,
    ProtocolErrorBody,
    VerificationRequest,
    VerificationResponse,
    sign_response,
)
from trustcart.trust.credit.reasons import REASON_TEXT, RESULT_OF, ReasonCode, VerificationResult
from trustcart.trust.credit.registry import CreditRegistry
from trustcart.trust.credit.schemas import CreditSchema, default_schema_set
from trustcart.trust.credit.signing import OMIT_REQUEST_PROOF, CreditKeyRing, verify_projection
from trustcart.trust.credit.values import MappingPolicy, VerificationLevel, instant
from trustcart.trust.credit.window import RequestWindow

ReviewPolicy = Callable[[VerificationRequest, AssociationCredential], bool]


def never_review(request: VerificationRequest, credential: AssociationCredential) -> bool:
    return False


@dataclass(frozen=True)
class VerifierPolicy:
    supported_mapping_policies: frozenset[MappingPolicy]
    max_clock_skew: timedelta = timedelta(minutes=5)
    review_required: ReviewPolicy = never_review


@dataclass(frozen=True)
class VerificationOutcome:
    reason: ReasonCode
    completed_level: VerificationLevel = VerificationLevel.CREDENTIAL
    request: VerificationRequest | None = None
    credential: AssociationCredential | None = None
    credential_status: CredentialStatus | None = None
    disclosed: DisclosedCredit | None = None
    replay_key: str | None = None  # remember it: this request's anti-replay value is spent
    window: tuple[str, RequestWindow] | None = None  # keep it: the query window afterwards

    @property
    def result(self) -> VerificationResult:
        return RESULT_OF[self.reason]


def classify_unreadable(obj: object) -> ReasonCode:
    """AUTHORIZATION_REQUIRED for an otherwise valid level-two request that lacks its
    authorization or assertion reference; INVALID_REQUEST for anything else."""
    if not isinstance(obj, Mapping) or obj.get("verificationLevel") != "ASSOCIATED_CREDIT":
        return ReasonCode.INVALID_REQUEST
    missing = "authorizationId" not in obj or "subjectCreditAssertionRef" not in obj
    as_level_one = {**obj, "verificationLevel": VerificationLevel.CREDENTIAL.value}
    if missing and not default_schema_set().errors(CreditSchema.VERIFICATION_REQUEST, as_level_one):
        return ReasonCode.AUTHORIZATION_REQUIRED
    return ReasonCode.INVALID_REQUEST


def verify_credit_request(
    obj: object,
    registry: CreditRegistry,
    keys: CreditKeyRing,
    policy: VerifierPolicy,
    now: datetime,
) -> VerificationOutcome:
    """Run every TSD-CRD-VER check on a wire request; never raises for a bad request."""
    try:
        if not isinstance(obj, Mapping):
            raise InvalidCreditObject("a verification request is a JSON object")
        request = VerificationRequest.from_json(obj)
    except InvalidCreditObject:
        return VerificationOutcome(reason=classify_unreadable(obj))
    checks = _Checks(request, registry, keys, policy, now)
    try:
        return checks.level_one()
    except DependencyUnavailable:
        return checks.stop(ReasonCode.INCONCLUSIVE)


@dataclass
class _Checks:
    """One request's run through the checks: its inputs, and what is established so far."""

    request: VerificationRequest
    registry: CreditRegistry
    keys: CreditKeyRing
    policy: VerifierPolicy
    now: datetime
    credential: AssociationCredential | None = None
    status: CredentialStatus | None = None
    replay_key: str | None = None
    window: tuple[str, RequestWindow] | None = None
    level: VerificationLevel = VerificationLevel.CREDENTIAL

    def stop(
        self, reason: ReasonCode, disclosed: DisclosedCredit | None = None
    ) -> VerificationOutcome:
        return VerificationOutcome(
            reason=reason,
            completed_level=self.level,
            request=self.request,
            credential=self.credential,
            credential_status=self.status,
            disclosed=disclosed,
            replay_key=self.replay_key,
            window=self.window,
        )

    def level_one(self) -> VerificationOutcome:
        if abs(self.now - instant(self.request.requested_at)) > self.policy.max_clock_skew:
            return self.stop(ReasonCode.REQUEST_EXPIRED)
        proof = self.request.request_proof
        try:
            verify_projection(
                self.request.to_json(),
                OMIT_REQUEST_PROOF,
                proof.signature_value,
                self.keys.keys_for(self.request.relying_party_id, proof.key_id),
            )
        except InvalidSignature:
            return self.stop(ReasonCode.REQUEST_PROOF_INVALID)
        replay_key = f"{self.request.relying_party_id}|{self.request.anti_replay.token}"
        if self.registry.replay_seen(replay_key):
            return self.stop(ReasonCode.REPLAY_DETECTED)
        self.replay_key = replay_key
        if not self.registry.agent_registered(self.request.agent_id):
            return self.stop(ReasonCode.AGENT_NOT_REGISTERED)
        credential = (
            self.request.credential
            if isinstance(self.request.credential, AssociationCredential)
            else self.registry.credential(self.request.credential_id)
        )
        record = None if credential is None else self.registry.status(credential.credential_id)
        if credential is None or record is None:
            return self.stop(ReasonCode.ASSOCIATION_CREDENTIAL_NOT_FOUND)
        try:
            if record.credential_id != credential.credential_id:
                raise InvalidSignature
            verify_status_record(record, credential.issuer_id, self.keys)
        except InvalidSignature:
            return self.stop(ReasonCode.INCONCLUSIVE)  # the status cannot be established
        try:
            verify_credential_proofs(credential, self.keys)
        except InvalidSignature:
            return self.stop(ReasonCode.ASSOCIATION_PROOF_INVALID)
        # Only a credential whose signatures verified is ever described in a signed response.
        self.credential = credential
        expired = credential.expires_at is not None and self.now >= instant(credential.expires_at)
        live = record.status in (CredentialStatus.ACTIVE, CredentialStatus.SUSPENDED)
        self.status = CredentialStatus.EXPIRED if expired and live else record.status
        if (
            credential.agent_id != self.request.agent_id
            or credential.purpose != self.request.purpose
        ):
            return self.stop(ReasonCode.INVALID_REQUEST)
        if self.status is not CredentialStatus.ACTIVE or not credential.in_validity(self.now):
            return self.stop(ReasonCode.ASSOCIATION_CREDENTIAL_NOT_ACTIVE)
        if self.request.verification_level is VerificationLevel.CREDENTIAL:
            if self.policy.review_required(self.request, credential):
                return self.stop(ReasonCode.REVIEW_REQUIRED)
            return self.stop(ReasonCode.VERIFIED)
        return self.level_two(credential)

    def level_two(self, credential: AssociationCredential) -> VerificationOutcome:
        if (
            self.request.subject_credit_assertion_ref
            != credential.mapped.subject_credit_assertion_ref
        ):
            return self.stop(ReasonCode.INVALID_REQUEST)
        if "associatedCreditValue" not in self.request.requested_data_items:
            return self.stop(ReasonCode.INVALID_REQUEST)  # level two that asks for nothing
        authorization = (
            None
            if self.request.authorization_id is None
            else self.registry.authorization(self.request.authorization_id)
        )
        if authorization is None:
            return self.stop(ReasonCode.AUTHORIZATION_REQUIRED)
        try:
            verify_authorization_proof(authorization, self.keys)
        except InvalidSignature:
            return self.stop(ReasonCode.AUTHORIZATION_REQUIRED)  # a forged grant is no grant
        status = authorization.effective_status(self.now)
        if status is AuthorizationStatus.REVOKED:
            return self.stop(ReasonCode.AUTHORIZATION_REVOKED)
        if status is AuthorizationStatus.EXPIRED or self.now < instant(authorization.valid_from):
            return self.stop(ReasonCode.AUTHORIZATION_EXPIRED)
        query = QueryFacts(
            request_id=self.request.request_id,
            relying_party_id=self.request.relying_party_id,
            agent_id=self.request.agent_id,
            subject_id=credential.subject_id,
            purpose=self.request.purpose,
            requested_data_items=self.request.requested_data_items,
            platform_delegate_id=self.request.platform_delegate_id,
        )
        if check_scope(authorization, query) is not None:
            return self.stop(ReasonCode.AUTHORIZATION_SCOPE_MISMATCH)
        if "mappingPolicy" not in authorization.allowed_data_items:
            # A mapped value is never disclosed without its mapping policy (TSD-CRD-MAP).
            return self.stop(ReasonCode.AUTHORIZATION_SCOPE_MISMATCH)
        if authorization.frequency_limit is not None:
            stored = self.registry.window(authorization.authorization_id)
            window = RequestWindow(
                authorization.frequency_limit, () if stored is None else stored.admitted
            )
            decision = window.admit(self.now)
            self.window = (authorization.authorization_id, decision.window)
            if not decision.allowed:
                return self.stop(ReasonCode.AUTHORIZATION_SCOPE_MISMATCH)
        try:
            assertion = self.registry.subject_assertion(
                credential.mapped.subject_credit_assertion_ref
            )
        except DependencyUnavailable:
            return self.stop(ReasonCode.CREDIT_ASSERTION_UNAVAILABLE)
        if assertion is None or assertion.subject_id != credential.subject_id:
            return self.stop(ReasonCode.CREDIT_ASSERTION_INVALID)
        try:
            verify_assertion_proof(assertion, self.keys)
        except InvalidSignature:
            return self.stop(ReasonCode.CREDIT_ASSERTION_INVALID)
        if not assertion.in_validity(self.now):
            return self.stop(ReasonCode.CREDIT_ASSERTION_INVALID)
        if credential.mapped.policy not in self.policy.supported_mapping_policies:
            return self.stop(ReasonCode.MAPPING_POLICY_UNSUPPORTED)
        agent_assertion = self.registry.agent_assertion(credential.credential_id)
        if agent_assertion is not None:
            try:
                verify_assertion_proof(agent_assertion, self.keys)
            except InvalidSignature:
                return self.stop(ReasonCode.CREDIT_ASSERTION_INVALID)
            if (
                not agent_assertion.usable_at(self.now)
                or agent_assertion.agent_id != credential.agent_id
                or agent_assertion.mapped != credential.mapped
            ):
                return self.stop(ReasonCode.CREDIT_ASSERTION_INVALID)
        if self.policy.review_required(self.request, credential):
            return self.stop(ReasonCode.REVIEW_REQUIRED)
        self.level = VerificationLevel.ASSOCIATED_CREDIT
        disclosed = DisclosedCredit(value=credential.mapped.value, policy=credential.mapped.policy)
        return self.stop(ReasonCode.VERIFIED, disclosed)


def render_outcome(
    outcome: VerificationOutcome,
    *,
    verifier_key: SigningKey,
    verifier_key_id: str,
    record_id: str,
    now: datetime,
    ttl: timedelta = timedelta(minutes=5),
) -> VerificationResponse | ProtocolErrorBody:
    """A signed ``verification-response`` once a credential and its status are known; before
    that there is no status or scope to state, so the reference-v1 error body is returned."""
    request, credential, status = outcome.request, outcome.credential, outcome.credential_status
    if request is None or credential is None or status is None:
        return ProtocolErrorBody(outcome.reason, REASON_TEXT[outcome.reason])
    unsigned: dict[str, Any] = {
        "requestId": request.request_id,
        "verificationRecordId": record_id,
        "agentId": request.agent_id,
        "completedLevel": outcome.completed_level.value,
        "result": outcome.result.value,
        "reasonCode": outcome.reason.value,
        "credentialStatus": status.value,
        "scope": list(credential.scope),
        "generatedAt": format_instant(now),
        "expiresAt": format_instant(now + ttl),
        "statusQuery": credential.status_query.to_json(),
        "purposeLimited": True,
    }
    if outcome.disclosed is not None:
        unsigned.update(
            creditSource=outcome.disclosed.credit_source,
            associatedCreditValue=outcome.disclosed.value.value,
            subjectCreditAssertionValid=outcome.disclosed.subject_credit_assertion_valid,
            mappingPolicy=outcome.disclosed.policy.to_json(),
        )
    return sign_response(unsigned, verifier_key, verifier_key_id)
