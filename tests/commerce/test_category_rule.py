"""One category rule for every path: the merchant's pre-check refuses what the credential does.

``core.categories.category_within`` is the only definition of "within"; the IAC's constraint
evaluation, the merchant's cart pre-check, coupons and search filters all call it. These tests
drive the merchant path and the credential path with the same categories and limits and
compare their answers, including spellings chosen to slip past a forbidden category.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.clock import T0
from tests.helpers.delegation import make_iac
from trustcart.commerce.cart import (
    CartConstraints,
    CartLine,
    precheck_cart,
    price_cart,
)
from trustcart.commerce.catalog import Merchant, Product
from trustcart.commerce.errors import PrecheckFailed
from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.delegation.constraints import (
    ConstraintReason,
    PurchaseFacts,
    SpendSoFar,
    evaluate_purchase,
)
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.terms import CommerceConstraints

MERCHANT = Merchant(
    "m_shop",
    "Shop",
    GeoPoint.parse("30.25", "120.13"),
    Decimal("5"),
    ("drinks",),
    "CNY",
    Money.zero("CNY"),
)
SEGMENTS = st.sampled_from(["drinks", "milk-tea", "alcohol", "tea", "drink", "a", "milk"])
CATEGORIES = st.lists(SEGMENTS, min_size=1, max_size=3).map("/".join)
CATEGORY_REASONS = {ConstraintReason.CATEGORY_NOT_ALLOWED, ConstraintReason.CATEGORY_FORBIDDEN}


def merchant_refuses(category: str, allowed: tuple[str, ...], forbidden: tuple[str, ...]) -> bool:
    product = Product(
        "p_one", "m_shop", "Something", "", "", category, Money.parse("10.00", "CNY"), 5, 30
    )
    cart = price_cart(MERCHANT, [CartLine(product, 1)], [], now=T0)
    try:
        precheck_cart(
            cart, CartConstraints(allowed_categories=allowed, forbidden_categories=forbidden)
        )
    except PrecheckFailed:
        return True
    return False


def credential_refuses(category: str, allowed: tuple[str, ...], forbidden: tuple[str, ...]) -> bool:
    iac = make_iac(
        T0,
        commerce=CommerceConstraints(allowed_categories=allowed, forbidden_categories=forbidden),
    )
    facts = PurchaseFacts(
        merchant_id="m_shop",
        categories=(category,),
        amount=Money.parse("10.00", "CNY"),
        quantity=1,
        payment_method="trustcart-balance",
        at=T0 + timedelta(hours=1),
    )
    reasons = set(evaluate_purchase(iac, facts, SpendSoFar.zero("CNY")).reasons)
    return bool(reasons & CATEGORY_REASONS)


@settings(max_examples=300, deadline=None)
@given(
    category=CATEGORIES,
    allowed=st.lists(CATEGORIES, max_size=2).map(tuple),
    forbidden=st.lists(CATEGORIES, max_size=2).map(tuple),
)
def test_the_merchant_refuses_exactly_what_the_credential_refuses(
    category: str, allowed: tuple[str, ...], forbidden: tuple[str, ...]
) -> None:
    assert merchant_refuses(category, allowed, forbidden) == credential_refuses(
        category, allowed, forbidden
    )


@pytest.mark.parametrize(
    "spelling",
    [
        "Drinks/Alcohol",
        "drinks/alcohol ",
        "drinks/milk-tea/../alcohol",
        "ｄｒｉｎｋｓ",
        "drinks//alcohol",
    ],
)
def test_another_spelling_of_a_forbidden_category_is_refused_on_both_paths(
    spelling: str,
) -> None:
    with pytest.raises(ValidationError):
        CartConstraints(forbidden_categories=(spelling,))
    with pytest.raises(InvalidCredential):
        CommerceConstraints(forbidden_categories=(spelling,))
