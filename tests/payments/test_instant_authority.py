"""An instant-mode credential (a SPECIFIED IAC, issued for one purchase the person chose) pays
only the cart the person approved, on SQLite and PostgreSQL. Each test tries one way around it
with a real PSP, a real token bound to that IAC and a real merchant-signed cart, and checks that
the refusal has its stable code and leaves the ledger, payments and budgets exactly as they were.

Before ``payments.levels`` an agent holding the IAC and its token paid any other cart within
the IAC's limits in L2, without asking (issue 10, item 6).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.clock import T0
from tests.helpers.delegation import alice_key
from tests.helpers.payments import (
    MERCHANT,
    PSP_ID,
    World,
    make_iac,
    make_world,
    sign_approval,
    sign_cart,
)
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.core.typs import IAC_TYP
from trustcart.crypto.jws import peek_payload, sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.iac import verify_iac
from trustcart.delegation.terms import CommerceConstraints, DelegationMode
from trustcart.payments import checks
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.levels import LEVELS, allowed_levels, check_level
from trustcart.store.db import Database
from trustcart.trust.directory import InMemoryKeyDirectory

P = PaymentProblem


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def instant_terms() -> dict[str, Any]:
    """What the assistant signs for "order me a pearl milk tea under 30": one purchase."""
    return {
        "delegation_mode": DelegationMode.SPECIFIED,
        "max_total": cny("30.00"),
        "commerce": CommerceConstraints(
            max_single=cny("30.00"),
            allowed_categories=("drinks/milk-tea",),
            allowed_merchants=(MERCHANT,),
        ),
    }


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    return make_world(db, clock, **instant_terms())


def refused(world: World, body: dict[str, Any]) -> str:
    """Pay ``body``; assert nothing at all changed; return the refusal's code."""
    before = world.snapshot()
    outcome = world.pay(body)
    assert not outcome.ok, outcome.body
    assert world.snapshot() == before
    return str(outcome.code)


def test_the_approved_cart_is_paid(world: World) -> None:
    cart = world.cart(unit_price="18.00")
    outcome = world.pay(
        world.request(cart, mode="L1", approval=sign_approval(world.alice, cart, world.now))
    )
    assert outcome.status == 200, outcome.body
    assert peek_payload(outcome.body["receipt"])["mode"] == "L1"
    assert world.provider.balance("acc_alice") == cny("182.00")


def test_another_cart_within_the_limits_without_asking_is_refused(world: World) -> None:
    # The attack measured on main: L2 under the one-purchase IAC, a cart the person never saw.
    assert refused(world, world.request(world.cart(unit_price="12.00"), mode="L2")) == (
        P.MODE_NOT_ALLOWED
    )


def test_l2_with_an_approval_attached_is_still_refused(world: World) -> None:
    cart = world.cart(unit_price="18.00")
    body = world.request(cart, mode="L2", approval=sign_approval(world.alice, cart, world.now))
    assert refused(world, body) == P.MODE_NOT_ALLOWED


def test_l1_without_an_approval_is_refused(world: World) -> None:
    assert refused(world, world.request(world.cart(), mode="L1")) == P.APPROVAL_MISSING


def test_the_approval_of_one_cart_does_not_pay_another(world: World) -> None:
    approved = world.cart(unit_price="18.00")
    approval = sign_approval(world.alice, approved, world.now)
    # Another order at the same merchant, same amount: only the digest tells them apart.
    other = world.cart(unit_price="18.00")
    assert refused(world, world.request(other, mode="L1", approval=approval)) == (
        P.APPROVAL_MISMATCH
    )
    # The same order number re-signed with another quantity: a cart changed after approval.
    changed = sign_cart(
        world.merchant_key,
        world.now,
        out_trade_no=str(peek_payload(approved)["out_trade_no"]),
        unit_price="9.00",
        quantity=2,
    )
    assert refused(world, world.request(changed, mode="L1", approval=approval)) == (
        P.APPROVAL_MISMATCH
    )


def test_an_approval_not_signed_by_the_person_is_refused(world: World) -> None:
    cart = world.cart(unit_price="18.00")
    for signer in (SigningKey.generate(), world.merchant_key, world.psp_key):
        body = world.request(cart, mode="L1", approval=sign_approval(signer, cart, world.now))
        assert refused(world, body) == P.APPROVAL_INVALID


def test_the_approved_cart_is_paid_once(world: World) -> None:
    cart = world.cart(unit_price="12.00")  # twice would still fit the 30.00 the IAC allows
    approval = sign_approval(world.alice, cart, world.now)
    assert world.pay(world.request(cart, mode="L1", approval=approval)).status == 200
    # The same approval and cart again under a new idempotency key: a second payment.
    assert refused(world, world.request(cart, mode="L1", approval=approval)) == P.ALREADY_PAID


