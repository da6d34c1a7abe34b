"""ACT TSD-CRD reference-v1 known-answer suite, read at run time from the shared conformance
folder (``act/tsd-crd/reference-v1/test-vectors/{valid,invalid}``).

Every vector is one case. A vector under ``valid/`` passes when trustcart accepts it (or gives
exactly its expected result); one under ``invalid/`` passes only when trustcart refuses it, so
an invalid vector that is accepted is a failure. A vector's own ``expectedValid`` /
``expectedAllowed`` must agree with its folder. Four forms:

* ``schema`` + ``instance``: read with trustcart's reader for that object (pinned schema plus
  TSD-CRD rules); an accepted instance must also write back to exactly the same JSON;
* ``canonicalPayload`` (Ed25519): the payload must be trustcart's JCS of itself, and the
  signature must verify (valid) or be refused (invalid) under the PEM key;
* ``lifecycleTransition``: the transition table must allow (valid) or refuse (invalid) the
  step, and when it refuses, every actor's attempt must raise;
* ``verificationReasonCode``: the vector names a situation and the result and code expected.
  The suite builds that situation as the valid world of ``tsd_crd_world`` with one thing
  changed (``tsd_crd_scenarios.SCENARIOS``, chosen by vector id, its description pinned), runs
  the verifier, and compares the result and the code it *computes* with the vector's; the
  unchanged world must pass too, so each case shows that its one change is what the verifier
  caught. The rendered response is read back (schema and
  disclosure rules) and its proof verified.

A missing folder, a schema that differs from its pin, or a vector of unknown form fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from trustcart.conformance import CaseResult, SuiteResult
from trustcart.conformance.tsd_crd_scenarios import SCENARIOS, baseline, run_scenario
from trustcart.conformance.tsd_crd_world import KEY_IDS, VERIFIER, World, build_world
from trustcart.crypto.errors import InvalidSignature, KeyFormatError
from trustcart.crypto.jcs import canonicalize
from trustcart.crypto.spki import public_key_from_pem
from trustcart.trust.credit.application import AssociationApplication
from trustcart.trust.credit.assertions import (
    AgentAssociatedCreditAssertion,
    SubjectCreditAssertion,
)
from trustcart.trust.credit.authorization import (
    AuthorizationRevocationRequest,
    CreditQueryAuthorization,
)
from trustcart.trust.credit.credential import AssociationCredential
from trustcart.trust.credit.errors import (
    IllegalCreditTransition,
    InvalidCreditObject,
    SchemaUnavailable,
)
from trustcart.trust.credit.lifecycle import (
    Actor,
    CredentialStatus,
    CredentialStatusRecord,
    Transition,
    next_status,
    transition_allowed,
)
from trustcart.trust.credit.messages import CREDIT_FIELDS, VerificationRequest, VerificationResponse
from trustcart.trust.credit.reasons import ReasonCode, VerificationResult
from trustcart.trust.credit.schemas import CreditSchema, default_schema_set, profile_dir
from trustcart.trust.credit.signing import OMIT_RESPONSE_PROOF, verify_projection
from trustcart.trust.credit.status_change import StatusChangeRequest
from trustcart.trust.credit.verifier import VerificationOutcome, render_outcome

__all__ = ["READERS", "SCENARIOS", "SUITE", "check_vector", "run"]

SUITE = "act-tsd-crd"

READERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    CreditSchema.APPLICATION.value: AssociationApplication.from_json,
    CreditSchema.CREDENTIAL.value: AssociationCredential.from_json,
    CreditSchema.CREDENTIAL_STATUS.value: CredentialStatusRecord.from_json,
    CreditSchema.STATUS_CHANGE_REQUEST.value: StatusChangeRequest.from_json,
    CreditSchema.AUTHORIZATION.value: CreditQueryAuthorization.from_json,
    CreditSchema.AUTHORIZATION_REVOCATION.value: AuthorizationRevocationRequest.from_json,
    CreditSchema.SUBJECT_CREDIT_ASSERTION.value: SubjectCreditAssertion.from_json,
    CreditSchema.AGENT_CREDIT_ASSERTION.value: AgentAssociatedCreditAssertion.from_json,
    CreditSchema.VERIFICATION_REQUEST.value: VerificationRequest.from_json,
    CreditSchema.VERIFICATION_RESPONSE.value: VerificationResponse.from_json,
}


def _check_rendering(outcome: VerificationOutcome, world: World) -> str:
    rendered = render_outcome(
        outcome,
        verifier_key=world.keys[VERIFIER],
        verifier_key_id=KEY_IDS[VERIFIER],
        record_id="verification-record-world-001",
        now=world.now,
    )
    if not isinstance(rendered, VerificationResponse):
        if rendered.code is not outcome.reason:
            raise ValueError("the error body names another code")
        return "error body"
    wire = rendered.to_json()
    VerificationResponse.from_json(wire)  # read back: schema and disclosure rules
    verify_projection(
        wire,
        OMIT_RESPONSE_PROOF,
        rendered.response_proof.signature_value,
        (world.keys[VERIFIER].public,),
    )
    leaked = [name for name in CREDIT_FIELDS if name in wire]
    if outcome.result is not VerificationResult.PASS and leaked:
        raise ValueError(f"a {outcome.result} response carries {leaked}")
    if "creditPayload" in json.dumps(wire):
        raise ValueError("the subject's credit payload left the verifier")
    return "signed response"


def check_reason_code(vector: Mapping[str, Any]) -> tuple[bool, str]:
    expected_code = ReasonCode(vector["expectedReasonCode"])
    expected_result = VerificationResult(vector["expectedResult"])
    scenario = SCENARIOS.get(vector["id"])
    if scenario is None:
        return False, f"no scenario for vector {vector['id']!r}"
    if vector["input"]["scenario"] != scenario.description:
        raise ValueError("the vector describes another situation than the one built for it")
    world = build_world()
    unchanged = run_scenario(baseline(world))
    if unchanged.reason is not ReasonCode.VERIFIED:
        raise ValueError(f"the unchanged world does not pass: {unchanged.reason}")
    outcome = run_scenario(scenario.build(world))
    got = (outcome.result, outcome.reason)
    if got != (expected_result, expected_code):
        return False, f"got {got[0]}/{got[1]}, expected {expected_result}/{expected_code}"
    return True, f"{outcome.result}/{outcome.reason}; {_check_rendering(outcome, world)}"


# Other vector forms ------------------------------------------------------------------------


def check_schema_vector(vector: Mapping[str, Any]) -> tuple[bool, str]:
    reader = READERS.get(vector["schema"])
    if reader is None:
        raise ValueError(f"no reader for {vector['schema']}")
    instance = vector["instance"]
    try:
        obj = reader(instance)
    except InvalidCreditObject as e:
        return False, f"refused: {e}"
    if obj.to_json() != instance:
        raise ValueError("accepted, but does not write back to the same JSON")
    return True, "accepted; writes back byte-equal"


def check_canonical_vector(vector: Mapping[str, Any]) -> tuple[bool, str]:
    payload = vector["canonicalPayload"]
    if canonicalize(json.loads(payload)).decode("utf-8") != payload:
        raise ValueError("the payload is not trustcart's JCS form of itself")
    try:
        key = public_key_from_pem(vector["publicKey"])
        verify_projection(json.loads(payload), (), vector["signature"], (key,))
    except (InvalidSignature, KeyFormatError):
        return False, "JCS equal; signature refused"
    return True, "JCS equal; signature verified"


def check_lifecycle_vector(vector: Mapping[str, Any]) -> tuple[bool, str]:
    current = CredentialStatus(vector["input"]["fromStatus"])
    target = CredentialStatus(vector["input"]["toStatus"])
    if transition_allowed(current, target):
        return True, f"{current} -> {target} allowed"
    for transition in Transition:
        for actor in Actor:
            try:
                reached = next_status(current, transition, actor)
            except IllegalCreditTransition:
                continue
            if reached is target:
                raise ValueError(f"{actor} reached {target} by {transition}")
    return False, f"{current} -> {target} refused for every actor"


def check_vector(vector: Mapping[str, Any], stored_as_valid: bool) -> str:
    """Check one vector; return what was checked, or raise with the reason it failed."""
    declared = vector.get("expectedValid", vector.get("expectedAllowed"))
    if declared is not stored_as_valid:
        raise ValueError(f"declares {declared!r} but is stored under the other folder")
    if "schema" in vector:
        accepted, detail = check_schema_vector(vector)
    elif vector.get("algorithm") == "Ed25519" and "canonicalPayload" in vector:
        accepted, detail = check_canonical_vector(vector)
    elif vector.get("operation") == "lifecycleTransition":
        accepted, detail = check_lifecycle_vector(vector)
    elif vector.get("operation") == "verificationReasonCode":
        accepted, detail = check_reason_code(vector)
    else:
        raise ValueError("unknown vector form")
    if accepted is not stored_as_valid:
        verdict = "valid vector refused" if stored_as_valid else "invalid vector accepted"
        raise ValueError(f"{verdict}: {detail}")
    return detail


def _run(case_id: str, check: Callable[[], str]) -> CaseResult:
    try:
        return CaseResult(case_id, True, check())
    except Exception as e:
        return CaseResult(case_id, False, f"{type(e).__name__}: {e}")


def run(directory: Path | None = None) -> SuiteResult:
    root = (directory or profile_dir()) / "test-vectors"
    if not root.is_dir():
        return SuiteResult(SUITE, error=f"TSD-CRD vectors not found at {root}")
    try:
        default_schema_set()
    except SchemaUnavailable as e:
        return SuiteResult(SUITE, error=str(e))
    cases: list[CaseResult] = []
    for folder, stored_as_valid in (("valid", True), ("invalid", False)):
        for path in sorted((root / folder).glob("*.json")):
            case_id = f"{folder}/{path.stem}"
            try:
                vector = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                cases.append(CaseResult(case_id, False, f"unreadable: {e}"))
                continue
            cases.append(_run(case_id, partial(check_vector, vector, stored_as_valid)))
    return SuiteResult(SUITE, tuple(cases))
