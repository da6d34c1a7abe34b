"""Verification results and reason codes of TSD-CRD-VER, as reference-v1 spells them.

Each reason code has exactly one result (``RESULT_OF``): a verifier picks the reason and the
result follows, so a failing check can never be reported as ``PASS`` (ACT 2.1 §12: "a critical
failure MUST NOT return PASS"). Insufficient evidence or an unavailable dependency gives
``INCONCLUSIVE``; a case for a person gives ``REVIEW_REQUIRED``.

>>> RESULT_OF[ReasonCode.REQUEST_EXPIRED]
<VerificationResult.FAIL: 'FAIL'>
>>> RESULT_OF[ReasonCode.MAPPING_POLICY_UNSUPPORTED]
<VerificationResult.INCONCLUSIVE: 'INCONCLUSIVE'>
"""

from __future__ import annotations

from enum import StrEnum


class VerificationResult(StrEnum):
    PASS = "PASS"  # noqa: S105 - a verification result, not a password
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    REVIEW_REQUIRED = "REVIEW_REQUIRED"


class ReasonCode(StrEnum):
    VERIFIED = "VERIFIED"
    INVALID_REQUEST = "INVALID_REQUEST"
    REQUEST_PROOF_INVALID = "REQUEST_PROOF_INVALID"
    REQUEST_EXPIRED = "REQUEST_EXPIRED"
    REPLAY_DETECTED = "REPLAY_DETECTED"
    AUTHORIZATION_REQUIRED = "AUTHORIZATION_REQUIRED"
    AUTHORIZATION_EXPIRED = "AUTHORIZATION_EXPIRED"
    AUTHORIZATION_REVOKED = "AUTHORIZATION_REVOKED"
    AUTHORIZATION_SCOPE_MISMATCH = "AUTHORIZATION_SCOPE_MISMATCH"
    AGENT_NOT_REGISTERED = "AGENT_NOT_REGISTERED"
    ASSOCIATION_CREDENTIAL_NOT_FOUND = "ASSOCIATION_CREDENTIAL_NOT_FOUND"
    ASSOCIATION_CREDENTIAL_NOT_ACTIVE = "ASSOCIATION_CREDENTIAL_NOT_ACTIVE"
    ASSOCIATION_PROOF_INVALID = "ASSOCIATION_PROOF_INVALID"
    CREDIT_ASSERTION_UNAVAILABLE = "CREDIT_ASSERTION_UNAVAILABLE"
    CREDIT_ASSERTION_INVALID = "CREDIT_ASSERTION_INVALID"
    MAPPING_POLICY_UNSUPPORTED = "MAPPING_POLICY_UNSUPPORTED"
    INCONCLUSIVE = "INCONCLUSIVE"
    REVIEW_REQUIRED = "REVIEW_REQUIRED"


_INCONCLUSIVE = {
    ReasonCode.CREDIT_ASSERTION_UNAVAILABLE,
    ReasonCode.MAPPING_POLICY_UNSUPPORTED,
    ReasonCode.INCONCLUSIVE,
}

RESULT_OF: dict[ReasonCode, VerificationResult] = {
    code: (
        VerificationResult.PASS
        if code is ReasonCode.VERIFIED
        else VerificationResult.REVIEW_REQUIRED
        if code is ReasonCode.REVIEW_REQUIRED
        else VerificationResult.INCONCLUSIVE
        if code in _INCONCLUSIVE
        else VerificationResult.FAIL
    )
    for code in ReasonCode
}

REASON_TEXT: dict[ReasonCode, str] = {
    ReasonCode.VERIFIED: "every requested check passed",
    ReasonCode.INVALID_REQUEST: "the request is malformed or does not match the credential",
    ReasonCode.REQUEST_PROOF_INVALID: "the relying party's request proof does not verify",
    ReasonCode.REQUEST_EXPIRED: "the request time is outside the accepted window",
    ReasonCode.REPLAY_DETECTED: "the request's anti-replay value was already used",
    ReasonCode.AUTHORIZATION_REQUIRED: "associated credit needs a valid query authorization",
    ReasonCode.AUTHORIZATION_EXPIRED: "the query authorization is outside its validity",
    ReasonCode.AUTHORIZATION_REVOKED: "the query authorization was revoked",
    ReasonCode.AUTHORIZATION_SCOPE_MISMATCH: "the request goes beyond the authorization",
    ReasonCode.AGENT_NOT_REGISTERED: "the agent identifier is not registered",
    ReasonCode.ASSOCIATION_CREDENTIAL_NOT_FOUND: "no such association credential",
    ReasonCode.ASSOCIATION_CREDENTIAL_NOT_ACTIVE: "the association credential is not ACTIVE",
    ReasonCode.ASSOCIATION_PROOF_INVALID: "the association credential's signatures do not verify",
    ReasonCode.CREDIT_ASSERTION_UNAVAILABLE: "the subject credit assertion cannot be fetched now",
    ReasonCode.CREDIT_ASSERTION_INVALID: "the subject credit assertion is invalid or not current",
    ReasonCode.MAPPING_POLICY_UNSUPPORTED: "the verifier does not support the mapping policy",
    ReasonCode.INCONCLUSIVE: "the verification could not reach a definite result",
    ReasonCode.REVIEW_REQUIRED: "the verification policy asks for manual review",
}
