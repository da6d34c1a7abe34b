"""``trustcart demo``'s standing-order scene: one recurring delegation, one period's purchase.

Alice says "restock milk tea powder every month under 40" once; her wallet signs a BOUNDED IAC
whose ``ext.commerce.recurrence`` caps each month at 40 CNY (the total cap and end date are
signed too). The scheduler's pass (``StandingOrders.run_due``, what ``trustcart standing run``
does) buys the cheapest fitting offer without asking (L2) and tells her; a second pass in the
same period buys nothing (one run per (order, period)). Then a careless agent that tries a
second purchase this month under the same IAC is refused by the payment provider with
``over-period-cap``, though the total still has room, and nothing is charged. The purchase
leaves an evidence bundle like the other scenes'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.proposals import Delegation
from trustcart.assistant.standing import RunOutcome
from trustcart.core.payment import PaymentMode
from trustcart.local import persona
from trustcart.local.standing_orders import create_standing_order, run_due

if TYPE_CHECKING:
    from trustcart.local.demo import Demo

STANDING_REQUEST = "restock milk tea powder every month under 40"


def standing_scene(demo: Demo) -> None:
    """Run the standing-order scene on a running demo; raises if a rule did not hold."""
    demo.console.rule("[bold]Standing order: one approval, one purchase per period")
    demo.console.print(f'  Alice: "{STANDING_REQUEST}"')
    order, delegation = create_standing_order(demo.tools, demo.d.db, STANDING_REQUEST)
    iac = delegation.iac
    rule = iac.commerce.recurrence
    if rule is None:  # pragma: no cover - a standing order's credential is recurring
        raise RuntimeError("the standing order's IAC carries no recurrence")
    demo.step(
        f"Alice's wallet signs the recurring IAC {iac.delegation_id}: {rule.period}, at most "
        f"{rule.period_cap} per period, {iac.max_total} in total, until {iac.validity_end:%Y-%m-%d}"
    )
    runs = run_due(demo.tools, demo.d.db)
    paid = [r for r in runs if r.order_id == order.order_id and r.outcome is RunOutcome.PAID]
    if len(paid) != 1 or paid[0].out_trade_no is None:
        raise RuntimeError(f"the standing order's first period did not buy once: {runs}")
    demo.step(f"the scheduler's pass, without asking: {paid[0].sentence()}")
    demo.finish("standing", demo.tools.purchases[paid[0].out_trade_no])
    again = [r for r in run_due(demo.tools, demo.d.db) if r.order_id == order.order_id]
    if again:  # pragma: no cover - would buy a period twice
        raise RuntimeError("a second pass bought again in the same period")
    demo.step("a second pass in the same period buys nothing: one run per (order, period)")
    careless(demo, delegation, order.item)


def careless(demo: Demo, delegation: Delegation, item: str) -> None:
    """An agent that buys again this period: the PSP refuses on its own period record."""
    proposal = demo.choose(item)
    offer = demo.tools.proposal(str(proposal["proposal_id"])).lines[0]
    rogue = demo.rogue_agent()
    iac = delegation.iac
    cart = rogue.confirm(offer, iac, rogue.negotiate(offer, iac))
    balance = demo.d.psp.balance(persona.ACCOUNT_ID)
    try:
        rogue.pay(mode=PaymentMode.L2, payment_token=delegation.payment_token, iac=iac, cart=cart)
    except PurchaseRefused as refusal:
        unchanged = demo.d.psp.balance(persona.ACCOUNT_ID) == balance
        demo.refusal(
            "the payment provider, a second purchase this period "
            + ("(nothing was charged)" if unchanged else "(BALANCE CHANGED)"),
            refusal,
        )
    else:  # pragma: no cover - would be a security bug
        raise RuntimeError("the PSP paid past the standing order's period cap")
