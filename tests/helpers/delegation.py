"""Builders shared by the delegation tests: a valid ISR and IAC with fixed keys and times."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.iac import IAC, issue_iac
from trustcart.delegation.isr import ISR, ItemIntent, Location
from trustcart.delegation.terms import (
    AgentBehavior,
    CommerceConstraints,
    DelegationMode,
    DeviationAction,
)

# RFC 8032 test 1 secret key: fixed so signatures are reproducible (Ed25519 is deterministic).
ALICE_JWK = {
    "kty": "OKP",
    "crv": "Ed25519",
    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}


def alice_key() -> SigningKey:
    return SigningKey.from_jwk(ALICE_JWK)


def make_isr(now: datetime, **overrides: object) -> ISR:
    fields: dict[str, object] = {
        "intent_id": "int_test1",
        "user_intent_raw": "up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total",
        "agent_id": "agent:trustcart-assistant",
        "delegation_mode": DelegationMode.BOUNDED,
        "validity_start": now,
        "validity_end": now + timedelta(days=7),
        "max_total": Money.parse("80.00", "CNY"),
        "items": (ItemIntent("pearl milk tea", quantity=1, category="drinks/milk-tea"),),
        "allowed_payment_methods": ("trustcart-balance",),
        "created_at": now,
        "location": Location(Decimal("30.2590"), Decimal("120.1300"), Decimal("3")),
        "commerce": CommerceConstraints(
            max_single=Money.parse("30.00", "CNY"),
            allowed_categories=("drinks/milk-tea",),
            max_total_quantity=3,
        ),
        "behavior": AgentBehavior(
            price_deviation_tolerance=Decimal("5"),
            price_deviation_action=DeviationAction.PAUSE_AND_NOTIFY,
        ),
    }
    fields.update(overrides)
    return ISR(**fields)  # type: ignore[arg-type]


def make_iac(now: datetime, key: SigningKey | None = None, **isr_overrides: object) -> IAC:
    return issue_iac(
        make_isr(now, **isr_overrides),
        delegation_id="dlg_test1",
        delegator_identity="user:alice",
        delegator_key=key or alice_key(),
        status_url="http://status.test/delegations/dlg_test1/status",
        now=now,
    )