def test_a_laxer_twin_iac_cannot_use_the_one_purchase_token(world: World) -> None:
    # Even a BOUNDED IAC with the same id (signed by the person for something else) does not
    # lend its freedom to the token bound to the one-purchase IAC.
    twin = peek_payload(world.iac.token) | {"delegation_mode": "BOUNDED"}
    twin_token = sign_compact(twin, world.alice, typ=IAC_TYP)
    body = world.request(world.cart(unit_price="12.00"), mode="L2", iac=twin_token)
    assert refused(world, body) == P.TOKEN_DELEGATION_MISMATCH


def test_an_iac_without_delegation_mode_is_specified(db: Database, clock: FixedClock) -> None:
    # ACT: absent means SPECIFIED, so dropping the field cannot widen the credential.
    world = make_world(db, clock, **instant_terms())
    payload = peek_payload(world.iac.token)
    del payload["delegation_mode"]
    iac = verify_iac(
        sign_compact(payload, world.alice, typ=IAC_TYP), {world.alice.kid: world.alice.public}
    )
    assert iac.delegation_mode is DelegationMode.SPECIFIED
    token = world.bind(iac)
    body = world.request(world.cart(unit_price="12.00"), mode="L2", iac=iac, token=token)
    assert refused(world, body) == P.MODE_NOT_ALLOWED


def test_a_mode_spelled_otherwise_is_refused(world: World) -> None:
    for mode in ("l2", "L2 ", "L4", "DEL"):  # L3 is a real level (AUP)
        body = world.request(world.cart(unit_price="12.00"), mode=mode)
        assert refused(world, body) == P.REQUEST_INVALID


def test_a_standing_order_still_pays_without_asking(db: Database, clock: FixedClock) -> None:
    world = make_world(db, clock)  # BOUNDED: "up to 3 milk teas this week"
    assert world.pay(world.request(world.cart(unit_price="18.00"), mode="L2")).status == 200


def test_the_refusal_comes_before_the_status_service_is_asked(world: World) -> None:
    calls = world.status.calls
    assert refused(world, world.request(world.cart(), mode="L2")) == P.MODE_NOT_ALLOWED
    assert world.status.calls == calls


# -- the table, and the approval check as a property -----------------------------------------


def test_the_levels_table_is_the_rule() -> None:
    assert set(LEVELS) == {(mode, c) for mode in DelegationMode for c in (True, False)}
    for (mode, confirmed), levels in LEVELS.items():
        assert allowed_levels(mode, confirmed=confirmed) == levels
        assert PaymentMode.L1 in levels  # the person's approval of the cart is always enough
        assert (PaymentMode.L2 in levels) == (mode is DelegationMode.BOUNDED and confirmed)


def test_check_level_refuses_l2_under_a_specified_iac(clock: FixedClock) -> None:
    iac = make_iac(clock.now(), **instant_terms())
    check_level(PaymentMode.L1, iac)
    with pytest.raises(PaymentRefused) as caught:
        check_level(PaymentMode.L2, iac)
    assert caught.value.code == P.MODE_NOT_ALLOWED


# A fixed merchant key, so that the property needs no fixture (RFC 8032 test 2 secret key).
MERCHANT_KEY = SigningKey.from_jwk(
    {
        "kty": "OKP",
        "crv": "Ed25519",
        "d": "TM0Imyj_ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U-4pvs",
        "x": "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
    }
)
MERCHANTS = InMemoryKeyDirectory()
MERCHANTS.register(MERCHANT_KEY.public, party_id=MERCHANT, role="merchant")
APPROVED: dict[str, Any] = {
    "out_trade_no": "ord_1",
    "unit_price": "18.00",
    "quantity": 1,
    "lock_minutes": 15,
}


@given(
    out_trade_no=st.sampled_from(["ord_1", "ord_2"]),
    unit_price=st.sampled_from(["18.00", "17.99", "9.00"]),
    quantity=st.integers(min_value=1, max_value=2),
    lock_minutes=st.sampled_from([15, 16]),
)
def test_an_approval_fits_exactly_one_cart(
    out_trade_no: str, unit_price: str, quantity: int, lock_minutes: int
) -> None:
    """Any cart that differs from the approved one in order, price, quantity or even its lock
    time (so its digest) is refused with the approval of the first."""
    approval = sign_approval(alice_key(), sign_cart(MERCHANT_KEY, T0, **APPROVED), T0)
    terms: dict[str, Any] = {
        "out_trade_no": out_trade_no,
        "unit_price": unit_price,
        "quantity": quantity,
        "lock_minutes": lock_minutes,
    }
    cart = checks.verify_cart(
        sign_cart(MERCHANT_KEY, T0, **terms), MERCHANTS, psp_id=PSP_ID, now=T0
    )
    later = T0 + timedelta(seconds=5)
    if terms == APPROVED:
        checks.verify_approval(approval, alice_key().public, cart, later)
        return
    with pytest.raises(PaymentRefused) as caught:
        checks.verify_approval(approval, alice_key().public, cart, later)
    assert caught.value.code in {P.APPROVAL_MISMATCH, P.AMOUNT_MISMATCH}
