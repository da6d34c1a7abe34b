"""The agent's AUP self-check (pure): each stage refused by a requirement crafted to get past
it, a SPECIFIED IAC refused at ``mode``, the first failing stage wins, and a property: an
agent that pays only what passes and counts only successes never spends past the budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.delegation import make_iac
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.delegation.autonomy import (
    CONSTRAINT_STAGE,
    SELF_CHECK_STAGES,
    STAGE_ORDER,
    AupReason,
    AupStage,
    AupVerdict,
    Instrument,
    Requirement,
    self_check,
)
from trustcart.delegation.constraints import ConstraintReason, SpendSoFar
from trustcart.delegation.iac import IAC
from trustcart.delegation.terms import CommerceConstraints, DelegationMode

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
S = AupStage
IAC_ = make_iac(NOW)


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def requirement(**changes: object) -> Requirement:
    base = Requirement(
        delegation_id=IAC_.delegation_id,
        intent_id=IAC_.intent_id,
        agent_id=IAC_.agent_id,
        merchant_id="m_teahouse",
        categories=("drinks/milk-tea",),
        amount=cny("18.00"),
        quantity=1,
        method_id="trustcart-balance",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


INSTRUMENT = Instrument("ptk_x", IAC_.delegation_id, IAC_.agent_id, IAC_.validity_end)
ZERO = SpendSoFar.zero("CNY")


def check(
    *,
    iac: IAC = IAC_,
    req: Requirement | None = None,
    instrument: Instrument = INSTRUMENT,
    spent: SpendSoFar = ZERO,
    now: datetime = NOW,
) -> AupVerdict:
    return self_check(iac, req or requirement(), instrument, spent, now)


def test_a_requirement_within_the_bounded_iac_passes() -> None:
    assert check() == AupVerdict.passed()


CASES: dict[str, tuple[AupVerdict, AupStage, str]] = {
    "no-instrument": (
        check(instrument=replace(INSTRUMENT, reference="")),
        S.TOOL,
        AupReason.INSTRUMENT_UNAVAILABLE,
    ),
    "frozen-instrument": (
        check(instrument=replace(INSTRUMENT, frozen=True)),
        S.TOOL,
        AupReason.INSTRUMENT_UNAVAILABLE,
    ),
    "instrument-of-another-delegation": (
        check(instrument=replace(INSTRUMENT, delegation_id="dlg_x")),
        S.TOOL,
        AupReason.INSTRUMENT_UNAVAILABLE,
    ),
    "instrument-of-another-agent": (
        check(instrument=replace(INSTRUMENT, agent_id="agent:x")),
        S.TOOL,
        AupReason.INSTRUMENT_UNAVAILABLE,
    ),
    "expired-instrument": (
        check(instrument=replace(INSTRUMENT, expires_at=NOW)),
        S.TOOL,
        AupReason.INSTRUMENT_UNAVAILABLE,
    ),
    "specified-iac": (
        check(iac=make_iac(NOW, delegation_mode=DelegationMode.SPECIFIED)),
        S.MODE,
        AupReason.NOT_BOUNDED,
    ),
    "before-the-window": (
        check(now=NOW - timedelta(seconds=1)),
        S.VALIDITY,
        ConstraintReason.OUTSIDE_VALIDITY_WINDOW,
    ),
    "other-delegation": (
        check(req=requirement(delegation_id="dlg_x")),
        S.TASK,
        AupReason.OTHER_TASK,
    ),
    "other-task": (check(req=requirement(intent_id="int_x")), S.TASK, AupReason.OTHER_TASK),
    "other-agent": (check(req=requirement(agent_id="agent:x")), S.TASK, AupReason.OTHER_TASK),
    "over-single": (
        check(req=requirement(amount=cny("30.01"))),
        S.BUDGET,
        ConstraintReason.OVER_SINGLE_LIMIT,
    ),
    "over-total": (
        check(spent=SpendSoFar(cny("62.01"), 2, 2)),
        S.BUDGET,
        ConstraintReason.OVER_TOTAL_BUDGET,
    ),
    "over-quantity": (
        check(req=requirement(quantity=4, amount=cny("20.00"))),
        S.BUDGET,
        ConstraintReason.OVER_QUANTITY,
    ),
    "zero-amount": (
        check(req=requirement(amount=cny("0.00"))),
        S.BUDGET,
        ConstraintReason.INVALID_AMOUNT,
    ),
    "other-currency": (
        check(req=requirement(amount=Money.parse("18.00", "USD"))),
        S.BUDGET,
        ConstraintReason.CURRENCY_MISMATCH,
    ),
    "forbidden-merchant": (
        check(iac=make_iac(NOW, commerce=CommerceConstraints(forbidden_merchants=("m_teahouse",)))),
        S.COUNTERPARTY,
        ConstraintReason.MERCHANT_FORBIDDEN,
    ),
    "merchant-not-allowed": (
        check(iac=make_iac(NOW, commerce=CommerceConstraints(allowed_merchants=("m_other",)))),
        S.COUNTERPARTY,
        ConstraintReason.MERCHANT_NOT_ALLOWED,
    ),
    "other-category": (
        check(req=requirement(categories=("drinks/coffee",))),
        S.CATEGORY,
        ConstraintReason.CATEGORY_NOT_ALLOWED,
    ),
    "no-category": (
        check(req=requirement(categories=())),
        S.CATEGORY,
        ConstraintReason.CATEGORY_NOT_ALLOWED,
    ),
    "other-method": (
        check(req=requirement(method_id="credit-card")),
        S.METHOD,
        ConstraintReason.PAYMENT_METHOD_NOT_ALLOWED,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_self_check_stage_refuses(case: str) -> None:
    verdict, stage, reason = CASES[case]
    assert (verdict.stage, verdict.reasons[0]) == (stage, str(reason))
    assert not verdict.ok
    assert verdict.explain().startswith(f"{stage}: ")


def test_the_cases_cover_every_self_check_stage() -> None:
    assert {stage for _, stage, _ in CASES.values()} == set(SELF_CHECK_STAGES)


def test_the_first_failing_stage_wins() -> None:
    # Wrong mode, wrong category and over budget at once: the mode is named, not the others.
    verdict = check(
        iac=make_iac(NOW, delegation_mode=DelegationMode.SPECIFIED),
        req=requirement(categories=("drinks/coffee",), amount=cny("31.00")),
    )
    assert verdict.stage is S.MODE
    both = check(req=requirement(categories=("drinks/coffee",), amount=cny("31.00")))
    assert both.stage is S.BUDGET


def test_stages_keep_one_order_and_every_constraint_has_a_stage() -> None:
    assert [s for s in STAGE_ORDER if s in SELF_CHECK_STAGES] == list(SELF_CHECK_STAGES)
    assert set(CONSTRAINT_STAGE) == set(ConstraintReason)


def test_values_validate_when_built() -> None:
    with pytest.raises(ValidationError):
        AupVerdict(S.BUDGET)  # a failing stage without a reason
    with pytest.raises(ValidationError):
        AupVerdict(None, ("over-total-budget",))
    with pytest.raises(ValidationError):
        requirement(merchant_id="")
    with pytest.raises(ValidationError):
        requirement(quantity=True)


@given(st.lists(st.integers(min_value=1, max_value=5000), max_size=12))
def test_paying_only_what_passes_never_spends_past_the_budget(amounts: list[int]) -> None:
    iac = make_iac(NOW, commerce=CommerceConstraints(max_single=cny("50.00")))
    spent = ZERO
    for minor in amounts:
        verdict = check(iac=iac, req=requirement(amount=Money(minor, "CNY")), spent=spent)
        if verdict.ok:  # the PSP's success is the only thing that moves the spend
            spent = SpendSoFar(
                spent.total + Money(minor, "CNY"), spent.count + 1, spent.quantity + 1
            )
        else:
            assert verdict.stage is S.BUDGET
    assert spent.total <= iac.max_total
