"""ASSOCIATED_CREDIT never widens an IAC: credit limits that try to widen are cut back to the
IAC, and no purchase the IAC refuses is ever allowed (Hypothesis over limits and purchases)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.credit import AGENT, build_world, make_iac, shared_world
from trustcart.core.money import Money
from trustcart.delegation.constraints import (
    ConstraintReason,
    PurchaseFacts,
    SpendSoFar,
    evaluate_purchase,
)
from trustcart.delegation.iac import IAC
from trustcart.trust.credit.assertions import AgentAssociatedCreditAssertion
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.limits import CreditLimits, EffectiveLimits, limit_by_associated_credit

CNY = "CNY"


def _money(text: str) -> Money:
    return Money.parse(text, CNY)


def _iac(**commerce: Any) -> IAC:
    world = shared_world()
    return make_iac(world.now, world.keys["subject:world:alice"], **commerce)


def _purchase(at: datetime, amount: str | Money = "20.00", **changes: Any) -> PurchaseFacts:
    fields: dict[str, Any] = {
        "merchant_id": "merchant:tea-house",
        "categories": ("drinks/milk-tea",),
        "amount": amount if isinstance(amount, Money) else _money(amount),
        "quantity": 1,
        "payment_method": "trustcart-balance",
        "at": at,
    }
    fields.update(changes)
    return PurchaseFacts(**fields)


def test_credit_that_tries_to_widen_every_limit_is_cut_back_to_the_iac() -> None:
    world = shared_world()
    iac = _iac(allowed_merchants=("merchant:tea-house",), forbidden_categories=("drinks/alcohol",))
    generous = CreditLimits(
        max_total=_money("100000.00"),
        max_single=_money("50000.00"),
        allowed_merchants=("merchant:tea-house", "merchant:jeweller"),
        allowed_categories=("drinks", "jewellery"),
        valid_until=world.now + timedelta(days=3650),
    )
    limits = limit_by_associated_credit(iac, world.agent_assertion, generous, now=world.now)
    assert limits.max_total == iac.max_total == _money("80.00")
    assert limits.max_single == _money("30.00")
    assert limits.valid_until <= iac.validity_end
    spent = SpendSoFar.zero(CNY)
    assert limits.evaluate(_purchase(world.now), spent).allowed
    for refused, reason in (
        (_purchase(world.now, "31.00"), ConstraintReason.OVER_SINGLE_LIMIT),
        (
            _purchase(world.now, "20.00", merchant_id="merchant:jeweller"),
            ConstraintReason.MERCHANT_NOT_ALLOWED,
        ),
        (_purchase(world.now, categories=("drinks/alcohol",)), ConstraintReason.CATEGORY_FORBIDDEN),
        (_purchase(iac.validity_end), ConstraintReason.OUTSIDE_VALIDITY_WINDOW),
    ):
        result = limits.evaluate(refused, spent)
        assert not result.allowed
        assert reason in result.reasons
    near_budget = SpendSoFar(_money("70.00"), count=3, quantity=3)
    assert (
        ConstraintReason.OVER_TOTAL_BUDGET
        in limits.evaluate(_purchase(world.now), near_budget).reasons
    )


def test_credit_can_narrow() -> None:
    world = shared_world()
    iac = _iac()
    cautious = CreditLimits(
        max_total=_money("25.00"),
        max_single=_money("12.00"),
        forbidden_merchants=("merchant:tea-house",),
        valid_until=world.now + timedelta(hours=1),
    )
    limits = limit_by_associated_credit(iac, world.agent_assertion, cautious, now=world.now)
    assert (limits.max_total, limits.max_single) == (_money("25.00"), _money("12.00"))
    assert limits.valid_until == world.now + timedelta(hours=1)
    reasons = limits.evaluate(_purchase(world.now, "20.00"), SpendSoFar.zero(CNY)).reasons
    assert ConstraintReason.OVER_SINGLE_LIMIT in reasons
    assert ConstraintReason.MERCHANT_FORBIDDEN in reasons


def test_credit_limits_cannot_outlive_their_assertion() -> None:
    world = shared_world()
    limits = limit_by_associated_credit(
        _iac(), world.agent_assertion, CreditLimits(), now=world.now
    )
    assert world.agent_assertion.expires_at is not None
    assert limits.valid_until <= world.now + timedelta(days=30)


def _assertion(**changes: Any) -> AgentAssociatedCreditAssertion:
    wire = shared_world().agent_assertion.to_json() | changes
    return AgentAssociatedCreditAssertion.from_json(wire)


@pytest.mark.parametrize(
    "assertion",
    [
        _assertion(agentId="agent:world:other-assistant"),
        _assertion(status="REVOKED"),
        _assertion(status="SUSPENDED"),
        _assertion(expiresAt="2026-08-12T09:00:00Z"),
    ],
    ids=["other-agent", "revoked", "suspended", "expired"],
)
def test_an_assertion_that_cannot_be_used_raises(assertion: AgentAssociatedCreditAssertion) -> None:
    world = shared_world()
    with pytest.raises(InvalidCreditObject):
        limit_by_associated_credit(_iac(), assertion, CreditLimits(), now=world.now)


def test_credit_limits_in_another_currency_are_refused() -> None:
    world = shared_world()
    with pytest.raises(InvalidCreditObject, match="currency"):
        limit_by_associated_credit(
            _iac(),
            world.agent_assertion,
            CreditLimits(max_total=Money.parse("10.00", "USD")),
            now=world.now,
        )


def test_effective_limits_cannot_be_built_wider_than_the_iac() -> None:
    iac = _iac()
    limits = EffectiveLimits(
        iac=iac, credit=CreditLimits(max_total=_money("999.00")), credit_valid_until=None
    )
    assert limits.max_total == iac.max_total  # the minimum is taken, whatever was passed


_amounts = st.integers(min_value=0, max_value=20_000).map(lambda minor: Money(minor, CNY))
_merchants = st.sampled_from(["merchant:tea-house", "merchant:jeweller", "merchant:other"])
_categories = st.sampled_from(["drinks/milk-tea", "drinks/alcohol", "jewellery", "drinks"])


@settings(max_examples=300, deadline=None)
@given(
    max_total=st.none() | _amounts,
    max_single=st.none() | _amounts,
    allowed_merchants=st.lists(_merchants, max_size=3, unique=True),
    allowed_categories=st.lists(_categories, max_size=3, unique=True),
    valid_days=st.none() | st.integers(min_value=-2, max_value=30),
    amount=st.integers(min_value=1, max_value=20_000),
    spent=st.integers(min_value=0, max_value=10_000),
    merchant=_merchants,
    category=_categories,
    at_hours=st.integers(min_value=-2, max_value=24 * 10),
)
def test_nothing_the_iac_refuses_is_ever_allowed(
    max_total: Money | None,
    max_single: Money | None,
    allowed_merchants: list[str],
    allowed_categories: list[str],
    valid_days: int | None,
    amount: int,
    spent: int,
    merchant: str,
    category: str,
    at_hours: int,
) -> None:
    world = shared_world()
    iac = _IAC
    credit = CreditLimits(
        max_total=max_total,
        max_single=max_single,
        allowed_merchants=tuple(allowed_merchants),
        allowed_categories=tuple(allowed_categories),
        valid_until=None if valid_days is None else world.now + timedelta(days=valid_days),
    )
    limits = limit_by_associated_credit(iac, world.agent_assertion, credit, now=world.now)
    assert limits.max_total <= iac.max_total
    assert limits.max_single <= (iac.commerce.max_single or iac.max_total)
    assert limits.valid_until <= iac.validity_end
    purchase = _purchase(
        world.now + timedelta(hours=at_hours),
        Money(amount, CNY),
        merchant_id=merchant,
        categories=(category,),
    )
    so_far = SpendSoFar(Money(spent, CNY), count=1, quantity=1)
    if limits.evaluate(purchase, so_far).allowed:
        assert evaluate_purchase(iac, purchase, so_far).allowed


_IAC = _iac(
    allowed_merchants=("merchant:tea-house", "merchant:other"),
    forbidden_categories=("drinks/alcohol",),
)


def test_the_world_agent_is_the_iac_agent() -> None:
    assert _IAC.agent_id == AGENT == build_world().agent_assertion.agent_id
