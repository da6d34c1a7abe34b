"""The risk rules' stable codes and outcomes, and how outcomes combine (most severe wins).

>>> most_severe([RiskOutcome.ALLOW, RiskOutcome.REFUSE, RiskOutcome.STEP_UP])
<RiskOutcome.REFUSE: 'refuse'>
>>> most_severe([])
<RiskOutcome.ALLOW: 'allow'>
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class RiskRule(StrEnum):
    """One rule each; the value is the reason code named in refusals and decision records."""

    VELOCITY_AGENT = "velocity-agent"
    VELOCITY_DELEGATION = "velocity-delegation"
    AMOUNT_ABOVE_USUAL = "amount-above-usual"
    NEW_AGENT_LARGE = "new-agent-large"
    NEW_MERCHANT = "new-merchant"
    REFUSAL_STREAK = "refusal-streak"


class RiskOutcome(StrEnum):
    """What a rule that fired asks for: ``allow`` (log only), ``step-up`` (the person approves
    this one payment, L1) or ``refuse``."""

    ALLOW = "allow"
    STEP_UP = "step-up"
    REFUSE = "refuse"


SEVERITY: dict[RiskOutcome, int] = {
    RiskOutcome.ALLOW: 0,
    RiskOutcome.STEP_UP: 1,
    RiskOutcome.REFUSE: 2,
}


def most_severe(outcomes: Iterable[RiskOutcome]) -> RiskOutcome:
    """The combination of several outcomes: the most severe one (``allow`` when none)."""
    return max(outcomes, key=SEVERITY.__getitem__, default=RiskOutcome.ALLOW)
