"""Open AP2 payment mandates: a closed mandate must meet every constraint (unknown ones fail),
and an open mandate may not grant more than the IAC (``delegation.ap2.open_mandates``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.delegation import make_iac
from trustcart.core.money import Money
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.mandates import PaymentMandate
from trustcart.delegation.ap2.open_mandates import (
    OpenPaymentMandate,
    check_budget_bound_by_iac,
    check_closed_meets_open,
    check_open_claims_kept,
    check_open_within_iac,
)

R = AP2Refusal
NOW = datetime(2026, 8, 12, 9, 0, tzinfo=UTC)
IAC = make_iac(NOW)  # CNY, max_total 80.00, max_single 30.00, method trustcart-balance
CLOSED = PaymentMandate(
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
REFERENCE = {"type": "payment.reference", "conditional_transaction_id": "open-checkout-digest"}


def _open(*constraints: dict[str, Any], hours: int = 1) -> OpenPaymentMandate:
    claims = {
        "vct": "mandate.payment.open.1",
        "constraints": [REFERENCE, *constraints],
        "cnf": {"jwk": {"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}},
        "exp": int((NOW + timedelta(hours=hours)).timestamp()),
    }
    return OpenPaymentMandate.from_claims(claims, NOW)


def _reason(call: Any) -> AP2Refusal:
    with pytest.raises(MandateRefused) as caught:
        call()
    return caught.value.code


RANGE = {"type": "payment.amount_range", "currency": "CNY", "max": 2500, "min": 100}
PAYEES = {
    "type": "payment.allowed_payees",
    "allowed": [{"id": "m_teahouse", "name": "Tea House"}],
}
BUDGET = {"type": "payment.budget", "currency": "CNY", "max": 5000}


def test_a_closed_mandate_inside_every_constraint_passes() -> None:
    open_mandate = _open(RANGE, PAYEES, BUDGET)
    check_closed_meets_open(CLOSED, open_mandate, checkout_reference="open-checkout-digest")
    check_open_within_iac(open_mandate, IAC)


@pytest.mark.parametrize(
    ("closed", "reference"),
    [
        (replace(CLOSED, amount=Money(2600, "CNY")), "open-checkout-digest"),
        (replace(CLOSED, amount=Money(50, "CNY")), "open-checkout-digest"),
        (replace(CLOSED, amount=Money(1800, "USD")), "open-checkout-digest"),
        (replace(CLOSED, payee_id="m_other"), "open-checkout-digest"),
        (replace(CLOSED, expires_at=NOW + timedelta(hours=2)), "open-checkout-digest"),
        (CLOSED, "another-checkout"),
        (CLOSED, None),
    ],
)
def test_a_closed_mandate_outside_a_constraint_is_refused(
    closed: PaymentMandate, reference: str | None
) -> None:
    open_mandate = _open(RANGE, PAYEES)
    assert (
        _reason(lambda: check_closed_meets_open(closed, open_mandate, checkout_reference=reference))
        is R.CONSTRAINT_UNMET
    )


@pytest.mark.parametrize(
    "constraint",
    [
        {"type": "payment.agent_recurrence", "frequency": "MONTHLY"},
        {"type": "payment.execution_date", "not_before": "2026-08-12"},
        {"type": "payment.budget", "currency": "CNY", "max": 12.5},
    ],
)
def test_a_constraint_not_evaluated_here_fails(constraint: dict[str, Any]) -> None:
    open_mandate = _open(constraint)
    assert (
        _reason(
            lambda: check_closed_meets_open(
                CLOSED, open_mandate, checkout_reference="open-checkout-digest"
            )
        )
        is R.CONSTRAINT_UNKNOWN
    )


@pytest.mark.parametrize(
    "constraint",
    [
        {"type": "payment.amount_range", "currency": "CNY", "max": 3001},  # over max_single
        {"type": "payment.amount_range", "currency": "USD", "max": 100},
        {"type": "payment.budget", "currency": "CNY", "max": 8001},  # over max_total
        {
            "type": "payment.allowed_payment_instruments",
            "allowed": [{"id": "card", "type": "card"}],
        },
    ],
)
def test_an_open_mandate_wider_than_the_iac_is_refused(constraint: dict[str, Any]) -> None:
    assert _reason(lambda: check_open_within_iac(_open(constraint), IAC)) is R.WIDER_THAN_IAC


def test_an_open_mandate_outliving_the_iac_or_naming_other_payees_is_refused() -> None:
    assert _reason(lambda: check_open_within_iac(_open(hours=24 * 8), IAC)) is R.WIDER_THAN_IAC
    narrow = replace(IAC, commerce=replace(IAC.commerce, allowed_merchants=("m_other",)))
    assert _reason(lambda: check_open_within_iac(_open(PAYEES), narrow)) is R.WIDER_THAN_IAC


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"vct": "mandate.payment.1"}, R.WRONG_TYPE),
        ({"constraints": [RANGE]}, R.SCHEMA_INVALID),  # no payment.reference
        ({"exp": int((NOW - timedelta(seconds=1)).timestamp())}, R.EXPIRED),
    ],
)
def test_a_bad_open_mandate_is_refused(claims: dict[str, Any], reason: AP2Refusal) -> None:
    base = {
        "vct": "mandate.payment.open.1",
        "constraints": [REFERENCE],
        "cnf": {},
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    assert _reason(lambda: OpenPaymentMandate.from_claims({**base, **claims}, NOW)) is reason


@given(high=st.integers(min_value=1, max_value=20_000))
def test_an_amount_range_fits_the_iac_exactly_when_its_max_does(high: int) -> None:
    open_mandate = _open({"type": "payment.amount_range", "currency": "CNY", "max": high})
    try:
        check_open_within_iac(open_mandate, IAC)
    except MandateRefused:
        assert high > 3000
    else:
        assert high <= 3000


@pytest.mark.parametrize(("maximum", "held"), [(8000, True), (5000, False), (7999, False)])
def test_only_a_budget_the_iacs_ledger_holds_is_accepted(maximum: int, held: bool) -> None:
    mandate = _open({"type": "payment.budget", "currency": "CNY", "max": maximum})
    if held:
        check_budget_bound_by_iac(mandate, IAC)
    else:
        assert _reason(lambda: check_budget_bound_by_iac(mandate, IAC)) is R.CONSTRAINT_UNKNOWN


def test_the_claims_an_open_mandate_presets_stay_unchanged() -> None:
    preset = {"vct": "v", "cnf": {}, "exp": 1, "payee": {"id": "m1", "name": "M"}}
    check_open_claims_kept(preset, {"vct": "w", "payee": {"id": "m1", "name": "M"}})
    changed = {"payee": {"id": "m2", "name": "M"}}
    assert _reason(lambda: check_open_claims_kept(preset, changed)) is R.CONSTRAINT_UNMET
    assert _reason(lambda: check_open_claims_kept(preset, {})) is R.CONSTRAINT_UNMET
