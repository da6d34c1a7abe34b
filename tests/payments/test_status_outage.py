"""The payment provider never pays on a cached status, on SQLite and PostgreSQL.

A checker answers from its cache only when the status service cannot be reached
(``StatusAttestation.from_cache``); such an answer cannot show a revocation made during the
outage. Here the provider's checker is made to answer from its cache, and each test checks
what the PSP does with that: hold (``payment-held``, nothing written, the key released), or
refuse for another reason first. ``tests/api/test_authority_over_http.py`` does the same with
the real checker and a status server that goes down.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import pytest

from tests.helpers.clock import T0
from tests.helpers.delegation import make_iac
from tests.helpers.payments import World, make_world, sign_approval
from trustcart.core.clock import FixedClock
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.iac import IAC
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import HttpStatusChecker, StatusAttestation, sign_status
from trustcart.payments.errors import PaymentProblem
from trustcart.store.db import Database

P = PaymentProblem


class CacheSwitch:
    """Makes the provider's status checker answer from its cache (an outage) or live."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self._world, self._monkeypatch = world, monkeypatch
        self._live = world.status.check

    def outage(self) -> None:
        live = self._live

        def from_cache(iac: IAC, now: datetime) -> StatusAttestation:
            return replace(live(iac, now), from_cache=True)

        self._monkeypatch.setattr(self._world.status, "check", from_cache)

    def recovered(self) -> None:
        self._monkeypatch.setattr(self._world.status, "check", self._live)


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    return make_world(db, clock)


@pytest.fixture
def status(world: World, monkeypatch: pytest.MonkeyPatch) -> CacheSwitch:
    return CacheSwitch(world, monkeypatch)


def test_a_payment_on_a_cached_status_is_held_and_writes_nothing(
    world: World, status: CacheSwitch
) -> None:
    status.outage()
    before = world.snapshot()
    body = world.request(world.cart(unit_price="18.00"))
    held = world.pay(body, key="k-held")
    assert (held.status, held.code) == (503, P.PAYMENT_HELD)
    assert held.body["retry_after"] == 5
    assert held.body["status_checked_at"] == held.body["checked_at"]
    assert world.snapshot() == before
    assert world.notifier.delivered == []
    # The key was released: the same request under the same key is decided afresh.
    status.recovered()
    paid = world.pay(body, key="k-held")
    assert paid.status == 200, paid.body
    assert not paid.replayed


def test_l1_is_held_too(world: World, status: CacheSwitch) -> None:
    status.outage()
    cart = world.cart(unit_price="18.00")
    body = world.request(cart, mode="L1", approval=sign_approval(world.alice, cart, world.now))
    before = world.snapshot()
    assert world.pay(body).code == P.PAYMENT_HELD
    assert world.snapshot() == before


def test_a_payment_refused_for_another_reason_is_not_held(
    world: World, status: CacheSwitch
) -> None:
    # Held means "everything else holds": a payment that breaks a limit is refused as such.
    status.outage()
    over = world.pay(world.request(world.cart(unit_price="31.00")))
    assert over.code == P.OVER_SINGLE_LIMIT
    stranger_cart = world.request(world.cart(merchant_id="m_unknown"))
    assert world.pay(stranger_cart).code == P.CART_INVALID


def test_a_cached_non_active_answer_is_refused_not_held(world: World, status: CacheSwitch) -> None:
    world.status.status["dlg_test1"] = CredentialStatus.SUSPENDED
    status.outage()
    assert world.pay(world.request(world.cart())).code == P.IAC_SUSPENDED


def test_binding_may_use_the_cached_answer(world: World, status: CacheSwitch) -> None:
    # Binding moves no money, and every payment under the token asks the status again.
    status.outage()
    world.clock.advance(timedelta(seconds=1))  # a new binding request, not a copy
    assert world.bind().startswith("ptk_")


# -- the checker marks what it answers from its cache -----------------------------------------

STATUS_KEY = SigningKey.generate()


def test_the_checker_marks_cached_answers(clock: FixedClock) -> None:
    up = {"value": True}

    def handler(_request: httpx.Request) -> httpx.Response:
        if not up["value"]:
            return httpx.Response(503)
        status = sign_status("dlg_test1", CredentialStatus.ACTIVE, key=STATUS_KEY, now=clock.now())
        return httpx.Response(200, json={"status": status.token})

    checker = HttpStatusChecker(
        httpx.Client(transport=httpx.MockTransport(handler)),
        {STATUS_KEY.kid: STATUS_KEY.public},
        allowed_prefixes=("http://status.test/",),
        clock=clock,
    )
    iac = make_iac(T0)
    assert checker.check(iac, clock.now()).from_cache is False
    up["value"] = False
    clock.advance(timedelta(seconds=1))
    cached = checker.check(iac, clock.now())
    assert cached.from_cache is True
    assert cached.status is CredentialStatus.ACTIVE
    up["value"] = True
    assert checker.check(iac, clock.now()).from_cache is False
    up["value"] = False
    clock.advance(timedelta(seconds=61))
    with pytest.raises(StatusUnavailable):
        checker.check(iac, clock.now())
