"""What the tools keep between calls: proposals, the person's delegations and the purchases.

A proposal moves through a small table (an illegal move raises and changes nothing)::

    proposed ──approve──> approved ──pay──> paid
    proposed ──decline──> declined
    proposed/approved ──refuse──> refused      (a check said no; nothing was paid)

A ``Delegation`` is an IAC the person signed with its bound payment token and what the payment
provider's receipts say it has spent; a ``Purchase`` is everything one paid order needs for its
evidence bundle (ISR, IAC, the signed cart, the approval if any, the signed receipt).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trustcart.assistant.offers import ConfirmedCart, Offer, Receipt
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    DECLINED = "declined"
    REFUSED = "refused"
    PAID = "paid"


_MOVES = {
    (ProposalStatus.PROPOSED, ProposalStatus.APPROVED),
    (ProposalStatus.PROPOSED, ProposalStatus.DECLINED),
    (ProposalStatus.PROPOSED, ProposalStatus.REFUSED),
    (ProposalStatus.APPROVED, ProposalStatus.REFUSED),
    (ProposalStatus.PROPOSED, ProposalStatus.PAID),  # under a standing delegation
    (ProposalStatus.APPROVED, ProposalStatus.PAID),
}


class ApprovalKind(StrEnum):
    PURCHASE = "purchase"  # one exact proposal
    STANDING_ORDER = "standing-order"  # a BOUNDED delegation


@dataclass(frozen=True)
class ApprovalRequest:
    """What the person is asked to sign, in words and figures."""

    kind: ApprovalKind
    summary: str
    max_total: Money
    merchants: tuple[str, ...]


Approver = Callable[[ApprovalRequest], bool]


def purchase_request(lines: Sequence[Offer], total: Money, isr: ISR) -> ApprovalRequest:
    """What the person is asked before one purchase: the exact lines and total."""
    what = ", ".join(f"{c.quantity} x {c.title} ({c.merchant_name})" for c in lines)
    return ApprovalRequest(
        ApprovalKind.PURCHASE,
        f"Pay {total} for {what}",
        isr.max_total,
        isr.commerce.allowed_merchants,
    )


def standing_order_request(item: str, max_quantity: int | None, isr: ISR) -> ApprovalRequest:
    """What the person is asked before a standing order: its limits and how long it lasts."""
    summary = (
        f"Let the agent buy {item} for you without asking each time: "
        f"at most {isr.max_total} in total"
        + (f", {isr.commerce.max_single} per purchase" if isr.commerce.max_single else "")
        + (f", {max_quantity} items" if max_quantity else "")
        + f", until {isr.validity_end:%Y-%m-%d %H:%M} UTC"
    )
    return ApprovalRequest(
        ApprovalKind.STANDING_ORDER, summary, isr.max_total, isr.commerce.allowed_merchants
    )


def deny_all(_request: ApprovalRequest) -> bool:
    """The default approver: no person is present, so nothing is approved."""
    return False


@dataclass
class Delegation:
    isr: ISR
    iac: IAC
    payment_token: str
    spent: SpendSoFar

    def record(self, receipt: Receipt) -> None:
        """Spent so far comes only from the payment provider's signed receipts (ACT)."""
        if receipt.budget is not None:
            budget = receipt.budget
            self.spent = SpendSoFar(budget.spent, budget.count, budget.quantity)


@dataclass(frozen=True)
class Purchase:
    """One paid order with everything its evidence bundle holds."""

    proposal_id: str
    isr: ISR
    iac: IAC
    mode: PaymentMode
    cart: ConfirmedCart
    approval: str | None
    receipt: Receipt
    line: Offer | None = None  # the offer the person chose (titles for their records)

    def to_json(self) -> dict[str, Any]:
        return {
            "out_trade_no": self.cart.out_trade_no,
            "trade_no": self.receipt.trade_no,
            "merchant_id": self.cart.merchant_id,
            "amount": self.cart.total.to_json(),
            "mode": self.mode.value,
        }


def option_total(lines: tuple[Offer, ...]) -> Money:
    total = Money.zero(lines[0].total.currency)
    for line in lines:
        total = total + line.total
    return total


@dataclass
class Proposal:
    proposal_id: str
    intent_id: str
    lines: tuple[Offer, ...]
    delegation_id: str | None = None
    status: ProposalStatus = ProposalStatus.PROPOSED
    purchases: list[Purchase] = field(default_factory=list)

    @property
    def total(self) -> Money:
        return option_total(self.lines)

    def move(self, to: ProposalStatus) -> None:
        if (self.status, to) not in _MOVES:
            raise ValidationError(f"a {self.status} proposal cannot become {to}")
        self.status = to

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id,
            "intent_id": self.intent_id,
            "status": self.status.value,
            "delegation_id": self.delegation_id,
            "items": [line.to_json() for line in self.lines],
            "total": self.total.to_json(),
            "orders": [purchase.to_json() for purchase in self.purchases],
        }
