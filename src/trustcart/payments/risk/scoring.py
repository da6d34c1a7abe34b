"""Precision and recall of the risk rules over a replayed day (``replay``), per rule and overall.

Precision is per payment: of the payments a rule fired on, the share that belong to an incident
of the kind the rule targets (``replay.TARGET``); overall, of the payments any rule fired on,
the share that belong to any incident. Recall is per incident: an incident is caught by a rule
when the rule fired on at least one of its payments; overall, by any rule. A rule that never
fired has precision 1 by convention (it raised no false alarm) and its recall shows the miss.

>>> Score("x", fired=4, true_positives=3, incidents=2, caught=1).precision
Fraction(3, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from trustcart.payments.risk.codes import RiskRule
from trustcart.payments.risk.replay import TARGET, Replayed

OVERALL = "overall"


@dataclass(frozen=True)
class Score:
    """One row of the table: a rule (or ``overall``) and its counts."""

    name: str
    fired: int
    true_positives: int
    incidents: int
    caught: int

    @property
    def precision(self) -> Fraction:
        return Fraction(self.true_positives, self.fired) if self.fired else Fraction(1)

    @property
    def recall(self) -> Fraction:
        return Fraction(self.caught, self.incidents) if self.incidents else Fraction(1)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "fired": self.fired,
            "true_positives": self.true_positives,
            "incidents": self.incidents,
            "caught": self.caught,
            "precision": round(float(self.precision), 4),
            "recall": round(float(self.recall), 4),
        }


def score(replayed: Sequence[Replayed]) -> tuple[Score, ...]:
    """One ``Score`` per rule in table order, then ``overall``."""
    rows = []
    for rule in RiskRule:
        kind = TARGET[rule]
        fired = [r for r in replayed if rule.value in r.decision.fired]
        incidents = {r.attempt.incident for r in replayed if r.attempt.anomaly is kind}
        caught = {r.attempt.incident for r in fired if r.attempt.anomaly is kind}
        hits = sum(1 for r in fired if r.attempt.anomaly is kind)
        rows.append(Score(rule.value, len(fired), hits, len(incidents), len(caught)))
    flagged = [r for r in replayed if r.decision.fired]
    incidents = {r.attempt.incident for r in replayed if r.attempt.incident is not None}
    caught = {r.attempt.incident for r in flagged if r.attempt.incident is not None}
    hits = sum(1 for r in flagged if r.attempt.incident is not None)
    rows.append(Score(OVERALL, len(flagged), hits, len(incidents), len(caught)))
    return tuple(rows)
