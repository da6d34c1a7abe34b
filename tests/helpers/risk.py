"""Builders for the risk tests: a PSP with the risk rules on, a wide budget, and a log."""

from __future__ import annotations

from dataclasses import replace

from tests.helpers.payments import PSP_ID, World, make_world
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.delegation.terms import CommerceConstraints
from trustcart.delivery.messages import OutboxMessage, Outcome
from trustcart.payments.provider import PaymentProvider
from trustcart.payments.risk.config import RiskConfig
from trustcart.store.db import Database


class RecordingLog:
    """A log that takes every record it is given."""

    def __init__(self) -> None:
        self.records: list[str] = []

    def deliver(self, message: OutboxMessage) -> Outcome:
        self.records.append(message.payload)
        return Outcome.delivered()


def risk_world(
    db: Database, clock: FixedClock, config: RiskConfig, log: RecordingLog | None = None
) -> World:
    """A funded world whose IAC allows many payments up to 500 CNY, paid through a PSP with
    ``config``'s risk rules (and ``log``, when given, for its records)."""
    world = make_world(
        db,
        clock,
        balance="5000.00",
        max_total=Money.parse("4000.00", "CNY"),
        commerce=CommerceConstraints(
            max_single=Money.parse("500.00", "CNY"),
            allowed_categories=("drinks/milk-tea",),
            max_total_quantity=100,
        ),
    )
    provider = PaymentProvider(
        db,
        psp_id=PSP_ID,
        signing_key=world.psp_key,
        directory=world.directory,
        status_checker=world.status,
        notifier=world.notifier,
        clock=clock,
        log=log,
        risk=config,
    )
    return replace(world, provider=provider)
