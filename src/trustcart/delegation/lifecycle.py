"""IAC lifecycle (ADD-IAC-LCM) as a transition table.

ACT 2.1: Active <-> Suspended (principal or risk system); Active/Suspended -> Revoked (principal
or agent); Active/Suspended -> Expired (automatic at validity_end_time). Revoked and Expired are
terminal; any state other than Active blocks use.

>>> next_status(CredentialStatus.ACTIVE, Transition.SUSPEND, Actor.PRINCIPAL)
<CredentialStatus.SUSPENDED: 'Suspended'>
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from trustcart.core.clock import format_instant
from trustcart.core.typs import TRANSITION_TYP
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.errors import IllegalTransition


class CredentialStatus(StrEnum):
    ACTIVE = "Active"
    SUSPENDED = "Suspended"
    REVOKED = "Revoked"
    EXPIRED = "Expired"


class Transition(StrEnum):
    SUSPEND = "suspend"
    RESUME = "resume"
    REVOKE = "revoke"
    EXPIRE = "expire"


class Actor(StrEnum):
    PRINCIPAL = "principal"  # the delegator (user)
    AGENT = "agent"
    RISK_SYSTEM = "risk-system"
    SYSTEM = "system"  # the clock: expiry at validity_end_time


TERMINAL = frozenset({CredentialStatus.REVOKED, CredentialStatus.EXPIRED})

# (from, transition) -> (to, actors allowed to cause it)
TRANSITIONS: dict[
    tuple[CredentialStatus, Transition], tuple[CredentialStatus, frozenset[Actor]]
] = {
    (CredentialStatus.ACTIVE, Transition.SUSPEND): (
        CredentialStatus.SUSPENDED,
        frozenset({Actor.PRINCIPAL, Actor.RISK_SYSTEM}),
    ),
    (CredentialStatus.SUSPENDED, Transition.RESUME): (
        CredentialStatus.ACTIVE,
        frozenset({Actor.PRINCIPAL, Actor.RISK_SYSTEM}),
    ),
    (CredentialStatus.ACTIVE, Transition.REVOKE): (
        CredentialStatus.REVOKED,
        frozenset({Actor.PRINCIPAL, Actor.AGENT}),
    ),
    (CredentialStatus.SUSPENDED, Transition.REVOKE): (
        CredentialStatus.REVOKED,
        frozenset({Actor.PRINCIPAL, Actor.AGENT}),
    ),
    (CredentialStatus.ACTIVE, Transition.EXPIRE): (
        CredentialStatus.EXPIRED,
        frozenset({Actor.SYSTEM}),
    ),
    (CredentialStatus.SUSPENDED, Transition.EXPIRE): (
        CredentialStatus.EXPIRED,
        frozenset({Actor.SYSTEM}),
    ),
}

# The attestation event each transition reports (TSD-ATT-EVT).
TRANSITION_EVENTS: dict[Transition, str] = {
    Transition.SUSPEND: "act:delegation:delegation-suspended",
    Transition.RESUME: "act:delegation:delegation-resumed",
    Transition.REVOKE: "act:delegation:delegation-revoked",
    Transition.EXPIRE: "act:delegation:delegation-expired",
}


def next_status(
    current: CredentialStatus, transition: Transition, actor: Actor
) -> CredentialStatus:
    """Return the state after ``transition``; raise IllegalTransition if ACT does not allow it."""
    entry = TRANSITIONS.get((current, transition))
    if entry is None:
        raise IllegalTransition(f"cannot {transition} a credential that is {current}")
    target, actors = entry
    if actor not in actors:
        raise IllegalTransition(f"{actor} may not {transition} a credential")
    return target


def sign_transition_request(
    delegation_id: str,
    transition: Transition,
    *,
    key: SigningKey,
    actor: Actor,
    now: datetime,
    nonce: str | None = None,
) -> str:
    """What a delegator's wallet (or the agent) sends to change a credential's state.

    The random ``nonce`` makes two requests in one second distinct: each is accepted once.
    """
    payload = {
        "delegation_id": delegation_id,
        "transition": transition.value,
        "actor": actor.value,
        "requested_at": format_instant(now),
        "nonce": nonce if nonce is not None else secrets.token_urlsafe(16),
    }
    return sign_compact(payload, key, typ=TRANSITION_TYP)
