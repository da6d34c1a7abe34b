"""Every lifecycle transition, allowed and forbidden (ACT checklist 10)."""

import itertools

import pytest

from trustcart.delegation.errors import IllegalTransition
from trustcart.delegation.lifecycle import (
    TERMINAL,
    TRANSITIONS,
    Actor,
    CredentialStatus,
    Transition,
    next_status,
)

S, T, A = CredentialStatus, Transition, Actor

ALLOWED = {
    (S.ACTIVE, T.SUSPEND, A.PRINCIPAL): S.SUSPENDED,
    (S.ACTIVE, T.SUSPEND, A.RISK_SYSTEM): S.SUSPENDED,
    (S.SUSPENDED, T.RESUME, A.PRINCIPAL): S.ACTIVE,
    (S.SUSPENDED, T.RESUME, A.RISK_SYSTEM): S.ACTIVE,
    (S.ACTIVE, T.REVOKE, A.PRINCIPAL): S.REVOKED,
    (S.ACTIVE, T.REVOKE, A.AGENT): S.REVOKED,
    (S.SUSPENDED, T.REVOKE, A.PRINCIPAL): S.REVOKED,
    (S.SUSPENDED, T.REVOKE, A.AGENT): S.REVOKED,
    (S.ACTIVE, T.EXPIRE, A.SYSTEM): S.EXPIRED,
    (S.SUSPENDED, T.EXPIRE, A.SYSTEM): S.EXPIRED,
}


@pytest.mark.parametrize(("start", "transition", "actor"), list(ALLOWED))
def test_allowed(start: CredentialStatus, transition: Transition, actor: Actor) -> None:
    assert next_status(start, transition, actor) is ALLOWED[(start, transition, actor)]


FORBIDDEN = [combo for combo in itertools.product(S, T, A) if combo not in ALLOWED]


@pytest.mark.parametrize(("start", "transition", "actor"), FORBIDDEN)
def test_forbidden(start: CredentialStatus, transition: Transition, actor: Actor) -> None:
    with pytest.raises(IllegalTransition):
        next_status(start, transition, actor)


def test_terminal_states_have_no_way_out() -> None:
    assert {S.REVOKED, S.EXPIRED} == TERMINAL
    assert not [key for key in TRANSITIONS if key[0] in TERMINAL]
    assert len(FORBIDDEN) + len(ALLOWED) == len(S) * len(T) * len(A)
