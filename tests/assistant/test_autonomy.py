"""The agent's ``AutonomousPayer``: it never sends a requirement its self-check refuses (and
says the stage), it keeps the PSP's stage when the PSP refuses, and its cumulative spend moves
only with the PSP's signed receipts, so a failed payment does not count.

The buyer agent is a stand-in that records what would have gone over the wire; the self-check
itself is the real one (``delegation.autonomy``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers.delegation import make_iac, make_isr
from tests.helpers.offers import offer
from trustcart.assistant.agent_answers import AgentCode, PurchaseRefused
from trustcart.assistant.autonomy import AutonomousPayer, requirement_of
from trustcart.assistant.offers import ConfirmedCart, Offer, Receipt
from trustcart.assistant.proposals import Delegation
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delegation.iac import IAC
from trustcart.delegation.terms import DelegationMode

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def cart_for(line: Offer, iac: IAC, n: int, **changes: Any) -> ConfirmedCart:
    payload: dict[str, Any] = {
        "out_trade_no": f"ord_{n}",
        "merchant_id": line.merchant_id,
        "intent_id": iac.intent_id,
        "delegation_id": iac.delegation_id,
        "agent_id": iac.agent_id,
        "items": [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price.to_json(),
                "category": line.category,
            }
        ],
        "total": line.total.to_json(),
        "payment": {"method_id": "trustcart-balance", "psp_id": "psp:trustcart"},
        "price_locked_until": "2026-12-01T09:15:00Z",
    }
    payload.update(changes)
    return ConfirmedCart.from_verified(f"cart-{n}", payload)


class StandInAgent:
    """What ``AutonomousPayer`` asks of a ``BuyerAgent``; the PSP's spend is kept here."""

    def __init__(self, *, psp_refuses: PurchaseRefused | None = None, **cart: Any) -> None:
        self.sent: list[tuple[PaymentMode, str]] = []
        self.decisions = 0
        self.psp_refuses = psp_refuses
        self.cart_changes = cart
        self.spent = cny("0.00")
        self.count = 0

    def check_status(self, iac: IAC) -> None:
        return None

    def negotiate(self, line: Offer, iac: IAC) -> str:
        return "trustcart-balance"

    def confirm(self, line: Offer, iac: IAC, method_id: str) -> ConfirmedCart:
        return cart_for(line, iac, len(self.sent) + 1, **self.cart_changes)

    def check_cart(self, cart: ConfirmedCart, line: Offer, iac: IAC, spent: SpendSoFar) -> None:
        return None

    def log_decision(
        self, iac: IAC, chosen: Sequence[Offer], *, considered: int, rule: str
    ) -> None:
        self.decisions += 1

    def pay(self, *, mode: PaymentMode, payment_token: str, iac: IAC, cart: ConfirmedCart) -> Any:
        self.sent.append((mode, cart.out_trade_no))
        if self.psp_refuses is not None:
            raise self.psp_refuses
        self.spent, self.count = self.spent + cart.total, self.count + 1
        payload = {
            "out_trade_no": cart.out_trade_no,
            "cart_digest": "d",
            "amount": cart.total.to_json(),
            "budget": {"spent": self.spent.to_json(), "count": self.count, "quantity": self.count},
        }
        return Receipt.from_verified(
            "r", payload, trade_no=f"trd_{self.count}", credential_status="s"
        )


def delegation(**isr: Any) -> Delegation:
    iac = make_iac(NOW, **isr)
    return Delegation(make_isr(NOW, **isr), iac, "ptk_test", SpendSoFar.zero("CNY"))


def payer(agent: StandInAgent) -> AutonomousPayer:
    return AutonomousPayer(agent, FixedClock(NOW))  # type: ignore[arg-type]


TEA = offer("p_pearl", "m_teahouse", "28.00")


def test_several_payments_then_the_budget_stage_stops_before_sending() -> None:
    agent, grant = StandInAgent(), delegation()
    purchases = [payer(agent).pay(TEA, grant, proposal_id=f"prp_{i}") for i in range(2)]
    assert [p.mode for p in purchases] == [PaymentMode.L3, PaymentMode.L3]
    assert grant.spent == SpendSoFar(cny("56.00"), 2, 2)
    with pytest.raises(PurchaseRefused) as refused:
        payer(agent).pay(TEA, grant, proposal_id="prp_3")  # 56 + 28 > 80
    assert (refused.value.code, refused.value.stage) == (AgentCode.AUP_SELF_CHECK, "budget")
    assert len(agent.sent) == 2  # the third was never sent
    assert agent.decisions == 2


def test_a_specified_iac_is_refused_at_stage_mode_and_nothing_is_sent() -> None:
    agent = StandInAgent()
    with pytest.raises(PurchaseRefused) as refused:
        payer(agent).pay(
            TEA, delegation(delegation_mode=DelegationMode.SPECIFIED), proposal_id="prp_1"
        )
    assert refused.value.stage == "mode"
    assert "aup-not-bounded" in refused.value.reason
    assert agent.sent == []


@pytest.mark.parametrize(
    ("changes", "stage"),
    [
        ({"delegation_id": "dlg_other"}, "task"),
        ({"merchant_id": "m_other", "payment": {"method_id": "credit-card"}}, "method"),
        ({"payment": {}}, "task"),  # a requirement naming no method is incomplete
    ],
)
def test_a_requirement_outside_the_iac_is_never_sent(changes: dict[str, Any], stage: str) -> None:
    agent = StandInAgent(**changes)
    with pytest.raises(PurchaseRefused) as refused:
        payer(agent).pay(TEA, delegation(), proposal_id="prp_1")
    assert refused.value.stage == stage
    assert agent.sent == []


def test_the_psps_refusal_keeps_its_stage_and_does_not_count() -> None:
    psp_says_no = PurchaseRefused("insufficient-funds", "too poor", status=402, stage="funds")
    agent, grant = StandInAgent(psp_refuses=psp_says_no), delegation()
    with pytest.raises(PurchaseRefused) as refused:
        payer(agent).pay(TEA, grant, proposal_id="prp_1")
    assert refused.value.stage == "funds"
    assert agent.sent == [(PaymentMode.L3, "ord_1")]
    assert grant.spent == SpendSoFar.zero("CNY")  # only receipts move it


def test_the_requirement_is_read_from_the_signed_cart() -> None:
    iac = make_iac(NOW)
    requirement = requirement_of(cart_for(TEA, iac, 1))
    assert (requirement.merchant_id, requirement.amount, requirement.method_id) == (
        "m_teahouse",
        cny("28.00"),
        "trustcart-balance",
    )
