"""TSD-CRD-AUTH: the per-request binding, the platform proxy and its frequency limit enforced
through the verifier, and revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.helpers.credit import (
    KEY_IDS,
    PLATFORM_DELEGATE,
    SUBJECT,
    World,
    build_world,
    platform_request,
    platform_world,
    verify,
)
from trustcart.core.clock import format_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.trust.credit.authorization import (
    AuthorizationRevocationRequest,
    AuthorizationStatus,
    authorization_transition,
    revoke_authorization,
)
from trustcart.trust.credit.errors import IllegalCreditTransition, InvalidCreditObject
from trustcart.trust.credit.messages import sign_request
from trustcart.trust.credit.reasons import ReasonCode

R = ReasonCode
A = AuthorizationStatus


def test_per_request_authorization_is_bound_to_its_request() -> None:
    world = build_world()
    assert verify(world).reason is R.VERIFIED
    other = world.request(requestId="verification-world-002")
    assert verify(world, other).reason is R.AUTHORIZATION_SCOPE_MISMATCH
    via_platform = world.request(platformDelegateId=PLATFORM_DELEGATE)
    assert verify(world, via_platform).reason is R.AUTHORIZATION_SCOPE_MISMATCH


def _run_queries(world: World, offsets: list[timedelta]) -> list[ReasonCode]:
    registry = world.registry
    reasons = []
    for index, offset in enumerate(offsets):
        at = world.now + offset
        outcome = verify(world, platform_request(world, index, at), registry=registry, now=at)
        reasons.append(outcome.reason)
        registry = registry.after(outcome)
    return reasons


def test_the_platform_proxy_is_held_to_its_frequency_limit() -> None:
    world = platform_world(max_requests=3, window_seconds=60)
    seconds = [0, 10, 20, 30, 59, 60, 61, 69, 70]
    reasons = _run_queries(world, [timedelta(seconds=s) for s in seconds])
    assert reasons == [
        R.VERIFIED,
        R.VERIFIED,
        R.VERIFIED,
        R.AUTHORIZATION_SCOPE_MISMATCH,  # a fourth query inside 60 s
        R.AUTHORIZATION_SCOPE_MISMATCH,
        R.VERIFIED,  # the t=0 query stops counting at exactly t=60
        R.AUTHORIZATION_SCOPE_MISMATCH,  # t=10, t=20 and t=60 count
        R.AUTHORIZATION_SCOPE_MISMATCH,  # t=10 still counts at t=69
        R.VERIFIED,  # ... and not at t=70
    ]


def test_the_window_counts_only_queries_that_reached_it() -> None:
    world = platform_world(max_requests=1, window_seconds=3600)
    registry = world.registry
    bad = platform_request(world, 0, world.now) | {"requestId": "forged"}  # proof now broken
    outcome = verify(world, bad, registry=registry)
    assert outcome.reason is R.REQUEST_PROOF_INVALID
    assert outcome.window is None
    registry = registry.after(outcome)
    assert verify(world, platform_request(world, 1, world.now), registry=registry).reason is (
        R.VERIFIED
    )


def test_the_platform_proxy_must_name_itself() -> None:
    world = platform_world()
    request = platform_request(world, 0, world.now)
    assert verify(world, request).reason is R.VERIFIED
    anonymous = world.request(
        requestId="verification-platform-x", antiReplay={"nonce": "platform-nonce-anonymous"}
    )
    assert verify(world, anonymous).reason is R.AUTHORIZATION_SCOPE_MISMATCH
    impostor = request | {"platformDelegateId": "platform-delegate:world:other"}
    impostor = sign_request(
        {k: v for k, v in impostor.items() if k != "requestProof"},
        world.keys["relying-party:world:merchant"],
        KEY_IDS["relying-party:world:merchant"],
    )
    assert verify(world, impostor).reason is R.AUTHORIZATION_SCOPE_MISMATCH


def test_authorization_status_table() -> None:
    assert authorization_transition(A.ACTIVE, A.REVOKED) is A.REVOKED
    assert authorization_transition(A.ACTIVE, A.EXPIRED) is A.EXPIRED
    for current in (A.REVOKED, A.EXPIRED):
        for target in A:
            with pytest.raises(IllegalCreditTransition):
                authorization_transition(current, target)


def test_an_authorization_expires_with_time() -> None:
    world = build_world()
    later = world.now + timedelta(minutes=5)
    assert world.authorization.effective_status(later - timedelta(microseconds=1)) is A.ACTIVE
    assert world.authorization.effective_status(later) is A.EXPIRED
    request = world.request(requestedAt=format_instant(later))
    assert verify(world, request, now=later).reason is R.AUTHORIZATION_EXPIRED


def _revocation(
    world: World, *, signer: str = SUBJECT, **changes: Any
) -> AuthorizationRevocationRequest:
    body: dict[str, Any] = {
        "requestId": "revocation-test-001",
        "authorizationId": world.authorization.authorization_id,
        "subjectId": SUBJECT,
        "reasonCode": "SUBJECT_REQUEST",
        "requestedAt": format_instant(world.now - timedelta(seconds=5)),
        "antiReplay": {"nonce": "revocation-test-nonce-01"},
        **changes,
    }
    return AuthorizationRevocationRequest.from_json(
        sign_request(body, world.keys[signer], KEY_IDS[SUBJECT])
    )


def test_the_subject_revokes_and_no_new_level_two_result_follows() -> None:
    world = build_world()
    revoked = revoke_authorization(
        world.authorization, _revocation(world), keys=world.ring, now=world.now
    )
    assert revoked.status is A.REVOKED
    assert world.authorization.status is A.ACTIVE
    registry = world.registry.replace(authorizations={revoked.authorization_id: revoked})
    assert verify(world, registry=registry).reason is R.AUTHORIZATION_REVOKED
    with pytest.raises(IllegalCreditTransition):
        revoke_authorization(revoked, _revocation(world), keys=world.ring, now=world.now)


def test_revocations_that_must_be_refused() -> None:
    world = build_world()
    auth = world.authorization
    with pytest.raises(InvalidSignature):
        revoke_authorization(
            auth, _revocation(world, signer="attacker"), keys=world.ring, now=world.now
        )
    with pytest.raises(InvalidCreditObject, match="only the authorizing subject"):
        revoke_authorization(
            auth,
            _revocation(world, subjectId="subject:world:mallory"),
            keys=world.ring,
            now=world.now,
        )
    with pytest.raises(InvalidCreditObject, match="another authorization"):
        revoke_authorization(
            auth,
            _revocation(world, authorizationId="authorization-x"),
            keys=world.ring,
            now=world.now,
        )
    stale = format_instant(world.now - timedelta(hours=1))
    with pytest.raises(InvalidCreditObject, match="time window"):
        revoke_authorization(
            auth, _revocation(world, requestedAt=stale), keys=world.ring, now=world.now
        )
