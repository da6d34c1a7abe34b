"""The risk gate in the PSP: refusals and step-ups before the ledger transaction, the step-up
answered by an L1 approval of that very cart, decision-logged records, and the history read
from the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pytest

from tests.helpers.payments import AGENT, MERCHANT, PSP_ID, World, sign_approval
from tests.helpers.risk import RecordingLog, risk_world
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_payload
from trustcart.payments.errors import PaymentProblem
from trustcart.payments.risk.codes import RiskOutcome, RiskRule
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.features import PaymentFacts
from trustcart.payments.risk.history import read_history
from trustcart.store.db import Database
from trustcart.trust.admission import ADMISSION_RULES, LATE_DELIVERY, check_initiator
from trustcart.trust.events import EventType, verify_record

P = PaymentProblem


def only(rule: RiskRule, outcome: RiskOutcome, **thresholds: Any) -> RiskConfig:
    """A configuration with one rule on."""
    return replace(RiskConfig(), outcomes=MappingProxyType({rule: outcome}), **thresholds)


def pay(world: World, price: str = "18.00", **kwargs: Any) -> Any:
    """Pay a new cart one second after the last request (refusals and successes apart)."""
    world.clock.advance(timedelta(seconds=1))
    return world.pay(world.request(world.cart(unit_price=price), **kwargs))


def decisions(world: World, log: RecordingLog) -> list[dict[str, Any]]:
    keys = {world.psp_key.kid: world.psp_key.public}
    records = [verify_record(token, keys) for token in log.records]
    return [r.event_body for r in records if r.event_type is EventType.DECISION_LOGGED]


def test_velocity_refuses_before_the_ledger_and_logs_the_decision(
    db: Database, clock: FixedClock
) -> None:
    log = RecordingLog()
    config = only(RiskRule.VELOCITY_DELEGATION, RiskOutcome.REFUSE, max_per_delegation=2)
    world = risk_world(db, clock, config, log)
    assert pay(world).status == 200
    clock.advance(timedelta(seconds=10))
    assert pay(world).status == 200
    before = world.snapshot()
    clock.advance(timedelta(seconds=10))
    refused = pay(world)
    assert (refused.status, refused.code) == (403, P.RISK_REFUSED)
    assert refused.body["rules"] == ["velocity-delegation"]
    assert world.snapshot() == before  # no money moved, no budget spent
    (body,) = decisions(world, log)
    assert body["stage"] == "risk"
    assert body["outcome"] == "refuse"
    assert [r["rule"] for r in body["rules"]] == ["velocity-delegation"]
    # Past the window the delegation may pay again.
    clock.advance(timedelta(seconds=61))
    assert pay(world).status == 200


def test_the_psps_decision_record_is_one_the_log_admits(db: Database, clock: FixedClock) -> None:
    log = RecordingLog()
    config = only(RiskRule.VELOCITY_AGENT, RiskOutcome.REFUSE, max_per_agent=1)
    world = risk_world(db, clock, config, log)
    assert pay(world).status == 200
    assert pay(world).code == P.RISK_REFUSED
    keys = {world.psp_key.kid: world.psp_key.public}
    record = next(
        r
        for r in (verify_record(token, keys) for token in log.records)
        if r.event_type is EventType.DECISION_LOGGED
    )
    assert (record.initiator.role, record.initiator.id) == ("psp", PSP_ID)
    assert record.chain.delegation_id == "dlg_test1"
    assert record.chain.out_trade_no is None
    check_initiator(record)  # role and chain ids fit decision-logged
    assert "psp" in ADMISSION_RULES[EventType.DECISION_LOGGED].initiators
    assert (EventType.DECISION_LOGGED, "psp") in LATE_DELIVERY


def test_a_step_up_names_the_payment_and_its_l1_approval_then_passes(
    db: Database, clock: FixedClock
) -> None:
    log = RecordingLog()
    config = only(
        RiskRule.NEW_AGENT_LARGE,
        RiskOutcome.STEP_UP,
        large_amount=MappingProxyType({"CNY": Money.parse("100.00", "CNY")}),
    )
    world = risk_world(db, clock, config, log)
    assert pay(world, "99.99").status == 200  # below the threshold: quiet
    cart = world.cart(unit_price="150.00")
    before = world.snapshot()
    stepped = world.pay(world.request(cart))
    assert (stepped.status, stepped.code) == (403, P.RISK_STEP_UP_REQUIRED)
    assert stepped.body["rules"] == ["new-agent-large"]
    payload = peek_payload(cart)
    assert stepped.body["approve"] == {
        "out_trade_no": payload["out_trade_no"],
        "merchant_id": MERCHANT,
        "cart_digest": jcs_digest(payload),
        "amount": {"amount": "150.00", "currency": "CNY"},
        "delegation_id": "dlg_test1",
    }
    assert world.snapshot() == before
    # The person approves exactly this cart: the same payment at L1 passes.
    approval = sign_approval(world.alice, cart, world.now)
    paid = world.pay(world.request(cart, mode="L1", approval=approval))
    assert paid.status == 200, paid.body
    assert paid.body["mode"] == "L1"
    step_up, satisfied = decisions(world, log)
    assert (step_up["outcome"], step_up["satisfied_by_approval"]) == ("step-up", False)
    assert (satisfied["outcome"], satisfied["satisfied_by_approval"]) == ("allow", True)


def test_an_approval_of_another_cart_does_not_answer_a_step_up(
    db: Database, clock: FixedClock
) -> None:
    config = only(
        RiskRule.NEW_AGENT_LARGE,
        RiskOutcome.STEP_UP,
        large_amount=MappingProxyType({"CNY": Money.parse("100.00", "CNY")}),
    )
    world = risk_world(db, clock, config)
    cart, other = world.cart(unit_price="150.00"), world.cart(unit_price="150.00")
    assert world.pay(world.request(cart)).code == P.RISK_STEP_UP_REQUIRED
    wrong = sign_approval(world.alice, other, world.now)
    refused = world.pay(world.request(cart, mode="L1", approval=wrong))
    assert refused.code == P.APPROVAL_MISMATCH


def test_a_refusal_rule_still_refuses_at_l1(db: Database, clock: FixedClock) -> None:
    config = only(RiskRule.VELOCITY_AGENT, RiskOutcome.REFUSE, max_per_agent=1)
    world = risk_world(db, clock, config)
    assert pay(world).status == 200
    cart = world.cart()
    approval = sign_approval(world.alice, cart, world.now)
    assert world.pay(world.request(cart, mode="L1", approval=approval)).code == P.RISK_REFUSED


def test_a_refusal_streak_counts_ordinary_refusals_not_the_rules_own(
    db: Database, clock: FixedClock
) -> None:
    config = only(RiskRule.REFUSAL_STREAK, RiskOutcome.STEP_UP, max_refusal_streak=3)
    world = risk_world(db, clock, config)
    for _ in range(2):
        assert pay(world, amount={"amount": "1.00", "currency": "CNY"}).code == P.AMOUNT_MISMATCH
    assert pay(world).status == 200  # two in a row: quiet, and a success ends the streak
    for _ in range(3):
        assert pay(world, amount={"amount": "1.00", "currency": "CNY"}).code == P.AMOUNT_MISMATCH
    assert pay(world).code == P.RISK_STEP_UP_REQUIRED
    assert pay(world).code == P.RISK_STEP_UP_REQUIRED  # the rule's own refusals do not count
    clock.advance(config.refusal_window)
    assert pay(world).status == 200  # the streak left the window


def test_an_autonomous_payment_refused_by_the_rules_names_its_stage(
    db: Database, clock: FixedClock
) -> None:
    config = only(RiskRule.VELOCITY_AGENT, RiskOutcome.REFUSE, max_per_agent=1)
    world = risk_world(db, clock, config)
    assert pay(world).status == 200
    refused = pay(world, mode="L3")
    assert (refused.code, refused.body["stage"]) == (P.RISK_REFUSED, "funds")


def test_no_rule_fired_logs_nothing_and_pays(db: Database, clock: FixedClock) -> None:
    log = RecordingLog()
    world = risk_world(db, clock, RiskConfig(), log)
    assert pay(world).status == 200
    assert decisions(world, log) == []


def test_the_history_read_from_the_store(db: Database, clock: FixedClock) -> None:
    world = risk_world(db, clock, replace(RiskConfig(), outcomes=MappingProxyType({})))
    bound_at = world.now
    for price in ("10.00", "20.00", "30.00"):
        clock.advance(timedelta(seconds=20))
        assert pay(world, price).status == 200
    first_paid = bound_at + timedelta(seconds=21)
    assert pay(world, amount={"amount": "1.00", "currency": "CNY"}).code == P.AMOUNT_MISMATCH
    clock.advance(timedelta(seconds=5))
    facts = PaymentFacts(
        AGENT, "dlg_test1", "acc_alice", MERCHANT, "o", Money.parse("5.00", "CNY"),
        PaymentMode.L2, world.now,
    )  # fmt: skip
    with db.read() as session:
        history = read_history(session, facts, RiskConfig())
    assert len(history.agent_payments) == 3 == len(history.delegation_payments)
    assert [m.amount_str() for m in history.usual_amounts] == ["30.00", "20.00", "10.00"]
    assert history.agent_first_seen == bound_at
    assert history.merchant_first_seen == first_paid
    assert history.refusal_streak == 1
    # Seen 30 s later, the first payment has left the velocity window.
    with db.read() as session:
        later = read_history(
            session, replace(facts, at=facts.at + timedelta(seconds=30)), RiskConfig()
        )
    assert len(later.agent_payments) == 2
    other = replace(facts, agent_id="agent:other", merchant_id="m_other")
    with db.read() as session:
        unknown = read_history(session, other, RiskConfig())
    assert (unknown.agent_first_seen, unknown.merchant_first_seen) == (None, None)
    assert unknown.agent_payments == ()
    assert unknown.refusal_streak == 0


@pytest.mark.parametrize("outcome", [RiskOutcome.ALLOW])
def test_a_rule_set_to_allow_only_logs(
    db: Database, clock: FixedClock, outcome: RiskOutcome
) -> None:
    log = RecordingLog()
    world = risk_world(db, clock, only(RiskRule.VELOCITY_AGENT, outcome, max_per_agent=1), log)
    assert pay(world).status == 200
    assert pay(world).status == 200
    (body,) = decisions(world, log)
    assert (body["outcome"], body["rules"][0]["rule"]) == ("allow", "velocity-agent")


def test_a_burst_sent_all_at_once_cannot_pass_the_agents_limit(
    db: Database, clock: FixedClock
) -> None:
    config = only(RiskRule.VELOCITY_AGENT, RiskOutcome.REFUSE, max_per_agent=3)
    world = risk_world(db, clock, config)
    requests = [world.request(world.cart()) for _ in range(8)]
    outcomes: list[Any] = []
    lock = threading.Lock()

    def send(index: int) -> None:
        outcome = world.provider.submit_payment(
            agent_id=AGENT, idempotency_key=f"burst-{index}", request=requests[index]
        )
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 8
    # Each request sees the others in flight or answered: never more than 3 pass (when all
    # arrive together, none may: the rule fails closed).
    assert sum(o.ok for o in outcomes) <= 3
    assert {o.code for o in outcomes if not o.ok} == {P.RISK_REFUSED}
