"""The situations behind the reason-code vectors of TSD-CRD reference-v1.

A reason-code vector names a situation in words ("query authorization has been revoked") and
the result and code a verifier must give. Each entry of ``SCENARIOS`` builds that situation as
the passing world of ``tsd_crd_world`` with exactly one thing changed, using the library's own
functions (the revocation is a signed revocation request, the suspension a signed status
change, the tampered credential a real credential altered after signing). Entries are keyed by
vector id and pin the vector's description, so a vector that starts describing something else
fails instead of being judged against the wrong situation.

>>> world = build_world()
>>> run_scenario(SCENARIOS["reason-code-authorization-revoked"].build(world)).reason.value
'AUTHORIZATION_REVOKED'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from trustcart.conformance.tsd_crd_world import (
    KEY_IDS,
    RELYING_PARTY,
    SUBJECT,
    World,
    build_world,
    sign_world_authorization,
    sign_world_subject_assertion,
)
from trustcart.core.clock import format_instant
from trustcart.trust.credit.authorization import (
    AuthorizationRevocationRequest,
    revoke_authorization,
)
from trustcart.trust.credit.credential import AssociationCredential
from trustcart.trust.credit.lifecycle import Actor, Transition, change_status
from trustcart.trust.credit.messages import sign_request
from trustcart.trust.credit.registry import Dependency, InMemoryCreditRegistry
from trustcart.trust.credit.verifier import (
    VerificationOutcome,
    VerifierPolicy,
    verify_credit_request,
)

__all__ = ["SCENARIOS", "Scenario", "VectorScenario", "baseline", "build_world", "run_scenario"]


@dataclass(frozen=True)
class Scenario:
    request: dict[str, Any]
    registry: InMemoryCreditRegistry
    policy: VerifierPolicy
    world: World


def baseline(world: World) -> Scenario:
    return Scenario(world.request(), world.registry, world.policy, world)


def _with_registry(world: World, registry: InMemoryCreditRegistry) -> Scenario:
    return Scenario(world.request(), registry, world.policy, world)


def _replayed(world: World) -> Scenario:
    first = verify_credit_request(
        world.request(), world.registry, world.ring, world.policy, world.now
    )
    return _with_registry(world, world.registry.after(first))


def _forged_request_proof(world: World) -> Scenario:
    body = {k: v for k, v in world.request().items() if k != "requestProof"}
    forged = sign_request(body, world.keys["attacker"], KEY_IDS[RELYING_PARTY])
    return Scenario(forged, world.registry, world.policy, world)


def _expired_authorization(world: World) -> Scenario:
    authorization = sign_world_authorization(
        world.keys,
        world.now,
        validFrom=_at(world, -timedelta(hours=1)),
        expiresAt=_at(world, -timedelta(minutes=1)),
    )
    registry = world.registry.replace(
        authorizations={authorization.authorization_id: authorization}
    )
    return _with_registry(world, registry)


def _revoked_authorization(world: World) -> Scenario:
    body = {
        "requestId": "revocation-world-001",
        "authorizationId": world.authorization.authorization_id,
        "subjectId": SUBJECT,
        "reasonCode": "SUBJECT_REQUEST",
        "requestedAt": _at(world, -timedelta(seconds=30)),
        "antiReplay": {"nonce": "world-revocation-nonce-0001"},
    }
    request = AuthorizationRevocationRequest.from_json(
        sign_request(body, world.keys[SUBJECT], KEY_IDS[SUBJECT])
    )
    revoked = revoke_authorization(world.authorization, request, keys=world.ring, now=world.now)
    registry = world.registry.replace(authorizations={revoked.authorization_id: revoked})
    return _with_registry(world, registry)


def _suspended_credential(world: World) -> Scenario:
    suspended = change_status(
        world.status,
        Transition.SUSPEND,
        Actor.SUBJECT,
        reason_code="SUBJECT_REQUEST",
        issuer_key=world.keys[world.credential.issuer_id],
        key_id=KEY_IDS[world.credential.issuer_id],
        now=world.now - timedelta(minutes=1),
    )
    registry = world.registry.replace(statuses={suspended.credential_id: suspended})
    return _with_registry(world, registry)


def _tampered_credential(world: World) -> Scenario:
    wire = world.credential.to_json()
    wire["scope"] = [*wire["scope"], "merchant:world:every-store"]  # widened after signing
    tampered = AssociationCredential.from_json(wire)
    registry = world.registry.replace(credentials={tampered.credential_id: tampered})
    return _with_registry(world, registry)


def _expired_subject_assertion(world: World) -> Scenario:
    assertion = sign_world_subject_assertion(
        world.keys, world.now, expiresAt=_at(world, -timedelta(minutes=1))
    )
    registry = world.registry.replace(
        subject_assertions={world.credential.mapped.subject_credit_assertion_ref: assertion}
    )
    return _with_registry(world, registry)


def _at(world: World, delta: timedelta) -> str:
    return format_instant(world.now + delta)


def _changed_request(**changes: Any) -> Callable[[World], Scenario]:
    def build(world: World) -> Scenario:
        return Scenario(world.request(**changes), world.registry, world.policy, world)

    return build


def _changed_registry(**changes: Any) -> Callable[[World], Scenario]:
    def build(world: World) -> Scenario:
        return _with_registry(world, world.registry.replace(**changes))

    return build


def _changed_policy(**changes: Any) -> Callable[[World], Scenario]:
    def build(world: World) -> Scenario:
        policy = dataclasses.replace(world.policy, **changes)
        return Scenario(world.request(), world.registry, policy, world)

    return build


def _not_found(world: World) -> Scenario:
    return _with_registry(world, world.registry.replace(credentials={}, statuses={}))


@dataclass(frozen=True)
class VectorScenario:
    """How the suite builds the situation a reason-code vector describes."""

    description: str  # the vector's ``input.scenario``, pinned: a new text needs a new look
    build: Callable[[World], Scenario]


# Keyed by vector id, not by the code the vector expects: the situation comes from what the
# vector describes, the code from the verifier, and only then are the two compared.
SCENARIOS: dict[str, VectorScenario] = {
    "reason-code-verified": VectorScenario("all requested verification checks pass", baseline),
    "reason-code-invalid-request": VectorScenario(
        "verification request fails input validation", _changed_request(businessContext={})
    ),
    "reason-code-request-proof-invalid": VectorScenario(
        "request proof verification fails", _forged_request_proof
    ),
    "reason-code-request-expired": VectorScenario(
        "request timestamp is outside the accepted time window",
        lambda w: _changed_request(requestedAt=_at(w, -timedelta(minutes=10)))(w),
    ),
    "reason-code-replay-detected": VectorScenario(
        "anti-replay nonce has already been consumed", _replayed
    ),
    "reason-code-authorization-required": VectorScenario(
        "associated-credit verification omits authorization",
        _changed_request(authorizationId=None),
    ),
    "reason-code-authorization-expired": VectorScenario(
        "query authorization has expired", _expired_authorization
    ),
    "reason-code-authorization-revoked": VectorScenario(
        "query authorization has been revoked", _revoked_authorization
    ),
    "reason-code-authorization-scope-mismatch": VectorScenario(
        "verification request exceeds authorization scope",
        _changed_request(requestedDataItems=["associatedCreditValue", "creditPayload"]),
    ),
    "reason-code-agent-not-registered": VectorScenario(
        "agent identifier is not registered", _changed_registry(agents=frozenset())
    ),
    "reason-code-association-credential-not-found": VectorScenario(
        "referenced association credential does not exist", _not_found
    ),
    "reason-code-association-credential-not-active": VectorScenario(
        "association credential status is not ACTIVE", _suspended_credential
    ),
    "reason-code-association-proof-invalid": VectorScenario(
        "association credential proof verification fails", _tampered_credential
    ),
    "reason-code-credit-assertion-unavailable": VectorScenario(
        "subject credit assertion cannot currently be retrieved",
        _changed_registry(unavailable=frozenset({Dependency.CREDIT_SERVICE})),
    ),
    "reason-code-credit-assertion-invalid": VectorScenario(
        "subject credit assertion proof or validity check fails", _expired_subject_assertion
    ),
    "reason-code-mapping-policy-unsupported": VectorScenario(
        "credential mapping policy is not supported by the verifier",
        _changed_policy(supported_mapping_policies=frozenset()),
    ),
    "reason-code-inconclusive": VectorScenario(
        "verification cannot reach a deterministic result",
        _changed_registry(unavailable=frozenset({Dependency.STATUS})),
    ),
    "reason-code-review-required": VectorScenario(
        "verification policy requires manual review",
        _changed_policy(review_required=lambda request, credential: True),
    ),
}


def run_scenario(scenario: Scenario) -> VerificationOutcome:
    """Verify the scenario's request at the world's instant."""
    world = scenario.world
    return verify_credit_request(
        scenario.request, scenario.registry, world.ring, scenario.policy, world.now
    )
