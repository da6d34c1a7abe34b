"""``trustcart demo``'s L3 scene (PSD-PAY-AUP): autonomous payments under one BOUNDED IAC.

Alice signs a standing order; the agent's ``AutonomousPayer`` pays one cheese tea after another
without asking, each self-checked stage by stage and then checked by the payment provider,
until the next one would pass the budget: its self-check stops at stage ``budget``, and a
careless agent that skips the self-check is refused by the PSP at the same stage, nothing
charged. Then a SPECIFIED IAC (Alice's one-off approval of a single purchase) is refused for
AUP at stage ``mode``, by the agent's self-check and by the PSP. Each payment leaves an
evidence bundle like the other scenes' (its receipt says ``mode: L3``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.autonomy import AutonomousPayer
from trustcart.assistant.offers import Offer
from trustcart.assistant.proposals import Delegation
from trustcart.core.payment import PaymentMode
from trustcart.local import persona

if TYPE_CHECKING:
    from trustcart.local.demo import Demo

AUTONOMOUS_REQUEST = "up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total"
AUTONOMOUS_ORDER = "Lakeside Signature Cheese Tea"
ONE_OFF_REQUEST = "order me a pearl milk tea under 30 CNY"
MAX_ROUNDS = 4


def _said(refusal: PurchaseRefused) -> str:
    return f"stage {refusal.stage}" if refusal.stage else "no stage named"


class AutonomousScene:
    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.payer = AutonomousPayer(demo.tools.agent, demo.d.clock)

    def offer(self, text: str, title: str | None = None) -> tuple[str, Offer]:
        proposal = self.demo.choose(text, title=title)
        proposal_id = str(proposal["proposal_id"])
        return proposal_id, self.demo.tools.proposal(proposal_id).lines[0]

    def refused(self, by: str, refusal: PurchaseRefused) -> None:
        self.demo.refusal(f"{by} at {_said(refusal)}", refusal)
        if refusal.stage is None:  # pragma: no cover - every AUP refusal names its stage
            raise RuntimeError("an AUP refusal did not name its stage")
        self.demo.result.stages.append((refusal.code, refusal.stage))

    def careless(self, offer: Offer, delegation: Delegation) -> None:
        """An agent that skips its self-check: the PSP refuses on its own, naming the stage."""
        rogue = self.demo.rogue_agent()
        iac = delegation.iac
        cart = rogue.confirm(offer, iac, rogue.negotiate(offer, iac))
        balance = self.demo.d.psp.balance(persona.ACCOUNT_ID)
        try:
            rogue.pay(
                mode=PaymentMode.L3, payment_token=delegation.payment_token, iac=iac, cart=cart
            )
        except PurchaseRefused as refusal:
            unchanged = self.demo.d.psp.balance(persona.ACCOUNT_ID) == balance
            self.refused(
                "the payment provider, the self-check skipped "
                + ("(nothing was charged)" if unchanged else "(BALANCE CHANGED)"),
                refusal,
            )
        else:  # pragma: no cover - would be a security bug
            raise RuntimeError("the PSP accepted an AUP payment it should refuse")

    def run(self) -> None:
        demo = self.demo
        demo.console.rule("[bold]3. Autonomous mode (L3): many payments under one BOUNDED IAC")
        demo.console.print(f'  Alice: "{AUTONOMOUS_REQUEST}"')
        standing = demo.tools.authorize_standing_order(AUTONOMOUS_REQUEST)
        delegation = demo.tools.delegations[str(standing["delegation_id"])]
        demo.step(
            f"Alice's wallet signs the {delegation.iac.delegation_mode} IAC "
            f"{delegation.iac.delegation_id}; from now on the agent pays without asking"
        )
        paid = 0
        for round_number in range(1, MAX_ROUNDS + 1):
            demo.console.print(f"  [bold]payment {round_number}[/]: the agent decides alone")
            proposal_id, offer = self.offer(f"a {AUTONOMOUS_ORDER}", AUTONOMOUS_ORDER)
            try:
                purchase = self.payer.pay(offer, delegation, proposal_id=proposal_id)
            except PurchaseRefused as refusal:
                self.refused("the agent's own self-check", refusal)
                self.careless(offer, delegation)
                break
            paid += 1
            demo.step(
                "self-check passed: tool, mode, validity, task, budget, counterparty, "
                "category, method; the PSP checked again and signed the result"
            )
            demo.tools.purchases[purchase.cart.out_trade_no] = purchase
            demo.finish("autonomous", purchase)
        if paid < 2:  # pragma: no cover - the scene must show several payments
            raise RuntimeError(f"only {paid} autonomous payment(s) went through")
        demo.tools.revoke(delegation.iac.delegation_id)
        demo.step(f"the task is done; Alice revokes {delegation.iac.delegation_id}")
        self.specified()

    def specified(self) -> None:
        demo = self.demo
        demo.console.print(
            f'  [bold]a SPECIFIED IAC[/]: Alice approves one purchase, "{ONE_OFF_REQUEST}"'
        )
        proposal_id, offer = self.offer(ONE_OFF_REQUEST)
        approved = demo.tools.request_approval(proposal_id)
        delegation = demo.tools.delegations[str(approved["delegation_id"])]
        demo.step(
            f"IAC {delegation.iac.delegation_id} is {delegation.iac.delegation_mode}: "
            "enough for L1/L2, not for autonomous payment"
        )
        try:
            self.payer.pay(offer, delegation, proposal_id=proposal_id)
        except PurchaseRefused as refusal:
            self.refused("the agent's own self-check", refusal)
        else:  # pragma: no cover - would be a security bug
            raise RuntimeError("the agent paid autonomously under a SPECIFIED IAC")
        self.careless(offer, delegation)


def autonomous(demo: Demo) -> None:
    """Run the L3 scene on a running demo."""
    AutonomousScene(demo).run()
