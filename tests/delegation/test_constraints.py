"""Constraint evaluation: each reason code, and properties over random purchases."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.clock import T0
from tests.helpers.delegation import make_iac
from trustcart.core.categories import category_within
from trustcart.core.money import Money
from trustcart.delegation.constraints import (
    ConstraintReason,
    DeviationVerdict,
    PurchaseFacts,
    SpendSoFar,
    check_price_deviation,
    evaluate_purchase,
)
from trustcart.delegation.terms import AgentBehavior, CommerceConstraints, DeviationAction

IAC = make_iac(T0)
R = ConstraintReason


def purchase(**overrides: object) -> PurchaseFacts:
    fields: dict[str, object] = {
        "merchant_id": "m_teahouse",
        "categories": ("drinks/milk-tea",),
        "amount": Money.parse("18.00", "CNY"),
        "quantity": 1,
        "payment_method": "trustcart-balance",
        "at": T0 + timedelta(hours=1),
    }
    fields.update(overrides)
    return PurchaseFacts(**fields)  # type: ignore[arg-type]


def test_allowed_purchase() -> None:
    result = evaluate_purchase(IAC, purchase(), SpendSoFar.zero("CNY"))
    assert result.allowed
    assert result.explain() == "allowed"


@pytest.mark.parametrize(
    ("facts", "spent", "reason"),
    [
        ({"at": T0 - timedelta(seconds=1)}, None, R.OUTSIDE_VALIDITY_WINDOW),
        ({"at": T0 + timedelta(days=7)}, None, R.OUTSIDE_VALIDITY_WINDOW),
        ({"amount": Money.parse("18.00", "USD")}, None, R.CURRENCY_MISMATCH),
        ({"amount": Money.parse("30.01", "CNY")}, None, R.OVER_SINGLE_LIMIT),
        ({}, SpendSoFar(Money.parse("62.01", "CNY"), 2, 2), R.OVER_TOTAL_BUDGET),
        ({"quantity": 2}, SpendSoFar(Money.parse("20.00", "CNY"), 1, 2), R.OVER_QUANTITY),
        ({"categories": ("apparel/t-shirt",)}, None, R.CATEGORY_NOT_ALLOWED),
        ({"categories": ()}, None, R.CATEGORY_NOT_ALLOWED),
        ({"categories": ("drinks/milk-teas",)}, None, R.CATEGORY_NOT_ALLOWED),  # prefix trick
        ({"payment_method": "credit-card"}, None, R.PAYMENT_METHOD_NOT_ALLOWED),
        ({"amount": Money(0, "CNY")}, None, R.INVALID_AMOUNT),
        ({"amount": Money(-100, "CNY")}, None, R.INVALID_AMOUNT),
    ],
)
def test_each_reason(facts: dict[str, object], spent: SpendSoFar | None, reason: R) -> None:
    result = evaluate_purchase(IAC, purchase(**facts), spent or SpendSoFar.zero("CNY"))
    assert not result.allowed
    assert reason in result.reasons


def test_merchant_lists() -> None:
    iac = make_iac(
        T0,
        commerce=CommerceConstraints(
            allowed_merchants=("m_a", "m_b"),
            forbidden_merchants=("m_b",),
            forbidden_categories=("drinks/alcohol",),
        ),
    )
    zero = SpendSoFar.zero("CNY")
    assert (
        R.MERCHANT_NOT_ALLOWED in evaluate_purchase(iac, purchase(merchant_id="m_c"), zero).reasons
    )
    assert R.MERCHANT_FORBIDDEN in evaluate_purchase(iac, purchase(merchant_id="m_b"), zero).reasons
    assert evaluate_purchase(iac, purchase(merchant_id="m_a"), zero).allowed
    assert (
        R.CATEGORY_FORBIDDEN
        in evaluate_purchase(
            iac, purchase(merchant_id="m_a", categories=("drinks/alcohol/beer",)), zero
        ).reasons
    )


def test_category_matching() -> None:
    assert category_within("drinks/milk-tea", "drinks")
    assert category_within("drinks", "drinks")
    assert not category_within("drinksx", "drinks")
    assert not category_within("drinks", "drinks/milk-tea")


@settings(max_examples=300)
@given(
    amount=st.integers(min_value=1, max_value=20_000),
    spent=st.integers(min_value=0, max_value=10_000),
    count=st.integers(min_value=0, max_value=5),
    quantity=st.integers(min_value=1, max_value=4),
)
def test_never_allows_beyond_limits(amount: int, spent: int, count: int, quantity: int) -> None:
    result = evaluate_purchase(
        IAC,
        purchase(amount=Money(amount, "CNY"), quantity=quantity),
        SpendSoFar(Money(spent, "CNY"), count, count),
    )
    within = amount <= 3000 and spent + amount <= 8000 and count + quantity <= 3
    assert result.allowed == within


def test_price_deviation() -> None:
    expected = Money.parse("20.00", "CNY")
    assert (
        check_price_deviation(IAC, expected, Money.parse("21.00", "CNY"))
        is DeviationVerdict.WITHIN_TOLERANCE
    )  # 5 %
    assert (
        check_price_deviation(IAC, expected, Money.parse("19.00", "CNY"))
        is DeviationVerdict.WITHIN_TOLERANCE
    )
    assert (
        check_price_deviation(IAC, expected, Money.parse("21.01", "CNY"))
        is DeviationVerdict.PAUSE_AND_NOTIFY
    )
    cancel = make_iac(
        T0,
        behavior=AgentBehavior(
            price_deviation_tolerance=Decimal("0"),
            price_deviation_action=DeviationAction.AUTO_CANCEL,
        ),
    )
    assert (
        check_price_deviation(cancel, expected, Money.parse("20.01", "CNY"))
        is DeviationVerdict.AUTO_CANCEL
    )
