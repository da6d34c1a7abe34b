"""The pure risk rules: each at its boundary, the combination (most severe, every rule named),
L1 satisfying a step-up but not a refusal, and Hypothesis properties of the combination."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.payments.risk.codes import SEVERITY, RiskOutcome, RiskRule, most_severe
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.features import History, PaymentFacts
from trustcart.payments.risk.rules import assess

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=100)
QUIET = History(agent_first_seen=LONG_AGO, merchant_first_seen=LONG_AGO)
CONFIG = RiskConfig()


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def facts(amount: str = "28.00", level: PaymentMode = PaymentMode.L2) -> PaymentFacts:
    return PaymentFacts("agent:a", "dlg_1", "acct_1", "m:tea", "o1", cny(amount), level, NOW)


def fired(history: History, amount: str = "28.00", config: RiskConfig = CONFIG) -> tuple[str, ...]:
    return assess(facts(amount), history, config).fired


def test_a_quiet_payment_fires_nothing() -> None:
    decision = assess(facts(), QUIET, CONFIG)
    assert (decision.outcome, decision.hits) == (RiskOutcome.ALLOW, ())


def test_velocity_per_agent_at_its_boundary() -> None:
    inside = tuple(NOW - timedelta(seconds=s) for s in range(1, 10))  # 9 in the last minute
    assert fired(replace(QUIET, agent_payments=inside)) == ()  # this one is the 10th
    more = (*inside, NOW - timedelta(seconds=30))
    assert fired(replace(QUIET, agent_payments=more)) == ("velocity-agent",)
    old = (*inside, NOW - timedelta(seconds=60))  # exactly a window ago: outside
    assert fired(replace(QUIET, agent_payments=old)) == ()


def test_velocity_per_delegation_at_its_boundary() -> None:
    four = tuple(NOW - timedelta(seconds=s) for s in range(1, 5))
    assert fired(replace(QUIET, delegation_payments=four)) == ()
    five = (*four, NOW - timedelta(seconds=5))
    assert fired(replace(QUIET, delegation_payments=five)) == ("velocity-delegation",)


def test_amount_far_above_the_usual_median() -> None:
    usual = tuple(cny(a) for a in ("20.00", "25.00", "30.00", "25.00", "22.00"))  # median 25
    history = replace(QUIET, usual_amounts=usual)
    assert fired(history, "250.00") == ()  # exactly 10 x
    assert fired(history, "250.01") == ("amount-above-usual",)
    assert fired(replace(history, usual_amounts=usual[:4]), "900.00") == ()  # too little history


def test_a_new_agent_paying_large_amounts() -> None:
    new = replace(QUIET, agent_first_seen=NOW - timedelta(hours=23))
    assert fired(new, "499.99") == ()
    assert fired(new, "500.00") == ("new-agent-large",)
    assert fired(replace(new, agent_first_seen=None), "500.00") == ("new-agent-large",)
    settled = replace(QUIET, agent_first_seen=NOW - timedelta(hours=24))
    assert fired(settled, "500.00") == ()


def test_a_merchant_first_seen_today() -> None:
    fresh = replace(QUIET, merchant_first_seen=None)
    assert fired(fresh, "199.99") == ()
    assert fired(fresh, "200.00") == ("new-merchant",)
    today = replace(QUIET, merchant_first_seen=NOW - timedelta(hours=3))
    assert fired(today, "200.00") == ("new-merchant",)


def test_an_unconfigured_currency_fails_closed() -> None:
    new = PaymentFacts(
        "agent:a", "dlg_1", "acct_1", "m:tea", "o1", Money(1, "JPY"), PaymentMode.L2, NOW
    )
    assert assess(new, replace(QUIET, agent_first_seen=None), CONFIG).fired == ("new-agent-large",)


def test_a_streak_of_refusals() -> None:
    assert fired(replace(QUIET, refusal_streak=4)) == ()
    assert fired(replace(QUIET, refusal_streak=5)) == ("refusal-streak",)


def test_the_most_severe_outcome_wins_and_every_rule_is_named() -> None:
    burst = tuple(NOW - timedelta(seconds=s) for s in range(1, 11))
    history = History(agent_payments=burst, delegation_payments=burst, refusal_streak=9)
    decision = assess(facts("600.00"), history, CONFIG)
    assert decision.outcome is RiskOutcome.REFUSE
    assert decision.fired == (
        "velocity-agent",
        "velocity-delegation",
        "new-agent-large",
        "new-merchant",
        "refusal-streak",
    )


def test_l1_satisfies_a_step_up_but_not_a_refusal() -> None:
    stepped = assess(facts("600.00", PaymentMode.L1), History(), CONFIG)
    assert (stepped.outcome, stepped.satisfied_by_approval) == (RiskOutcome.ALLOW, True)
    assert stepped.fired == ("new-agent-large", "new-merchant")
    burst = tuple(NOW - timedelta(seconds=s) for s in range(1, 6))
    refused = assess(facts(level=PaymentMode.L1), replace(QUIET, delegation_payments=burst), CONFIG)
    assert refused.outcome is RiskOutcome.REFUSE


def test_a_rule_that_is_off_never_fires() -> None:
    off = replace(CONFIG, outcomes=MappingProxyType({RiskRule.VELOCITY_AGENT: RiskOutcome.REFUSE}))
    assert fired(History(refusal_streak=50), "5000.00", off) == ()


outcomes = st.sampled_from(list(RiskOutcome))
settings_of_rules = st.dictionaries(st.sampled_from(list(RiskRule)), outcomes)
times = st.lists(st.integers(min_value=0, max_value=600), max_size=15).map(
    lambda seconds: tuple(NOW - timedelta(seconds=s) for s in seconds)
)
histories = st.builds(
    History,
    agent_payments=times,
    delegation_payments=times,
    usual_amounts=st.lists(st.integers(1, 100_000), max_size=25).map(
        lambda minors: tuple(Money(m, "CNY") for m in minors)
    ),
    agent_first_seen=st.one_of(
        st.none(), st.integers(0, 72).map(lambda h: NOW - timedelta(hours=h))
    ),
    merchant_first_seen=st.one_of(
        st.none(), st.integers(0, 72).map(lambda h: NOW - timedelta(hours=h))
    ),
    refusal_streak=st.integers(0, 12),
)
amounts = st.integers(1, 1_000_000)
levels = st.sampled_from(list(PaymentMode))


def _facts(minor: int, level: PaymentMode) -> PaymentFacts:
    return PaymentFacts(
        "agent:a", "dlg_1", "acct_1", "m:tea", "o1", Money(minor, "CNY"), level, NOW
    )


@given(settings_of_rules, histories, amounts, levels)
def test_the_decision_is_the_most_severe_of_the_rules_that_fired(
    table: dict[RiskRule, RiskOutcome], history: History, minor: int, level: PaymentMode
) -> None:
    config = replace(CONFIG, outcomes=MappingProxyType(table))
    decision = assess(_facts(minor, level), history, config)
    assert all(hit.outcome is table[hit.rule] for hit in decision.hits)
    combined = most_severe(hit.outcome for hit in decision.hits)
    if level is PaymentMode.L1 and combined is RiskOutcome.STEP_UP:
        assert decision.outcome is RiskOutcome.ALLOW
        assert decision.satisfied_by_approval
    else:
        assert decision.outcome is combined
    assert decision.outcome is not RiskOutcome.STEP_UP or level is not PaymentMode.L1


@given(histories, amounts, st.integers(1, 1_000_000), levels)
def test_a_larger_amount_never_makes_the_decision_milder(
    history: History, minor: int, extra: int, level: PaymentMode
) -> None:
    smaller = assess(_facts(minor, level), history, CONFIG)
    larger = assess(_facts(minor + extra, level), history, CONFIG)
    assert SEVERITY[larger.outcome] >= SEVERITY[smaller.outcome]
    assert set(smaller.fired) <= set(larger.fired)


@given(histories, times, amounts)
def test_more_recent_payments_never_make_the_decision_milder(
    history: History, more: tuple[datetime, ...], minor: int
) -> None:
    busier = replace(
        history,
        agent_payments=history.agent_payments + more,
        delegation_payments=history.delegation_payments + more,
    )
    quiet = assess(_facts(minor, PaymentMode.L2), history, CONFIG)
    busy = assess(_facts(minor, PaymentMode.L2), busier, CONFIG)
    assert SEVERITY[busy.outcome] >= SEVERITY[quiet.outcome]


def test_ratios_are_decimals() -> None:
    assert isinstance(CONFIG.usual_ratio, Decimal)
