"""The buyer agent's side of L3 autonomous payments (ACT PSD-PAY-AUP): self-check, then pay.

``AutonomousPayer`` pays one seller requirement at a time under a ``BOUNDED`` delegation,
without asking the person. For each requirement it

1. checks the credential's status (stage ``validity``; an unknown status stops it),
2. negotiates the method and has the merchant confirm and sign the cart (the requirement),
3. runs ``delegation.autonomy.self_check``: instrument, mode, window, task, budget,
   counterparty, category and method, stopping at the first stage that fails,
4. runs the agent's cart checks (the signed cart is the offer chosen, the price within the
   IAC's tolerance; stage ``task``),
5. sends ``mode: L3`` to the payment provider, which checks everything again, and
6. updates its cumulative spend only from the PSP's signed receipt.

Any refusal is a ``PurchaseRefused`` with a ``stage``: the agent's own (code
``aup-self-check-failed``, nothing sent) or the PSP's (its problem code and stage). The
cumulative spend the budget stage uses is ``Delegation.spent``, which only receipts change,
so a failed payment never counts.
"""

from __future__ import annotations

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.agent_answers import AgentCode, PurchaseRefused
from trustcart.assistant.offers import ConfirmedCart, Offer
from trustcart.assistant.proposals import Delegation, Purchase
from trustcart.core.clock import Clock
from trustcart.core.errors import ValidationError
from trustcart.core.payment import PaymentMode
from trustcart.delegation.autonomy import AupStage, AupVerdict, Instrument, Requirement, self_check

DECISION_RULE = "autonomous: the requirement passed every self-check stage of the BOUNDED IAC"


def requirement_of(cart: ConfirmedCart) -> Requirement:
    """The seller's requirement, read from its signed, verified cart."""
    payment = cart.payload.get("payment")
    method = payment.get("method_id") if isinstance(payment, dict) else None
    try:
        return Requirement(
            delegation_id=cart.delegation_id,
            intent_id=cart.intent_id,
            agent_id=cart.agent_id,
            merchant_id=cart.merchant_id,
            categories=cart.categories,
            amount=cart.total,
            quantity=cart.quantity,
            method_id=str(method or ""),
        )
    except ValidationError as e:
        raise PurchaseRefused(
            AgentCode.AUP_SELF_CHECK, f"the requirement is incomplete: {e}", stage=AupStage.TASK
        ) from e


def refuse(verdict: AupVerdict) -> PurchaseRefused:
    """The agent's refusal for a failing verdict (nothing was sent)."""
    return PurchaseRefused(
        AgentCode.AUP_SELF_CHECK,
        f"{verdict.explain()} ({', '.join(verdict.reasons)})",
        stage=None if verdict.stage is None else verdict.stage.value,
    )


class AutonomousPayer:
    """Pays requirements under one BOUNDED delegation, self-checking each one first."""

    def __init__(self, agent: BuyerAgent, clock: Clock) -> None:
        self.agent = agent
        self._clock = clock

    def instrument(self, delegation: Delegation) -> Instrument:
        """The bound token, as the agent knows it (it expires with the IAC)."""
        iac = delegation.iac
        return Instrument(
            delegation.payment_token, iac.delegation_id, iac.agent_id, iac.validity_end
        )

    def check(self, delegation: Delegation, cart: ConfirmedCart) -> AupVerdict:
        """The self-check of one signed requirement against the delegation (pure)."""
        return self_check(
            delegation.iac,
            requirement_of(cart),
            self.instrument(delegation),
            delegation.spent,
            self._clock.now(),
        )

    def requirement(self, offer: Offer, delegation: Delegation) -> ConfirmedCart:
        """Ask the seller for its requirement: status first, then negotiation and the cart."""
        try:
            self.agent.check_status(delegation.iac)
        except PurchaseRefused as e:
            raise PurchaseRefused(e.code, e.reason, stage=AupStage.VALIDITY) from e
        iac = delegation.iac
        return self.agent.confirm(offer, iac, self.agent.negotiate(offer, iac))

    def pay(self, offer: Offer, delegation: Delegation, *, proposal_id: str) -> Purchase:
        """Self-check, pay at L3, and count the spend from the receipt (see module doc)."""
        cart = self.requirement(offer, delegation)
        verdict = self.check(delegation, cart)
        if not verdict.ok:
            raise refuse(verdict)
        self.agent.log_decision(delegation.iac, (offer,), considered=1, rule=DECISION_RULE)
        try:
            self.agent.check_cart(cart, offer, delegation.iac, delegation.spent)
        except PurchaseRefused as e:
            raise PurchaseRefused(e.code, e.reason, stage=AupStage.TASK) from e
        receipt = self.agent.pay(
            mode=PaymentMode.L3,
            payment_token=delegation.payment_token,
            iac=delegation.iac,
            cart=cart,
        )
        delegation.record(receipt)
        return Purchase(
            proposal_id, delegation.isr, delegation.iac, PaymentMode.L3, cart, None, receipt, offer
        )
