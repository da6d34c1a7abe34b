"""``trustcart bench risk``: the risk rules' precision and recall, and their cost per payment.

Two parts. **Replay**: for each seed, ``payments.risk.replay`` generates a day of traffic with
injected anomalies and runs it through the pure rules with the deployment's configuration
(defaults unless given); the report has the precision and recall table per seed and summed
over seeds. **Cost**: a fresh SQLite store (migrated, so with the risk indexes) is filled with
``payments`` successful payments of ``agents`` agents over the last day and a stored refusal
every tenth payment; then, for ``samples`` payments of random agents, the time of one
``history.read_history`` plus ``rules.assess`` (what the PSP's gate adds to a payment before
its ledger transaction, apart from logging a decision that fired) is measured; the report
gives the median and 95th percentile in milliseconds.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.features import PaymentFacts
from trustcart.payments.risk.history import read_history
from trustcart.payments.risk.replay import generate_day, replay
from trustcart.payments.risk.rules import assess
from trustcart.payments.risk.scoring import Score, score
from trustcart.store.db import Database, sqlite_url
from trustcart.store.payments import (
    IdempotencyKeyRow,
    LedgerEntryRow,
    PaymentRow,
    PaymentTokenRow,
    PspAccount,
)

START = datetime(2026, 12, 1, tzinfo=UTC)


def replay_report(seeds: tuple[int, ...], config: RiskConfig) -> dict[str, Any]:
    """The precision/recall table per seed and summed over the seeds."""
    per_seed: dict[str, list[dict[str, Any]]] = {}
    totals: dict[str, list[int]] = {}
    attempts = 0
    for seed in seeds:
        replayed = replay(generate_day(random.Random(seed), START), config)  # noqa: S311 - seeded
        attempts += len(replayed)
        rows = score(replayed)
        per_seed[str(seed)] = [row.to_json() for row in rows]
        for row in rows:
            counts = totals.setdefault(row.name, [0, 0, 0, 0])
            for i, value in enumerate((row.fired, row.true_positives, row.incidents, row.caught)):
                counts[i] += value
    summed = [Score(name, *counts).to_json() for name, counts in totals.items()]
    return {"seeds": list(seeds), "attempts": attempts, "per_seed": per_seed, "summed": summed}


def _fill(db: Database, rng: random.Random, now: datetime, payments: int, agents: int) -> None:
    with db.transaction() as session:
        for n in range(agents):
            session.add(
                PspAccount(
                    account_id=f"acct_{n}",
                    delegator_identity=f"user:{n}",
                    public_jwk="{}",
                    kid=f"k{n}",
                    currency="CNY",
                    created_at=now - timedelta(days=30),
                )
            )
        session.flush()
        for n in range(agents):
            session.add(
                PaymentTokenRow(
                    token_id=f"tok_{n}",
                    token_hash=f"h{n}",
                    account_id=f"acct_{n}",
                    agent_id=f"agent:{n}",
                    delegation_id=f"dlg_{n}",
                    iac_digest="d",
                    currency="CNY",
                    max_total_minor=10**9,
                    max_single_minor=None,
                    binding_digest=f"b{n}",
                    created_at=now - timedelta(days=rng.randint(1, 30)),
                    expires_at=now + timedelta(days=30),
                )
            )
        session.flush()
        drawn = [
            (rng.randrange(agents), now - timedelta(seconds=rng.uniform(1, 86_400)))
            for _ in range(payments)
        ]
        for n, (_, at) in enumerate(drawn):
            session.add(
                LedgerEntryRow(
                    entry_id=f"je_{n}", kind="payment", reference=f"trd_{n}", created_at=at
                )
            )
        session.flush()
        for n, (agent, at) in enumerate(drawn):
            session.add(
                PaymentRow(
                    trade_no=f"trd_{n}",
                    merchant_id=f"merchant:{rng.randrange(200)}",
                    out_trade_no=f"o{n}",
                    account_id=f"acct_{agent}",
                    agent_id=f"agent:{agent}",
                    delegation_id=f"dlg_{agent}",
                    token_id=f"tok_{agent}",
                    mode="L2",
                    amount_minor=rng.randint(500, 50_000),
                    refunded_minor=0,
                    currency="CNY",
                    quantity=1,
                    cart_digest="d",
                    status="SUCCESS",
                    receipt="r",
                    entry_id=f"je_{n}",
                    paid_at=at,
                )
            )
            if n % 10 == 0:
                session.add(
                    IdempotencyKeyRow(
                        caller_id=f"payments:agent:{agent}",
                        idempotency_key=f"k{n}",
                        request_digest="d",
                        state="done",
                        response_status=403,
                        response_body=json.dumps({"code": "over-budget"}),
                        created_at=at,
                        locked_until=at,
                    )
                )
            if n % 2000 == 1999:
                session.flush()


def cost_report(
    *, payments: int, agents: int, samples: int, config: RiskConfig, seed: int = 1
) -> dict[str, Any]:
    """Median and p95 of one history read plus assessment on a filled SQLite store."""
    rng, now = random.Random(seed), START  # noqa: S311 - a seeded bench, not a secret
    with tempfile.TemporaryDirectory() as folder:
        db = Database(sqlite_url(Path(folder) / "risk.db"))
        try:
            db.migrate()
            _fill(db, rng, now, payments, agents)
            timings = []
            for _ in range(samples):
                agent = rng.randrange(agents)
                facts = PaymentFacts(
                    agent_id=f"agent:{agent}",
                    delegation_id=f"dlg_{agent}",
                    account_id=f"acct_{agent}",
                    merchant_id=f"merchant:{rng.randrange(250)}",
                    out_trade_no="o",
                    amount=Money(rng.randint(500, 50_000), "CNY"),
                    level=PaymentMode.L2,
                    at=now,
                )
                started = time.perf_counter()
                with db.read() as session:
                    assess(facts, read_history(session, facts, config), config)
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            db.dispose()
    timings.sort()
    return {
        "store": "sqlite",
        "payments": payments,
        "agents": agents,
        "samples": samples,
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 3),
    }
