"""L3 autonomous payments at the PSP: many payments under one BOUNDED IAC, a SPECIFIED IAC
refused at stage ``mode``, every stage refused by a crafted request (nothing moves), cumulative
totals from successes only, and a property: successful payments never sum past the budget."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.helpers.payments import (
    ACCOUNT,
    AGENT,
    MERCHANT,
    World,
    make_iac,
    make_world,
    sign_approval,
    sign_binding,
)
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.core.problem import ProblemError
from trustcart.core.typs import IAC_TYP
from trustcart.crypto.jws import peek_payload, sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.autonomy import AupStage
from trustcart.delegation.iac import verify_iac
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.terms import CommerceConstraints, DelegationMode
from trustcart.payments.aup import STAGE_OF_PROBLEM, stage_of, staged_problem
from trustcart.payments.errors import PaymentProblem
from trustcart.payments.receipts import verify_receipt
from trustcart.store.db import Database
from trustcart.store.payments import DelegationBudgetRow, PaymentRow

P = PaymentProblem
S = AupStage


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    return make_world(db, clock)


def l3(w: World, cart: str | None = None, **kwargs: Any) -> dict[str, Any]:
    return w.request(cart, mode="L3", **kwargs)


def test_several_autonomous_payments_under_one_bounded_iac(world: World) -> None:
    receipts = []
    for price in ("18.00", "25.00", "30.00"):
        outcome = world.pay(l3(world, world.cart(unit_price=price)))
        assert outcome.status == 200, outcome.body
        receipts.append(
            verify_receipt(outcome.body["receipt"], {world.psp_key.kid: world.psp_key.public})
        )
    assert [r["mode"] for r in receipts] == ["L3"] * 3
    assert [r["status"] for r in receipts] == ["SUCCESS"] * 3
    assert receipts[-1]["budget"] == {
        "spent": {"amount": "73.00", "currency": "CNY"},
        "remaining": {"amount": "7.00", "currency": "CNY"},
        "count": 3,
        "quantity": 3,
    }
    assert world.provider.balance(ACCOUNT) == cny("127.00")
    assert world.provider.merchant_balance(MERCHANT, "CNY") == cny("73.00")
    with world.db.transaction() as session:
        modes = session.execute(select(PaymentRow.mode)).scalars().all()
    assert modes == ["L3"] * 3


def test_a_specified_iac_is_refused_for_aup_at_stage_mode(db: Database, clock: FixedClock) -> None:
    w = make_world(db, clock, delegation_mode=DelegationMode.SPECIFIED)
    before = w.snapshot()
    outcome = w.pay(l3(w))
    assert (outcome.status, outcome.code, outcome.body["stage"]) == (403, P.AUP_NOT_BOUNDED, "mode")
    assert w.snapshot() == before
    # Nor does it pay at L2: a SPECIFIED IAC pays only the cart the person approves (L1).
    delegated = w.pay(w.request())
    assert (delegated.status, delegated.code) == (403, P.MODE_NOT_ALLOWED)
    assert w.snapshot() == before


# -- every stage, refused by a request crafted to get past it ---------------------------------

Crafted = Callable[[World], tuple[dict[str, Any], str]]  # the body and the paying agent


def _as(body: dict[str, Any], agent: str = AGENT) -> tuple[dict[str, Any], str]:
    return body, agent


def _approval_smuggled(w: World) -> tuple[dict[str, Any], str]:
    cart = w.cart()
    return _as(l3(w, cart, approval=sign_approval(w.alice, cart, w.now)))


def _unknown_field(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, stage="budget"))  # a client may not tell the PSP what passed


def _forged_token(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, token="ptk_" + "A" * 43))


def _revoked_token(w: World) -> tuple[dict[str, Any], str]:
    w.clock.advance(timedelta(seconds=1))  # a new binding request, not the fixture's replayed
    token = w.bind()
    w.provider.revoke_token(_token_id(w, token))
    return _as(l3(w, token=token))


def _token_id(w: World, token: str) -> str:
    from trustcart.payments.tokens import hash_token_value
    from trustcart.store.payments import PaymentTokenRow

    with w.db.transaction() as session:
        row = session.execute(
            select(PaymentTokenRow).where(PaymentTokenRow.token_hash == hash_token_value(token))
        ).scalar_one()
        return str(row.token_id)


def _other_agent(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w), "agent:someone-else")


def _other_delegators_iac(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, iac=make_iac(w.now, key=SigningKey.generate())))


def _token_of_another_iac(w: World) -> tuple[dict[str, Any], str]:
    other = make_iac(w.now, delegation_id="dlg_other")
    return _as(l3(w, iac=other))  # w.token is bound to dlg_test1


def _specified_iac(w: World) -> tuple[dict[str, Any], str]:
    iac = make_iac(w.now, delegation_id="dlg_spec", delegation_mode=DelegationMode.SPECIFIED)
    token = w.provider.bind(sign_binding(w.alice, iac, w.now)).payment_token
    return _as(l3(w, w.cart(delegation_id="dlg_spec"), iac=iac, token=token))


def _unconfirmed_iac(w: World) -> tuple[dict[str, Any], str]:
    payload = make_iac(w.now, delegation_id="dlg_unconf").payload()
    del payload["user_confirmation_method"], payload["user_confirmation_timestamp"]
    iac = verify_iac(sign_compact(payload, w.alice, typ=IAC_TYP), {w.alice.kid: w.alice.public})
    token = w.provider.bind(sign_binding(w.alice, iac, w.now)).payment_token
    return _as(l3(w, w.cart(delegation_id="dlg_unconf"), iac=iac, token=token))


def _revoked_iac(w: World) -> tuple[dict[str, Any], str]:
    w.status.status["dlg_test1"] = CredentialStatus.REVOKED
    return _as(l3(w))


def _suspended_iac(w: World) -> tuple[dict[str, Any], str]:
    w.status.status["dlg_test1"] = CredentialStatus.SUSPENDED
    return _as(l3(w))


def _status_down(w: World) -> tuple[dict[str, Any], str]:
    w.status.down = True
    return _as(l3(w))


def _after_the_window(w: World) -> tuple[dict[str, Any], str]:
    body = l3(w)
    w.clock.advance(timedelta(days=7, seconds=1))
    return _as(body)  # the token expires with the IAC, so the tool stage fails first


def _expired_iac(w: World) -> tuple[dict[str, Any], str]:
    w.status.status["dlg_test1"] = CredentialStatus.EXPIRED
    return _as(l3(w))


def _cart_of_another_delegation(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, w.cart(delegation_id="dlg_other")))


def _cart_of_another_task(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, w.cart(intent_id="int_other")))


def _cart_lock_expired(w: World) -> tuple[dict[str, Any], str]:
    body = l3(w, w.cart(lock_minutes=1))
    w.clock.advance(timedelta(minutes=2))
    return _as(body)


def _amount_understated(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, w.cart(unit_price="18.00"), amount={"amount": "1.00", "currency": "CNY"}))


def _over_single(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, w.cart(unit_price="30.01")))


def _over_total(w: World) -> tuple[dict[str, Any], str]:
    for _ in range(2):
        assert w.pay(l3(w, w.cart(unit_price="30.00"))).status == 200
    return _as(l3(w, w.cart(unit_price="20.01")))


def _over_quantity(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, w.cart(unit_price="5.00", quantity=4)))


def _forbidden_merchant(w: World) -> tuple[dict[str, Any], str]:
    iac = make_iac(
        w.now,
        delegation_id="dlg_fm",
        commerce=CommerceConstraints(forbidden_merchants=(MERCHANT,)),
    )
    token = w.provider.bind(sign_binding(w.alice, iac, w.now)).payment_token
    return _as(l3(w, w.cart(delegation_id="dlg_fm"), iac=iac, token=token))


def _other_category(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, w.cart(category="drinks/coffee")))


def _other_method(w: World) -> tuple[dict[str, Any], str]:
    return _as(l3(w, w.cart(method_id="credit-card")))


def _paid_twice(w: World) -> tuple[dict[str, Any], str]:
    assert w.pay(l3(w, w.cart(out_trade_no="ord_once"))).status == 200
    return _as(l3(w, w.cart(out_trade_no="ord_once")))


def _too_poor(w: World) -> tuple[dict[str, Any], str]:
    with w.db.transaction() as session:
        from trustcart.payments import ledger, ledger_store

        entry = ledger.payment_entry(
            "je_drain", wallet=ACCOUNT, merchant="m_rent", amount=cny("190.00"), reference="rent"
        )
        ledger_store.post_entry(session, entry, at=w.now)
    return _as(l3(w, w.cart(unit_price="18.00")))


CASES: dict[str, tuple[Crafted, AupStage, PaymentProblem]] = {
    "approval-smuggled": (_approval_smuggled, S.REQUEST, P.REQUEST_INVALID),
    "unknown-field": (_unknown_field, S.REQUEST, P.REQUEST_INVALID),
    "forged-token": (_forged_token, S.TOOL, P.TOKEN_INVALID),
    "revoked-token": (_revoked_token, S.TOOL, P.TOKEN_INVALID),
    "other-agent": (_other_agent, S.TOOL, P.TOKEN_AGENT_MISMATCH),
    "token-of-another-iac": (_token_of_another_iac, S.TOOL, P.TOKEN_DELEGATION_MISMATCH),
    "other-delegators-iac": (_other_delegators_iac, S.CREDENTIAL, P.IAC_INVALID),
    "specified-iac": (_specified_iac, S.MODE, P.AUP_NOT_BOUNDED),
    "unconfirmed-iac": (_unconfirmed_iac, S.MODE, P.MODE_NOT_ALLOWED),
    "revoked-iac": (_revoked_iac, S.VALIDITY, P.IAC_REVOKED),
    "suspended-iac": (_suspended_iac, S.VALIDITY, P.IAC_SUSPENDED),
    "status-down": (_status_down, S.VALIDITY, P.STATUS_UNAVAILABLE),
    "after-the-window": (_after_the_window, S.TOOL, P.TOKEN_INVALID),
    "expired-iac": (_expired_iac, S.VALIDITY, P.IAC_EXPIRED),
    "cart-of-another-delegation": (_cart_of_another_delegation, S.TASK, P.CART_INVALID),
    "cart-of-another-task": (_cart_of_another_task, S.TASK, P.CART_INVALID),
    "cart-lock-expired": (_cart_lock_expired, S.TASK, P.CART_EXPIRED),
    "amount-understated": (_amount_understated, S.TASK, P.AMOUNT_MISMATCH),
    "over-single": (_over_single, S.BUDGET, P.OVER_SINGLE_LIMIT),
    "over-total": (_over_total, S.BUDGET, P.OVER_BUDGET),
    "over-quantity": (_over_quantity, S.BUDGET, P.OVER_QUANTITY),
    "forbidden-merchant": (_forbidden_merchant, S.COUNTERPARTY, P.MERCHANT_NOT_ALLOWED),
    "other-category": (_other_category, S.CATEGORY, P.CATEGORY_NOT_ALLOWED),
    "other-method": (_other_method, S.METHOD, P.METHOD_NOT_ALLOWED),
    "paid-twice": (_paid_twice, S.FUNDS, P.ALREADY_PAID),
    "too-poor": (_too_poor, S.FUNDS, P.INSUFFICIENT_FUNDS),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_stage_refuses_and_names_itself(world: World, case: str) -> None:
    craft, stage, code = CASES[case]
    body, agent = craft(world)
    before = world.snapshot()
    outcome = world.pay(body, agent_id=agent)
    assert (outcome.code, outcome.body.get("stage")) == (code, stage.value), outcome.body
    assert world.snapshot() == before  # nothing moved, nothing counted


def test_the_crafted_cases_cover_every_stage() -> None:
    assert {stage for _, stage, _ in CASES.values()} == set(AupStage)


def test_every_payment_problem_belongs_to_one_stage() -> None:
    assert set(STAGE_OF_PROBLEM) == set(PaymentProblem)
    assert stage_of("not-a-code") is S.REQUEST


def test_a_replayed_refusal_still_names_its_stage(world: World) -> None:
    body = l3(world, world.cart(category="drinks/coffee"))
    first = world.pay(body, key="same")
    again = world.provider.submit_payment(agent_id=AGENT, idempotency_key="same", request=body)
    assert again.replayed
    assert again.body == first.body
    assert again.body["stage"] == "category"
    conflict = world.provider.submit_payment(
        agent_id=AGENT, idempotency_key="same", request=l3(world)
    )
    assert (conflict.code, conflict.body["stage"]) == ("idempotency-conflict", "request")


def test_l1_and_l2_requests_are_unchanged_and_carry_no_stage(world: World) -> None:
    refused = world.pay(world.request(world.cart(category="drinks/coffee")))
    assert refused.code == P.CATEGORY_NOT_ALLOWED
    assert "stage" not in refused.body


# -- cumulative totals come only from PSP successes --------------------------------------------


def _budget_row(w: World, delegation_id: str = "dlg_test1") -> tuple[int, int]:
    with w.db.transaction() as session:
        row = session.get(DelegationBudgetRow, delegation_id)
        return (row.spent_minor, row.payment_count) if row else (0, 0)


def test_a_failed_payment_does_not_count(world: World) -> None:
    assert world.pay(l3(world, world.cart(unit_price="30.00"))).status == 200
    refusals = [
        world.pay(l3(world, world.cart(unit_price="30.01"))),  # over single
        world.pay(l3(world, world.cart(unit_price="20.00", category="drinks/coffee"))),
        world.pay(l3(world, world.cart(unit_price="20.00", method_id="credit-card"))),
    ]
    assert [r.status for r in refusals] == [403, 403, 403]
    assert _budget_row(world) == (3000, 1)
    second = world.pay(l3(world, world.cart(unit_price="30.00")))
    assert peek_payload(second.body["receipt"])["budget"]["spent"]["amount"] == "60.00"
    # Had a refusal counted, this 20.00 would pass the 80.00 total.
    assert world.pay(l3(world, world.cart(unit_price="20.00"))).status == 200
    assert _budget_row(world) == (8000, 3)


_dlg = itertools.count()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=1, max_value=4000), min_size=1, max_size=8))
def test_successful_aup_payments_never_exceed_the_budget(
    db: Database, clock: FixedClock, amounts: list[int]
) -> None:
    w = _property_world(db, clock)
    delegation_id = f"dlg_prop{next(_dlg)}"
    iac = make_iac(
        w.now,
        delegation_id=delegation_id,
        commerce=CommerceConstraints(max_single=cny("40.00")),
    )
    token = w.provider.bind(sign_binding(w.alice, iac, w.now)).payment_token
    paid, count = 0, 0
    for minor in amounts:
        price = Money(minor, "CNY").amount_str()
        cart = w.cart(unit_price=price, delegation_id=delegation_id)
        outcome = w.pay(l3(w, cart, iac=iac, token=token))
        fits = paid + minor <= iac.max_total.minor
        assert outcome.ok == fits, outcome.body
        if outcome.ok:
            paid, count = paid + minor, count + 1
        else:
            assert outcome.body["stage"] == "budget"
    assert paid <= iac.max_total.minor
    assert _budget_row(w, delegation_id) == (paid, count)


_worlds: dict[int, World] = {}


def _property_world(db: Database, clock: FixedClock) -> World:
    """One world per database (Hypothesis reuses the function's fixtures across examples)."""
    if id(db) not in _worlds:
        _worlds.clear()
        _worlds[id(db)] = make_world(db, clock, balance="100000.00")
    return _worlds[id(db)]


def test_a_shell_refusal_is_staged_and_keeps_its_code() -> None:
    staged = staged_problem(ProblemError("invalid-request", 400, "not JSON", extra_field=1))
    assert staged.problem.to_json()["stage"] == "request"
    assert (staged.code, staged.status, staged.problem.extra["extra_field"]) == (
        "invalid-request",
        400,
        1,
    )
