"""The status service on SQLite and PostgreSQL, and the status checker's cache/outage rules."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.helpers.clock import T0
from tests.helpers.delegation import alice_key, make_iac
from tests.helpers.registration import delegator_keys, directory_with_delegator, register
from trustcart.core.clock import FixedClock
from trustcart.core.problem import ProblemError
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.lifecycle import (
    Actor,
    CredentialStatus,
    Transition,
    sign_transition_request,
)
from trustcart.delegation.service import DelegationService
from trustcart.delegation.status import HttpStatusChecker, sign_status, verify_status
from trustcart.store.db import Database

STATUS_KEY = SigningKey.generate()
AGENT_KEY = SigningKey.generate()


@pytest.fixture
def events() -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    return []


@pytest.fixture
def service(db: Database, clock: FixedClock, events: list[Any]) -> DelegationService:
    svc = DelegationService(
        db,
        status_key=STATUS_KEY,
        clock=clock,
        delegator_keys=delegator_keys(directory_with_delegator(alice_key())),
        agent_keys=lambda agent_id: {AGENT_KEY.kid: AGENT_KEY.public},
        events=lambda kind, chain, body: events.append((kind, chain, body)),
    )
    register(svc, make_iac(T0), alice_key(), clock.now())
    return svc


def _status(service: DelegationService) -> CredentialStatus:
    attestation = service.status("dlg_test1")
    verified = verify_status(attestation.token, {STATUS_KEY.kid: STATUS_KEY.public}, "dlg_test1")
    return verified.status


def _request(
    transition: Transition,
    clock: FixedClock,
    *,
    actor: Actor = Actor.PRINCIPAL,
    key: SigningKey | None = None,
) -> str:
    return sign_transition_request(
        "dlg_test1", transition, key=key or alice_key(), actor=actor, now=clock.now()
    )


def test_lifecycle_through_the_service(
    service: DelegationService, clock: FixedClock, events: list[Any]
) -> None:
    assert _status(service) is CredentialStatus.ACTIVE
    service.apply(_request(Transition.SUSPEND, clock))
    assert _status(service) is CredentialStatus.SUSPENDED
    service.apply(_request(Transition.RESUME, clock))
    assert _status(service) is CredentialStatus.ACTIVE
    service.apply(_request(Transition.REVOKE, clock, actor=Actor.AGENT, key=AGENT_KEY))
    assert _status(service) is CredentialStatus.REVOKED
    assert [e[0] for e in events] == [
        "act:delegation:delegation-suspended",
        "act:delegation:delegation-resumed",
        "act:delegation:delegation-revoked",
    ]
    with pytest.raises(ProblemError) as caught:
        service.apply(_request(Transition.RESUME, clock))
    assert caught.value.code == "illegal-transition"
    assert _status(service) is CredentialStatus.REVOKED  # nothing changed


def test_refusals_change_nothing(service: DelegationService, clock: FixedClock) -> None:
    mallory = SigningKey.generate()
    attempts = [
        _request(Transition.REVOKE, clock, key=mallory),  # not the delegator
        _request(
            Transition.SUSPEND, clock, actor=Actor.AGENT, key=AGENT_KEY
        ),  # agent can't suspend
        _request(
            Transition.SUSPEND, clock, actor=Actor.AGENT, key=alice_key()
        ),  # wrong key for role
        _request(Transition.EXPIRE, clock),  # only the clock expires
        "not-a-jws",
    ]
    codes = []
    for attempt in attempts:
        with pytest.raises(ProblemError) as caught:
            service.apply(attempt)
        codes.append(caught.value.code)
    assert set(codes) <= {"not-authorized", "illegal-transition"}
    stale = _request(Transition.SUSPEND, clock)
    clock.advance(timedelta(minutes=6))
    with pytest.raises(ProblemError):
        service.apply(stale)
    assert _status(service) is CredentialStatus.ACTIVE


def test_expires_at_validity_end(
    service: DelegationService, clock: FixedClock, events: list[Any]
) -> None:
    clock.advance(timedelta(days=7))
    assert _status(service) is CredentialStatus.EXPIRED
    assert events[-1][0] == "act:delegation:delegation-expired"
    with pytest.raises(ProblemError):
        service.apply(_request(Transition.RESUME, clock))


def test_register_refuses_bad_or_duplicate(service: DelegationService, clock: FixedClock) -> None:
    with pytest.raises(ProblemError) as duplicate:
        register(service, make_iac(T0), alice_key(), clock.now())  # duplicate id
    assert (duplicate.value.code, duplicate.value.status) == ("iac-invalid", 409)
    stranger = SigningKey.generate()
    with pytest.raises(ProblemError) as foreign:
        register(service, make_iac(T0, key=stranger), stranger, clock.now())  # not Alice's key
    assert foreign.value.code == "delegator-key-unknown"
    with pytest.raises(ProblemError) as caught:
        service.status("dlg_unknown")
    assert caught.value.status == 404


class _StatusServer:
    def __init__(self, clock: FixedClock) -> None:
        self.clock, self.status, self.up, self.calls = clock, CredentialStatus.ACTIVE, True, 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.up:
            return httpx.Response(503)
        token = sign_status("dlg_test1", self.status, key=STATUS_KEY, now=self.clock.now()).token
        return httpx.Response(200, json={"status": token})


def _checker(server: _StatusServer, clock: FixedClock) -> HttpStatusChecker:
    client = httpx.Client(transport=httpx.MockTransport(server.handler))
    return HttpStatusChecker(
        client,
        {STATUS_KEY.kid: STATUS_KEY.public},
        allowed_prefixes=("http://status.test/",),
        clock=clock,
    )


def test_checker_caches_within_ttl_and_fails_closed_after(clock: FixedClock) -> None:
    server = _StatusServer(clock)
    checker, iac = _checker(server, clock), make_iac(T0)
    assert checker.check(iac, clock.now()).status is CredentialStatus.ACTIVE
    server.up = False
    clock.advance(timedelta(seconds=30))
    assert checker.check(iac, clock.now()).status is CredentialStatus.ACTIVE  # last good result
    clock.advance(timedelta(seconds=31))
    with pytest.raises(StatusUnavailable):
        checker.check(iac, clock.now())  # outage past the TTL: refuse


def test_checker_refuses_forged_and_foreign_status(clock: FixedClock) -> None:
    iac = make_iac(T0)
    mallory = SigningKey.generate()
    answers = [
        {"status": sign_status("dlg_test1", CredentialStatus.ACTIVE, key=mallory, now=T0).token},
        {"status": sign_status("dlg_other", CredentialStatus.ACTIVE, key=STATUS_KEY, now=T0).token},
        {
            "status": sign_status(
                "dlg_test1", CredentialStatus.ACTIVE, key=STATUS_KEY, now=T0 - timedelta(minutes=5)
            ).token
        },  # stale
        {"nothing": "here"},
    ]
    for answer in answers:
        client = httpx.Client(
            transport=httpx.MockTransport(
                lambda request, answer=answer: httpx.Response(200, json=answer)
            )
        )
        checker = HttpStatusChecker(
            client,
            {STATUS_KEY.kid: STATUS_KEY.public},
            allowed_prefixes=("http://status.test/",),
            clock=clock,
        )
        with pytest.raises(StatusUnavailable):
            checker.check(iac, clock.now())
    other_host = HttpStatusChecker(
        httpx.Client(), {}, allowed_prefixes=("http://elsewhere/",), clock=clock
    )
    with pytest.raises(StatusUnavailable):
        other_host.check(iac, clock.now())  # never fetch a URL the credential dictates


def test_revoked_status_is_reported_not_cached_as_active(clock: FixedClock) -> None:
    server = _StatusServer(clock)
    checker, iac = _checker(server, clock), make_iac(T0)
    server.status = CredentialStatus.REVOKED
    assert checker.check(iac, clock.now()).status is CredentialStatus.REVOKED
    assert checker.check(iac, clock.now()).status is CredentialStatus.REVOKED
    assert server.calls == 2


def test_freshness_tolerates_second_precision_but_not_the_future() -> None:
    # Regression: a status signed just after the verifier read its clock says a later second.
    signed = sign_status(
        "dlg_test1", CredentialStatus.ACTIVE, key=STATUS_KEY, now=T0 + timedelta(seconds=1)
    )
    assert signed.fresh_at(T0 + timedelta(milliseconds=999) - timedelta(seconds=1))
    assert not signed.fresh_at(T0 - timedelta(seconds=10))
    assert not signed.fresh_at(T0 + timedelta(seconds=62))
