"""``trustcart demo``'s risk scene: the payment provider asks Alice to approve one payment.

Alice signs a standing order for wireless earbuds (BOUNDED, L2: the agent pays without asking).
The shop the agent picks has never been paid at this payment provider, and the earbuds cost
more than the deployment's ``new-merchant`` threshold (docs/risk.md; 200 CNY by default), so
the PSP's risk rules answer the L2 payment with ``risk-step-up-required`` instead of paying.
The agent shows Alice "approve this one payment"; she approves that exact cart in her wallet
and the same cart is paid at L1. The PSP logged its decision (``decision-logged``, stage
``risk``) and the purchase leaves an evidence bundle like the other scenes'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trustcart.assistant.errors import ToolRefused

if TYPE_CHECKING:
    from trustcart.local.demo import Demo

RISK_REQUEST = "up to 1 wireless earbuds this week, at most 400 CNY each, 400 CNY in total"
RISK_ORDER = "wireless earbuds"


def risk_scene(demo: Demo) -> None:
    """Run the scene (see module doc); the step-up must happen, or the demo fails loudly."""
    demo.console.rule("[bold]Risk rules: the payment provider asks Alice about one payment")
    demo.console.print(f'  Alice: "{RISK_REQUEST}"')
    standing = demo.tools.authorize_standing_order(RISK_REQUEST)
    delegation_id = str(standing["delegation_id"])
    demo.step(f"Alice's wallet signs the BOUNDED IAC {delegation_id}")
    proposal = demo.choose(RISK_ORDER)
    asked_before = len(demo.approvals)
    try:
        paid = demo.tools.pay(str(proposal["proposal_id"]), delegation_id)
    except ToolRefused as refusal:  # pragma: no cover - the demo fails loudly below
        demo.refusal("the payment provider", refusal)
        raise RuntimeError("the risk scene's payment did not go through") from refusal
    if len(demo.approvals) == asked_before:  # pragma: no cover - would mean no step-up
        raise RuntimeError("the payment provider did not ask for a step-up")
    demo.step(
        "the payment provider's rule new-merchant asked for Alice's approval "
        "(risk-step-up-required); the agent paid the same cart at L1 with it"
    )
    demo.paid("risk", paid)
