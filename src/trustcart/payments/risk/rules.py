"""The risk rules: each a pure function of (payment, history, config); ``assess`` combines them.

Every rule answers whether it fires on this payment, with a detail for people; the outcome of a
rule that fires is the deployment's (``RiskConfig.outcomes``: ``allow`` logs only, ``step-up``,
``refuse``; a rule that is off is not evaluated). The combination is the most severe outcome of
the rules that fired, and every rule that fired is named, in table order:

| rule | fires when |
|---|---|
| velocity-agent | the agent's (max_per_agent + 1)th payment in the window, in-flight ones counted |
| velocity-delegation | the same, per delegation (max_per_delegation) |
| amount-above-usual | the amount exceeds ratio x the person's median payment (given min_history) |
| new-agent-large | an agent first seen within new_agent_period pays at least large_amount |
| new-merchant | a merchant first paid within new_merchant_period (or never) gets min_amount |
| refusal-streak | the agent had max_refusals or more refusals in a row within the window |

Level L1 is already the person's approval of exactly this cart: a ``step-up`` is *satisfied*
there (the payment is allowed and the decision still logged), while ``refuse`` still refuses.

>>> from datetime import UTC, datetime
>>> from trustcart.core.money import Money
>>> from trustcart.core.payment import PaymentMode
>>> from trustcart.payments.risk.config import RiskConfig
>>> now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
>>> facts = PaymentFacts("agent:a", "dlg_1", "acct_1", "m:tea", "o1", Money.parse("28.00", "CNY"),
...                      PaymentMode.L2, now)
>>> decision = assess(facts, History(merchant_first_seen=now.replace(month=1)), RiskConfig())
>>> decision.outcome, decision.fired
(<RiskOutcome.ALLOW: 'allow'>, ())
>>> assess(facts, History(refusal_streak=5), RiskConfig()).fired
('refusal-streak',)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from trustcart.core.payment import PaymentMode
from trustcart.payments.risk.codes import RiskOutcome, RiskRule, most_severe
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.features import History, PaymentFacts, median_minor


@dataclass(frozen=True)
class RuleHit:
    """A rule that fired: its code, the outcome the deployment gave it, and why."""

    rule: RiskRule
    outcome: RiskOutcome
    detail: str


@dataclass(frozen=True)
class RiskDecision:
    """The combined decision on one payment. ``outcome`` is what the PSP does; at L1 a
    step-up is ``satisfied`` by the person's approval (``outcome`` is then ``allow``)."""

    outcome: RiskOutcome
    hits: tuple[RuleHit, ...]
    satisfied_by_approval: bool = False

    @property
    def fired(self) -> tuple[str, ...]:
        """The codes of every rule that fired, in table order."""
        return tuple(hit.rule.value for hit in self.hits)

    def to_json(self) -> dict[str, Any]:
        """The decision as logged (``decision-logged`` body fields)."""
        return {
            "outcome": self.outcome.value,
            "rules": [
                {"rule": hit.rule.value, "outcome": hit.outcome.value, "detail": hit.detail}
                for hit in self.hits
            ],
            "satisfied_by_approval": self.satisfied_by_approval,
        }


def _within(times: tuple[datetime, ...], now: datetime, window: timedelta) -> int:
    return sum(1 for at in times if now - window < at <= now)


def velocity_agent(facts: PaymentFacts, history: History, config: RiskConfig) -> str | None:
    """Fires when this payment would pass the agent's payments per window (its requests in
    flight count: they may all succeed)."""
    recent = _within(history.agent_payments, facts.at, config.velocity_window)
    count = recent + history.agent_in_flight + 1
    if count > config.max_per_agent:
        return f"payment {count} of this agent within {config.velocity_window}"
    return None


def velocity_delegation(facts: PaymentFacts, history: History, config: RiskConfig) -> str | None:
    """Fires when this payment would pass the delegation's payments per window."""
    count = _within(history.delegation_payments, facts.at, config.velocity_window) + 1
    if count > config.max_per_delegation:
        return f"payment {count} under this delegation within {config.velocity_window}"
    return None


def amount_above_usual(facts: PaymentFacts, history: History, config: RiskConfig) -> str | None:
    """Fires when the amount is above ratio x the person's median (with enough history)."""
    usual = tuple(a for a in history.usual_amounts if a.currency == facts.amount.currency)
    median = median_minor(usual[: config.usual_history_size])
    if median is None or len(usual) < config.usual_min_history:
        return None  # no baseline yet: new-agent-large covers first payments
    if Decimal(facts.amount.minor) > config.usual_ratio * median:
        return f"{facts.amount} is more than {config.usual_ratio} x the usual median"
    return None


def new_agent_large(facts: PaymentFacts, history: History, config: RiskConfig) -> str | None:
    """Fires when an agent first seen within the period pays at least the large amount."""
    first = history.agent_first_seen
    if first is not None and facts.at - first >= config.new_agent_period:
        return None
    if config.at_or_above(config.large_amount, facts.amount):
        return f"an agent first seen within {config.new_agent_period} pays {facts.amount}"
    return None


def new_merchant(facts: PaymentFacts, history: History, config: RiskConfig) -> str | None:
    """Fires when a merchant first paid within the period (or never) gets the min amount."""
    first = history.merchant_first_seen
    if first is not None and facts.at - first >= config.new_merchant_period:
        return None
    if config.at_or_above(config.new_merchant_amount, facts.amount):
        return f"a merchant first seen within {config.new_merchant_period} gets {facts.amount}"
    return None


def refusal_streak(facts: PaymentFacts, history: History, config: RiskConfig) -> str | None:
    """Fires after max_refusals refusals in a row of this agent."""
    if history.refusal_streak >= config.max_refusal_streak:
        return f"{history.refusal_streak} refusals in a row"
    return None


Rule = Callable[[PaymentFacts, History, RiskConfig], "str | None"]

RULES: dict[RiskRule, Rule] = {
    RiskRule.VELOCITY_AGENT: velocity_agent,
    RiskRule.VELOCITY_DELEGATION: velocity_delegation,
    RiskRule.AMOUNT_ABOVE_USUAL: amount_above_usual,
    RiskRule.NEW_AGENT_LARGE: new_agent_large,
    RiskRule.NEW_MERCHANT: new_merchant,
    RiskRule.REFUSAL_STREAK: refusal_streak,
}


def assess(facts: PaymentFacts, history: History, config: RiskConfig) -> RiskDecision:
    """Run every rule that is on; the decision is the most severe outcome of those that fired
    (see module doc for L1)."""
    hits = []
    for rule, judge in RULES.items():
        outcome = config.outcome(rule)
        if outcome is None:
            continue
        detail = judge(facts, history, config)
        if detail is not None:
            hits.append(RuleHit(rule, outcome, detail))
    combined = most_severe(hit.outcome for hit in hits)
    if facts.level is PaymentMode.L1 and combined is RiskOutcome.STEP_UP:
        return RiskDecision(RiskOutcome.ALLOW, tuple(hits), satisfied_by_approval=True)
    return RiskDecision(combined, tuple(hits))
