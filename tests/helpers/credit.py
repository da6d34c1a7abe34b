"""Builders for the TSD-CRD tests: the conformance world, its variants, and an IAC to narrow.

The world (``trustcart.conformance.tsd_crd_world``) is a valid level-two verification at a
fixed instant; tests change one thing and look at what the verifier says.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from trustcart.conformance.tsd_crd_world import (
    AGENT,
    CREDIT_SERVICE,
    ISSUER,
    KEY_IDS,
    RELYING_PARTY,
    SUBJECT,
    VERIFIER,
    World,
    build_world,
    sign_world_authorization,
)
from trustcart.core.clock import format_instant
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.iac import IAC, issue_iac
from trustcart.delegation.isr import ISR, ItemIntent
from trustcart.delegation.terms import CommerceConstraints, DelegationMode
from trustcart.trust.credit.messages import VerificationResponse
from trustcart.trust.credit.registry import InMemoryCreditRegistry
from trustcart.trust.credit.verifier import (
    VerificationOutcome,
    VerifierPolicy,
    render_outcome,
    verify_credit_request,
)

__all__ = [
    "AGENT",
    "CREDIT_SERVICE",
    "ISSUER",
    "ISSUER_KEY_ID",
    "KEY_IDS",
    "PLATFORM_DELEGATE",
    "RELYING_PARTY",
    "SUBJECT",
    "VERIFIER",
    "World",
    "build_world",
    "make_iac",
    "platform_request",
    "platform_world",
    "render",
    "shared_world",
    "verify",
]

PLATFORM_DELEGATE = "platform-delegate:world:procurement"
ISSUER_KEY_ID = KEY_IDS[ISSUER]


@cache
def shared_world() -> World:
    """One world for tests that only read it (it is immutable), e.g. Hypothesis examples."""
    return build_world()


def verify(
    world: World,
    request: dict[str, Any] | None = None,
    *,
    registry: InMemoryCreditRegistry | None = None,
    policy: VerifierPolicy | None = None,
    now: datetime | None = None,
) -> VerificationOutcome:
    """Run the verifier on the world (or on what is given instead)."""
    return verify_credit_request(
        world.request() if request is None else request,
        world.registry if registry is None else registry,
        world.ring,
        world.policy if policy is None else policy,
        world.now if now is None else now,
    )


def render(world: World, outcome: VerificationOutcome) -> VerificationResponse:
    """The signed response for an outcome that has one (fails the test otherwise)."""
    rendered = render_outcome(
        outcome,
        verifier_key=world.keys[VERIFIER],
        verifier_key_id=KEY_IDS[VERIFIER],
        record_id="verification-record-test-001",
        now=world.now,
    )
    assert isinstance(rendered, VerificationResponse), rendered
    return rendered


def platform_world(max_requests: int = 3, window_seconds: int = 60) -> World:
    """The world with a PLATFORM_DELEGATED authorization instead of the per-request one."""
    world = build_world()
    authorization = sign_world_authorization(
        world.keys,
        world.now,
        mode="PLATFORM_DELEGATED",
        boundRequestId=None,
        platformDelegateId=PLATFORM_DELEGATE,
        frequencyLimit={
            "maxRequestsPerWindow": max_requests,
            "windowDurationSeconds": window_seconds,
        },
        expiresAt=format_instant(world.now + timedelta(days=30)),
    )
    return world.replace(authorization=authorization)


def platform_request(world: World, index: int, at: datetime) -> dict[str, Any]:
    """The platform proxy's ``index``-th query, made at ``at`` (own id and nonce)."""
    return world.request(
        requestId=f"verification-platform-{index:04d}",
        platformDelegateId=PLATFORM_DELEGATE,
        requestedAt=format_instant(at),
        antiReplay={"nonce": f"platform-query-nonce-{index:06d}"},
    )


def make_iac(now: datetime, key: SigningKey, **commerce: Any) -> IAC:
    """A BOUNDED IAC for the world's Agent: 80.00 CNY in total, 30.00 per purchase by default."""
    constraints: dict[str, Any] = {"max_single": Money.parse("30.00", "CNY")}
    constraints.update(commerce)
    isr = ISR(
        intent_id="int_credit1",
        user_intent_raw="up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total",
        agent_id=AGENT,
        delegation_mode=DelegationMode.BOUNDED,
        validity_start=now - timedelta(hours=1),
        validity_end=now + timedelta(days=7),
        max_total=Money.parse("80.00", "CNY"),
        items=(ItemIntent("pearl milk tea", quantity=1, category="drinks/milk-tea"),),
        allowed_payment_methods=("trustcart-balance",),
        created_at=now - timedelta(hours=1),
        commerce=CommerceConstraints(**constraints),
    )
    return issue_iac(
        isr,
        delegation_id="dlg_credit1",
        delegator_identity="user:alice",
        delegator_key=key,
        status_url="http://status.test/delegations/dlg_credit1/status",
        now=now - timedelta(hours=1),
    )
