"""A day of generated traffic with injected anomalies, replayed through the rules: precision
and recall per rule and overall must meet the floors docs/risk.md justifies."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

import pytest

from trustcart.payments.risk.codes import RiskRule
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.replay import Anomaly, Attempt, generate_day, replay
from trustcart.payments.risk.scoring import OVERALL, Score, score

START = datetime(2026, 12, 1, tzinfo=UTC)
SEEDS = (1, 2, 3)

# Floors (docs/risk.md "Replay"): recall is what the rules are for; precision is bounded by
# the legitimate noise the generator puts in on purpose (large purchases, new shops).
RECALL_FLOOR = {rule.value: 0.9 for rule in RiskRule} | {
    RiskRule.NEW_MERCHANT.value: 0.7,
    OVERALL: 0.9,
}
PRECISION_FLOOR = {
    RiskRule.VELOCITY_AGENT.value: 0.9,
    RiskRule.VELOCITY_DELEGATION.value: 0.9,
    RiskRule.AMOUNT_ABOVE_USUAL.value: 0.4,
    RiskRule.NEW_AGENT_LARGE.value: 0.6,
    RiskRule.NEW_MERCHANT.value: 0.2,
    RiskRule.REFUSAL_STREAK.value: 0.5,
    OVERALL: 0.8,
}


def scores(seed: int, config: RiskConfig | None = None) -> dict[str, Score]:
    day = generate_day(random.Random(seed), START)
    return {row.name: row for row in score(replay(day, config or RiskConfig()))}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_rules_meet_their_floors_on_a_generated_day(seed: int) -> None:
    table = scores(seed)
    for name, row in table.items():
        assert row.incidents == 12 or name == OVERALL
        assert row.recall >= RECALL_FLOOR[name], row
        assert row.precision >= PRECISION_FLOOR[name], row
    assert table[OVERALL].incidents == 12 * len(Anomaly)


def test_a_day_is_one_seed() -> None:
    one = generate_day(random.Random(7), START)
    assert one == generate_day(random.Random(7), START)
    assert one != generate_day(random.Random(8), START)
    attempts = [e for e in one.events if isinstance(e, Attempt)]
    assert {a.anomaly for a in attempts} == {*Anomaly, None}
    normal = sum(a.anomaly is None for a in attempts)
    assert normal > 5 * (len(attempts) - normal)  # anomalies are rare, as they should be


def test_rules_that_are_off_catch_nothing() -> None:
    table = scores(1, replace(RiskConfig(), outcomes=MappingProxyType({})))
    assert table[OVERALL].caught == 0
    assert table[OVERALL].recall == 0


def test_a_lax_threshold_loses_recall() -> None:
    lax = replace(RiskConfig(), usual_ratio=RiskConfig().usual_ratio * 5)
    assert scores(1, lax)[RiskRule.AMOUNT_ABOVE_USUAL.value].recall < 0.75
