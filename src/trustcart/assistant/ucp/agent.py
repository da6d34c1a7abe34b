"""The buyer agent that also shops the UCP businesses the person added.

``UcpBuyerAgent`` is a ``BuyerAgent`` whose ``discover`` answers the marketplace's offers and
the added businesses' in one list, so the planner compares them together; its
``merchant_directory`` names those businesses' sellers too. A UCP line is quoted when it is
proposed (``quote_lines``) and paid through its business's checkout (``shops.UcpShops.buy``).

A UCP business confirms and signs the ACT cart only inside ``complete``, so the person cannot
approve that exact cart beforehand (the L1 basis): for a proposal with UCP lines the person
approves a one-purchase ``BOUNDED`` credential instead (``approval_isr``): at most the quoted
total, those merchants, that quantity, one hour; the business's ACT gate and the payment
provider both hold the cart to it (L2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.offers import Offer
from trustcart.assistant.proposals import Delegation, Purchase
from trustcart.assistant.ucp.errors import UcpError
from trustcart.assistant.ucp.shops import UcpShops
from trustcart.crypto.keys import PublicKey
from trustcart.delegation.isr import ISR
from trustcart.delegation.terms import DelegationMode


class UcpBuyerAgent(BuyerAgent):
    """A ``BuyerAgent`` with the person's added UCP businesses (``shops``)."""

    def __init__(self, *, shops: UcpShops, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shops = shops

    def discover(
        self,
        context: Mapping[str, Any],
        *,
        intent_id: str | None = None,
        delegation_id: str | None = None,
        limit: int = 50,
    ) -> list[Offer]:
        local = super().discover(
            context, intent_id=intent_id, delegation_id=delegation_id, limit=limit
        )
        return [*local, *self.shops.discover(context)]

    def psp_keys(self) -> dict[str, PublicKey]:
        """The payment provider's receipt keys (its published JWKS)."""
        return self._psp_public_keys()


def _tool_refusal(error: UcpError) -> ToolRefused:
    return ToolRefused(str(error.code), error.reason)


def quote_lines(agent: BuyerAgent, lines: Sequence[Offer]) -> tuple[Offer, ...]:
    """``lines`` with every UCP line priced by its business's checkout (``ToolRefused`` when a
    business is unreachable, its figures do not add up or its price moved)."""
    if not any(line.business for line in lines):
        return tuple(lines)
    if not isinstance(agent, UcpBuyerAgent):
        raise ToolRefused("ucp-unknown-business", "this agent has no UCP businesses")
    try:
        return tuple(agent.shops.quote(line) if line.business else line for line in lines)
    except UcpError as e:
        raise _tool_refusal(e) from e


def approval_isr(isr: ISR, lines: Sequence[Offer]) -> ISR:
    """The ISR the person signs for ``lines``: as built, or one-purchase BOUNDED for UCP lines
    (the same total, merchants and window; the quantity of the lines as its whole quantity)."""
    if isr.delegation_mode is not DelegationMode.SPECIFIED or not any(x.business for x in lines):
        return isr
    quantity = sum(line.quantity for line in lines)
    commerce = dataclasses.replace(isr.commerce, max_total_quantity=quantity)
    return dataclasses.replace(isr, delegation_mode=DelegationMode.BOUNDED, commerce=commerce)


def buy_remote_line(
    agent: BuyerAgent, proposal_id: str, delegation: Delegation, line: Offer
) -> Purchase:
    """Pay one UCP line through its business (``UcpShops.buy``); ``ToolRefused`` if not."""
    if not isinstance(agent, UcpBuyerAgent):
        raise ToolRefused("ucp-unknown-business", "this agent has no UCP businesses")
    try:
        return agent.shops.buy(agent, proposal_id, delegation, line)
    except UcpError as e:
        raise _tool_refusal(e) from e
