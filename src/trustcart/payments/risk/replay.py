"""A seeded day of payment traffic with injected anomalies, replayed through the pure rules.

Strategy: ``generate_day`` draws (from the ``random.Random`` it is given, so one seed is one
day) a population of people, each with an established agent, one or two delegations, a usual
amount and a prior history, who pay established merchants through the day, plus the noise
real traffic has and the rules must live with: legitimate large purchases (8 to 15 x usual),
people who set up a new agent today and pay small amounts, first purchases at merchants new
today, and occasional ordinary refusals (budget, expired carts). Into it go ``incidents`` of
each ``Anomaly``:

    burst           one delegation pays 12 to 20 times within a minute
    agent-burst     one agent pays 12 to 20 times within a minute, spread over 4 delegations
    large-amount    an established person pays 20 x usual
    new-agent       an agent bound minutes ago pays 600 to 3000
    new-merchant    a payment of 100 to 800 to a merchant never paid before
    refusal-streak  6 to 10 ordinary refusals in a row, then a payment

``replay`` runs the events in time order through ``rules.assess`` with the history advancing as
the PSP's would: an allowed payment is a success (velocity, usual amounts, first-seen times, the
streak reset); a step-up or a refusal is not; an ordinary refusal extends the agent's streak
(risk refusals do not, as in ``history``). ``score`` reports precision per payment (of the
payments a rule fired on, how many belong to an incident of the kind it targets; overall: to
any incident) and recall per incident (an incident is caught when the rule fires on at least
one of its payments; overall: any rule).
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.payments.risk.codes import RiskOutcome, RiskRule
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.features import History, PaymentFacts
from trustcart.payments.risk.rules import RiskDecision, assess

CURRENCY = "CNY"
DAY = timedelta(days=1)


class Anomaly(StrEnum):
    BURST = "burst"
    AGENT_BURST = "agent-burst"
    LARGE_AMOUNT = "large-amount"
    NEW_AGENT = "new-agent"
    NEW_MERCHANT = "new-merchant"
    REFUSAL_STREAK = "refusal-streak"


# The anomaly each rule is meant to catch (per-rule precision and recall are against it).
TARGET: dict[RiskRule, Anomaly] = {
    RiskRule.VELOCITY_AGENT: Anomaly.AGENT_BURST,
    RiskRule.VELOCITY_DELEGATION: Anomaly.BURST,
    RiskRule.AMOUNT_ABOVE_USUAL: Anomaly.LARGE_AMOUNT,
    RiskRule.NEW_AGENT_LARGE: Anomaly.NEW_AGENT,
    RiskRule.NEW_MERCHANT: Anomaly.NEW_MERCHANT,
    RiskRule.REFUSAL_STREAK: Anomaly.REFUSAL_STREAK,
}


@dataclass(frozen=True)
class Attempt:
    """A payment attempt; ``incident`` names the injected incident it belongs to, if any."""

    facts: PaymentFacts
    anomaly: Anomaly | None = None
    incident: str | None = None


@dataclass(frozen=True)
class OrdinaryRefusal:
    """A payment refused before the rules for an ordinary reason (over budget, expired cart)."""

    agent_id: str
    at: datetime


Event = Attempt | OrdinaryRefusal


@dataclass(frozen=True)
class Day:
    """A generated day: its events in time order and what was known before it began."""

    events: tuple[Event, ...]
    usual_amounts: dict[str, tuple[Money, ...]]  # account -> prior amounts, newest first
    agent_first_seen: dict[str, datetime]
    merchant_first_seen: dict[str, datetime]


def _cny(minor: int) -> Money:
    return Money(max(minor, 1), CURRENCY)


@dataclass
class _Builder:
    rng: random.Random
    start: datetime
    events: list[tuple[datetime, int, Event]] = field(default_factory=list)
    usual: dict[str, tuple[Money, ...]] = field(default_factory=dict)
    agents: dict[str, datetime] = field(default_factory=dict)
    merchants: dict[str, datetime] = field(default_factory=dict)

    def at(self, lo: float = 0.0, hi: float = 1.0) -> datetime:
        return self.start + DAY * self.rng.uniform(lo, hi)

    def add(self, at: datetime, event: Event) -> None:
        self.events.append((at, len(self.events), event))

    def pay(
        self,
        person: int,
        delegation: str,
        merchant: str,
        minor: int,
        at: datetime,
        *,
        anomaly: Anomaly | None = None,
        incident: str | None = None,
        agent: str | None = None,
    ) -> None:
        facts = PaymentFacts(
            agent_id=agent or f"agent:{person}",
            delegation_id=delegation,
            account_id=f"acct_{person}",
            merchant_id=merchant,
            out_trade_no=f"o{len(self.events)}",
            amount=_cny(minor),
            level=PaymentMode.L2,
            at=at,
        )
        self.add(at, Attempt(facts, anomaly, incident))


def generate_day(
    rng: random.Random, start: datetime, *, people: int = 1000, incidents: int = 12
) -> Day:
    """One day of traffic from ``start`` (see module doc); the same ``rng`` state, the same day."""
    b = _Builder(rng, start)
    established = [f"merchant:{n}" for n in range(40)]
    for merchant in established:
        b.merchants[merchant] = start - timedelta(days=rng.randint(30, 400))
    bases: dict[int, int] = {}
    for person in range(people):
        base = rng.randint(2_000, 30_000)  # 20 to 300 CNY
        bases[person] = base
        b.agents[f"agent:{person}"] = start - timedelta(days=rng.randint(7, 300))
        prior = rng.choice((0, 3, 20, 20, 20))  # some people are new to the PSP
        b.usual[f"acct_{person}"] = tuple(
            _cny(int(base * rng.uniform(0.4, 2.5))) for _ in range(prior)
        )
        delegations = [f"dlg_{person}_{n}" for n in range(rng.randint(1, 2))]
        for _ in range(rng.randint(0, 6)):
            minor = int(base * rng.uniform(0.4, 2.5))
            if rng.random() < 0.01:  # a legitimate large purchase
                minor = int(base * rng.uniform(8, 15))
            merchant = rng.choice(established)
            if rng.random() < 0.02:  # a first purchase at a shop new today
                merchant = f"merchant:new:{person}:{len(b.events)}"
            b.pay(person, rng.choice(delegations), merchant, minor, b.at())
        if rng.random() < 0.03:
            refused_at = b.at()
            b.add(refused_at, OrdinaryRefusal(f"agent:{person}", refused_at))
        if rng.random() < 0.05:  # a new agent set up today, paying small amounts
            agent, first = f"agent:{person}:new", b.at(0.0, 0.8)
            b.agents[agent] = first
            for n in range(rng.randint(1, 3)):
                at = first + timedelta(minutes=rng.randint(5, 120) * (n + 1))
                b.pay(person, f"dlg_{person}_new", rng.choice(established), base, at, agent=agent)
    _inject(b, bases, established, incidents)
    ordered = tuple(event for _, _, event in sorted(b.events, key=lambda e: (e[0], e[1])))
    return Day(ordered, b.usual, b.agents, b.merchants)


def _inject(b: _Builder, bases: dict[int, int], established: list[str], incidents: int) -> None:
    rng = b.rng
    settled = [p for p in bases if len(b.usual[f"acct_{p}"]) >= 20]
    for n in range(incidents):
        person = rng.choice(settled)
        base, merchant = bases[person], rng.choice(established)
        at = b.at(0.05, 0.95)
        incident = f"{Anomaly.BURST}:{n}"
        for _ in range(rng.randint(12, 20)):
            minor = int(base * rng.uniform(0.4, 2.5))
            when = at + timedelta(seconds=rng.uniform(0, 55))
            b.pay(
                person,
                f"dlg_{person}_0",
                merchant,
                minor,
                when,
                anomaly=Anomaly.BURST,
                incident=incident,
            )
        person, at = rng.choice(settled), b.at(0.05, 0.95)
        incident = f"{Anomaly.AGENT_BURST}:{n}"
        for k in range(rng.randint(12, 20)):
            minor = int(bases[person] * rng.uniform(0.4, 2.5))
            when = at + timedelta(seconds=rng.uniform(0, 55))
            delegation = f"dlg_{person}_many_{k % 4}"
            b.pay(
                person,
                delegation,
                merchant,
                minor,
                when,
                anomaly=Anomaly.AGENT_BURST,
                incident=incident,
            )
        person = rng.choice(settled)
        b.pay(
            person,
            f"dlg_{person}_0",
            merchant,
            bases[person] * 20,
            b.at(),
            anomaly=Anomaly.LARGE_AMOUNT,
            incident=f"{Anomaly.LARGE_AMOUNT}:{n}",
        )
        person, agent = rng.randrange(len(bases)), f"agent:rogue:{n}"
        first = b.at(0.0, 0.9)
        b.agents[agent] = first
        b.pay(
            person,
            f"dlg_rogue_{n}",
            merchant,
            rng.randint(60_000, 300_000),
            first + timedelta(minutes=rng.randint(1, 60)),
            anomaly=Anomaly.NEW_AGENT,
            incident=f"{Anomaly.NEW_AGENT}:{n}",
            agent=agent,
        )
        person = rng.choice(settled)
        b.pay(
            person,
            f"dlg_{person}_0",
            f"merchant:fresh:{n}",
            rng.randint(10_000, 80_000),
            b.at(),
            anomaly=Anomaly.NEW_MERCHANT,
            incident=f"{Anomaly.NEW_MERCHANT}:{n}",
        )
        person, at = rng.choice(settled), b.at(0.05, 0.9)
        for k in range(rng.randint(6, 10)):
            refused_at = at + timedelta(seconds=20 * k)
            b.add(refused_at, OrdinaryRefusal(f"agent:{person}", refused_at))
        b.pay(
            person,
            f"dlg_{person}_0",
            merchant,
            int(base * rng.uniform(0.4, 2.5)),
            at + timedelta(minutes=5),
            anomaly=Anomaly.REFUSAL_STREAK,
            incident=f"{Anomaly.REFUSAL_STREAK}:{n}",
        )


@dataclass(frozen=True)
class Replayed:
    attempt: Attempt
    decision: RiskDecision


def replay(day: Day, config: RiskConfig) -> tuple[Replayed, ...]:
    """Decide every attempt of ``day`` in order, the history advancing (see module doc)."""
    window, keep = config.velocity_window, config.usual_history_size
    by_agent: dict[str, deque[datetime]] = defaultdict(deque)
    by_delegation: dict[str, deque[datetime]] = defaultdict(deque)
    usual = {account: deque(amounts) for account, amounts in day.usual_amounts.items()}
    merchants = dict(day.merchant_first_seen)
    refusals: dict[str, list[datetime]] = defaultdict(list)
    out = []
    for event in day.events:
        if isinstance(event, OrdinaryRefusal):
            refusals[event.agent_id].append(event.at)
            continue
        facts = event.facts
        for times in (by_agent[facts.agent_id], by_delegation[facts.delegation_id]):
            while times and facts.at - times[0] >= window:
                times.popleft()
        streak = sum(1 for at in refusals[facts.agent_id] if facts.at - at < config.refusal_window)
        history = History(
            agent_payments=tuple(by_agent[facts.agent_id]),
            delegation_payments=tuple(by_delegation[facts.delegation_id]),
            usual_amounts=tuple(usual.get(facts.account_id, ())),
            agent_first_seen=day.agent_first_seen.get(facts.agent_id),
            merchant_first_seen=merchants.get(facts.merchant_id),
            refusal_streak=streak,
        )
        decision = assess(facts, history, config)
        out.append(Replayed(event, decision))
        if decision.outcome is RiskOutcome.ALLOW:
            by_agent[facts.agent_id].append(facts.at)
            by_delegation[facts.delegation_id].append(facts.at)
            amounts = usual.setdefault(facts.account_id, deque())
            amounts.appendleft(facts.amount)
            while len(amounts) > keep:
                amounts.pop()
            merchants.setdefault(facts.merchant_id, facts.at)
            refusals[facts.agent_id].clear()
    return tuple(out)
