"""Merchant onboarding: every field checked when the application is built, rows written whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from trustcart.commerce.catalog import CouponKind
from trustcart.commerce.onboarding import (
    CouponTerms,
    MerchantApplication,
    MerchantExists,
    add_coupon,
    end_coupon,
    merchant_id_for,
    register_merchant,
)
from trustcart.commerce.repository import load_coupons, load_merchant
from trustcart.core.errors import ValidationError
from trustcart.store.commerce import CouponRow, MerchantRow
from trustcart.store.db import Database

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "name": "Lotus Tea",
    "name_zh": "莲花茶",
    "lat": "30.25",
    "lon": "120.13",
    "delivery_radius_km": "5",
    "shipping_fee": "3",
    "categories": "drinks/milk-tea, drinks/fruit-tea",
}


def _terms(**changes: str) -> CouponTerms:
    fields: dict[str, Any] = {
        "kind": "fixed",
        "value": "5",
        "threshold": "30",
        "description": "5 off 30",
    }
    return CouponTerms.parse(**{**fields, **changes}, currency="CNY")


def test_a_good_application_builds_its_merchant_and_coupons() -> None:
    application = MerchantApplication.parse(
        **GOOD, coupons=[_terms(), _terms(kind="percent", value="10")]
    )
    merchant = application.merchant("m_lotus_tea")
    assert merchant.name_zh == "莲花茶"
    assert merchant.categories == ("drinks/milk-tea", "drinks/fruit-tea")
    assert merchant.delivery_fee.minor == 300
    fixed, percent = application.coupons
    assert (fixed.kind, fixed.value, fixed.threshold.minor) == (CouponKind.FIXED, 500, 3000)
    assert (percent.kind, percent.value) == (CouponKind.PERCENT, 10)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "  "),
        ("lat", "91"),
        ("lon", "east"),
        ("delivery_radius_km", "0"),
        ("delivery_radius_km", "NaN"),
        ("shipping_fee", "-1"),
        ("categories", ""),
        ("categories", "Drinks!"),
        ("name_zh", "字" * 201),
    ],
)
def test_a_bad_field_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        MerchantApplication.parse(**{**GOOD, field: value})


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "bogo"},
        {"value": "0"},
        {"value": "-5"},
        {"kind": "percent", "value": "150"},
        {"kind": "percent", "value": "12.5"},
        {"threshold": "-1"},
        {"description": ""},
        {"value": "1e999"},
    ],
)
def test_a_bad_coupon_is_refused(changes: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        _terms(**changes)


def test_coupons_must_be_in_the_merchants_currency() -> None:
    usd = CouponTerms.parse("fixed", "5", "30", "5 off", currency="USD")
    with pytest.raises(ValidationError, match="currency"):
        MerchantApplication.parse(**GOOD, coupons=[usd])


@given(st.text(max_size=60), st.sets(st.text(max_size=20), max_size=5))
def test_a_derived_merchant_id_is_valid_and_free(name: str, taken: set[str]) -> None:
    chosen = merchant_id_for(name, taken={*taken, "m_shop"}, random_suffix=lambda: "a1")
    assert chosen not in taken
    assert chosen.startswith("m_")
    assert MerchantApplication.parse(**GOOD).merchant(chosen).merchant_id == chosen


def test_registering_writes_the_merchant_and_its_coupons(db: Database) -> None:
    application = MerchantApplication.parse(**GOOD, coupons=[_terms()])
    merchant, coupons = register_merchant(db, application, now=NOW)
    assert merchant.merchant_id == "m_lotus_tea"
    with db.transaction() as session:
        stored = load_merchant(session, "m_lotus_tea")
        assert stored == merchant
        assert load_coupons(session, "m_lotus_tea") == coupons
    assert coupons[0].valid_until == NOW + timedelta(days=90)
    # The same name again gets another id; the same id again is refused, and writes nothing.
    again, _ = register_merchant(db, application, now=NOW, random_suffix=lambda: "b2")
    assert again.merchant_id == "m_lotus_tea_b2"
    with pytest.raises(MerchantExists):
        register_merchant(db, application, now=NOW, merchant_id="m_lotus_tea")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MerchantRow)) == 2
        assert session.scalar(select(func.count()).select_from(CouponRow)) == 2


def test_coupons_are_added_and_ended(db: Database) -> None:
    register_merchant(db, MerchantApplication.parse(**GOOD), now=NOW)
    added = add_coupon(db, "m_lotus_tea", _terms(kind="percent", value="10"), now=NOW)
    assert added.valid_at(NOW)
    ended = end_coupon(db, "m_lotus_tea", added.coupon_id, now=NOW + timedelta(hours=1))
    assert ended.valid_until == NOW + timedelta(hours=1)
    assert not ended.valid_at(NOW + timedelta(hours=2))
    with pytest.raises(ValidationError):
        end_coupon(db, "m_other", added.coupon_id, now=NOW)  # another merchant's coupon
    with pytest.raises(ValidationError):
        add_coupon(db, "m_nobody", _terms(), now=NOW)
