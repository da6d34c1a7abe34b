"""Paying a proposal: the credential that covers it, its checks, and each line bought under it.

Strategy: ``ShoppingTools.pay`` asks here, in order, which credential the person signed covers
the proposal (``covering_delegation``), whether that credential is still good and the proposal
within it (``check_proposal``), and then buys each line (``buy_line``): negotiate the method,
confirm the cart with the merchant, check the signed cart against the line, the approved total
and the credential, approve it in the person's wallet when it is a single purchase (L1), and
pay through the PSP.

A payment provider's risk step-up (``risk-step-up-required``, docs/risk.md) on an L2 payment
reaches the person as "approve this one payment" (``ask``, the tools' approver); on yes their
wallet approves exactly that cart and the agent pays it again at L1; on no the line is
``declined``; with nobody to ask, the step-up code itself is the refusal.

Rules kept: no credential, no payment; a single-purchase approval (SPECIFIED) covers only the
proposal it approved; the status is asked before anything else; a proposal outside the
credential is moved to ``refused``. Every refusal is a ``ToolRefused`` with a stable code
(``tool_refusal`` turns the agent's and the wallet's into one).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.checks import cart_problems, proposal_problems
from trustcart.assistant.errors import ToolCode, ToolRefused, WalletError
from trustcart.assistant.offers import ConfirmedCart, Offer
from trustcart.assistant.proposals import (
    ApprovalKind,
    ApprovalRequest,
    Approver,
    Delegation,
    Proposal,
    ProposalStatus,
    Purchase,
)
from trustcart.assistant.ucp.agent import buy_remote_line
from trustcart.assistant.wallet import Wallet
from trustcart.core.payment import PaymentMode
from trustcart.delegation.terms import DelegationMode

STEP_UP_REQUIRED = "risk-step-up-required"  # payments.errors.PaymentProblem.RISK_STEP_UP_REQUIRED


def tool_refusal(refusal: PurchaseRefused | WalletError, code: str | None = None) -> ToolRefused:
    """The tools' refusal for the agent's (its own code) or the wallet's (``code``, or
    ``authorization_failed``)."""
    if isinstance(refusal, PurchaseRefused):
        return ToolRefused(refusal.code, refusal.reason)
    return ToolRefused(code or ToolCode.AUTHORIZATION_FAILED, str(refusal))


def covering_delegation(
    proposal: Proposal, delegations: Mapping[str, Delegation], chosen: str | None
) -> Delegation:
    """The delegation ``chosen`` if it may pay ``proposal``, else ``ToolRefused``."""
    if chosen is None or chosen not in delegations:
        raise ToolRefused(
            ToolCode.NO_VALID_IAC,
            "no credential the person signed covers this purchase: request their approval first",
        )
    delegation = delegations[chosen]
    instant = delegation.iac.delegation_mode is DelegationMode.SPECIFIED
    if instant and proposal.delegation_id != chosen:
        raise ToolRefused(
            ToolCode.IAC_NOT_FOR_THIS_PROPOSAL,
            "a single-purchase approval covers only the proposal approved",
        )
    return delegation


def check_proposal(
    agent: BuyerAgent,
    proposal: Proposal,
    delegation: Delegation,
    *,
    payment_method: str,
    now: datetime,
) -> None:
    """The credential's status, then the proposal against it; ``ToolRefused`` if either fails."""
    iac = delegation.iac
    try:
        agent.check_status(iac)
    except PurchaseRefused as refusal:
        raise tool_refusal(refusal) from refusal
    problems = proposal_problems(
        delegation.isr,
        iac,
        proposal.lines,
        delegation.spent,
        payment_method=payment_method,
        now=now,
    )
    if problems:
        proposal.move(ProposalStatus.REFUSED)
        raise ToolRefused(
            ToolCode.OUTSIDE_AUTHORIZATION,
            "; ".join(p.text for p in problems),
            reasons=tuple(p.code for p in problems),
        )


def step_up_request(line: Offer, cart: ConfirmedCart, reason: str) -> ApprovalRequest:
    """What the person is asked when the payment provider wants their approval of one payment."""
    return ApprovalRequest(
        ApprovalKind.PURCHASE,
        f"Approve this one payment: {cart.total} for {line.quantity} x {line.title} "
        f"({line.merchant_name}), order {cart.out_trade_no}. The payment provider asks: {reason}",
        cart.total,
        (cart.merchant_id,),
    )


def buy_line(
    agent: BuyerAgent,
    wallet: Wallet,
    proposal: Proposal,
    delegation: Delegation,
    line: Offer,
    *,
    instant: bool | None = None,
    ask: Approver | None = None,
) -> Purchase:
    """Confirm, check, approve (L1) and pay one line of ``proposal``; ``ToolRefused`` if not.

    A single purchase (``instant``; default: the credential is SPECIFIED) is held to the total
    the person approved. ``ask``: who answers a risk step-up (see module doc)."""
    if line.business:  # a UCP business's line: through its checkout (``ucp.shops``)
        return buy_remote_line(agent, proposal.proposal_id, delegation, line)
    iac = delegation.iac
    if instant is None:
        instant = iac.delegation_mode is DelegationMode.SPECIFIED
    approved_total = proposal.total if instant else None
    mode = PaymentMode.L1 if instant else PaymentMode.L2
    try:
        method = agent.negotiate(line, iac)
        cart = agent.confirm(line, iac, method)
        problems = cart_problems(cart, line, approved_total)
        if problems:
            raise ToolRefused(ToolCode.CART_MISMATCH, "; ".join(problems))
        agent.check_cart(cart, line, iac, delegation.spent)
        approval = None
        if instant:
            approval = wallet.approve(cart.token, agent.merchant_keys(cart.merchant_id))
        try:
            receipt = agent.pay(
                mode=mode,
                payment_token=delegation.payment_token,
                iac=iac,
                cart=cart,
                approval=approval,
            )
        except PurchaseRefused as refusal:
            if instant or refusal.code != STEP_UP_REQUIRED or ask is None:
                raise
            if not ask(step_up_request(line, cart, refusal.reason)):
                raise ToolRefused(
                    ToolCode.DECLINED,
                    "the person did not approve this payment",
                    reasons=(STEP_UP_REQUIRED,),
                ) from refusal
            mode = PaymentMode.L1
            approval = wallet.approve(cart.token, agent.merchant_keys(cart.merchant_id))
            receipt = agent.pay(
                mode=mode,
                payment_token=delegation.payment_token,
                iac=iac,
                cart=cart,
                approval=approval,
                key_suffix="-step-up",
            )
    except (PurchaseRefused, WalletError) as refusal:
        raise tool_refusal(refusal) from refusal
    delegation.record(receipt)
    return Purchase(proposal.proposal_id, delegation.isr, iac, mode, cart, approval, receipt, line)
