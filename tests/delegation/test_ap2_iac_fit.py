"""An AP2 payment mandate never widens the IAC it is used under (``delegation.ap2.iac_fit``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.delegation import make_iac
from trustcart.core.money import Money
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.iac_fit import (
    check_payment_matches_checkout,
    check_payment_within_iac,
)
from trustcart.delegation.ap2.mandates import PaymentMandate
from trustcart.delegation.terms import CommerceConstraints

NOW = datetime(2026, 8, 12, 9, 0, tzinfo=UTC)
IAC = make_iac(NOW)  # CNY, max_total 80.00, max_single 30.00, method trustcart-balance
MANDATE = PaymentMandate(
    transaction_id="h",
    payee_id="m_teahouse",
    payee_name="Tea House",
    amount=Money(1800, "CNY"),
    instrument_id="trustcart-balance",
    instrument_type="trustcart.psp_account",
    issued_at=NOW,
    expires_at=NOW + timedelta(minutes=10),
    deferred=False,
    digest="d",
)


def test_a_mandate_inside_the_iac_passes() -> None:
    check_payment_within_iac(MANDATE, IAC, NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": Money(1800, "USD")},
        {"amount": Money(3001, "CNY")},  # over max_single
        {"instrument_id": "card"},
        {"expires_at": NOW + timedelta(days=8)},  # outlives the IAC (7 days)
        {"deferred": True},
    ],
)
def test_anything_wider_than_the_iac_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(MandateRefused) as caught:
        check_payment_within_iac(replace(MANDATE, **change), IAC, NOW)  # type: ignore[arg-type]
    assert caught.value.code is AP2Refusal.WIDER_THAN_IAC


def test_a_payee_outside_the_iacs_merchants_is_refused() -> None:
    narrow = replace(IAC, commerce=replace(IAC.commerce, allowed_merchants=("m_other",)))
    with pytest.raises(MandateRefused):
        check_payment_within_iac(MANDATE, narrow, NOW)
    banned = replace(IAC, commerce=CommerceConstraints(forbidden_merchants=("m_teahouse",)))
    with pytest.raises(MandateRefused):
        check_payment_within_iac(MANDATE, banned, NOW)


def test_outside_the_iacs_window_is_refused() -> None:
    with pytest.raises(MandateRefused):
        check_payment_within_iac(MANDATE, IAC, NOW + timedelta(days=8))


@settings(max_examples=200)
@given(minor=st.integers(min_value=1, max_value=20_000))
def test_the_amount_passes_exactly_when_the_iac_allows_it(minor: int) -> None:
    mandate = replace(MANDATE, amount=Money(minor, "CNY"))
    allowed = minor <= 3000  # max_single 30.00 < max_total 80.00
    try:
        check_payment_within_iac(mandate, IAC, NOW)
    except MandateRefused:
        assert not allowed
    else:
        assert allowed


@pytest.mark.parametrize(
    ("field", "value"),
    [("merchant_id", "m_other"), ("total", Money(1700, "CNY")), ("method_id", "card")],
)
def test_a_payment_that_is_not_the_checkouts_is_refused(field: str, value: object) -> None:
    facts: dict[str, object] = {
        "merchant_id": "m_teahouse",
        "total": Money(1800, "CNY"),
        "method_id": "trustcart-balance",
    }
    check_payment_matches_checkout(MANDATE, **facts)  # type: ignore[arg-type]
    facts[field] = value
    with pytest.raises(MandateRefused) as caught:
        check_payment_matches_checkout(MANDATE, **facts)  # type: ignore[arg-type]
    assert caught.value.code is AP2Refusal.CHECKOUT_MISMATCH
