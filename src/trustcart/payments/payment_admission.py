"""Phase 1 of a payment: every check that needs no write (PSD-PAY-INS / PSD-PAY-DEL).

ACT DEL order: replay, signature, IAC signature/state/delegate, limits, semantics. Replay and
the HTTP signature are checked by the shell (nonce cache, RFC 9421) and by the idempotency key;
here the signed party must equal the token's and the IAC's agent, the token must be live and
bound to this very IAC, the IAC must verify with the account's registered delegator key, be in
its window, allow the payment's level (``levels``: a SPECIFIED IAC pays only in L1) and be
Active *now* (status service, fail closed: an unreachable status service is
``status-unavailable``), the merchant-signed cart must verify and belong to this delegation,
the amount (when sent) must be the cart's total, and in L1 the delegator's approval must name
exactly this cart. The constraints and the token's own limits are pre-checked against the
spend read here; ``payment_commit`` checks them again under lock. A payment that passes all
of this on a *cached* status (the status service unreachable) is held, not paid
(``payment-held``, ``holds``). The result is a ``CheckedPayment``: what phase 2 may rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.payment import PaymentMode
from trustcart.crypto.jcs import jcs_digest
from trustcart.delegation.constraints import PurchaseFacts, SpendSoFar, evaluate_purchase
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.iac import IAC
from trustcart.delegation.status import StatusAttestation, StatusChecker
from trustcart.payments import budget, checks, holds, levels, tokens
from trustcart.payments.accounts import Account, get_account
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.modes import PaymentRequest, parse_payment_request
from trustcart.store.db import Database
from trustcart.trust.directory import KeyDirectory

_P = PaymentProblem

# The status check: refuse unless the credential is Active now; the attestation relied on.
StatusCheck = Callable[[IAC, datetime], StatusAttestation]


@dataclass(frozen=True)
class CheckedPayment:
    """A payment request that passed phase 1: its mode, token, account, IAC, cart and status."""

    mode: PaymentMode
    token: tokens.PaymentToken
    account: Account
    iac: IAC
    cart: checks.ConfirmedCart
    status_token: str

    def facts(self, now: datetime) -> PurchaseFacts:
        """The purchase as the IAC's constraints judge it."""
        return PurchaseFacts(
            merchant_id=self.cart.merchant_id,
            categories=self.cart.categories,
            amount=self.cart.total,
            quantity=self.cart.quantity,
            payment_method=self.cart.method_id,
            at=now,
        )

    def check_limits(self, spent: SpendSoFar, now: datetime) -> None:
        """Refuse unless the IAC's constraints and the token's own limits allow this spend."""
        checks.refuse_unless_allowed(evaluate_purchase(self.iac, self.facts(now), spent))
        token, amount = self.token, self.cart.total
        # The token's own limits, recorded at binding: the PSP's record, not the request's.
        if token.max_single is not None and amount > token.max_single:
            raise PaymentRefused(_P.OVER_SINGLE_LIMIT, "above the token's single limit")
        if spent.total + amount > token.max_total:
            raise PaymentRefused(_P.OVER_BUDGET, "above the token's total limit")


def check_credential_status(status: StatusChecker, iac: IAC, now: datetime) -> StatusAttestation:
    """Refuse unless the credential is Active now; return the attestation relied on (which
    may be the checker's cached one: ``check_payment`` does not pay on that, see ``holds``)."""
    try:
        attestation = status.check(iac, now)
    except StatusUnavailable as e:
        raise PaymentRefused(_P.STATUS_UNAVAILABLE, "credential status unavailable") from e
    checks.check_status(attestation, iac, now)
    return attestation


def bound_credential(
    db: Database, request: PaymentRequest, agent_id: str, now: datetime
) -> tuple[tokens.PaymentToken, Account, SpendSoFar, IAC]:
    """The request's token, its account, the budget spent so far and the IAC it is bound to,
    each checked against the others and against ``agent_id`` (every level runs these)."""
    with db.transaction() as session:
        token = tokens.resolve_token(session, request.payment_token, now)
        account = get_account(session, token.account_id)
        spent = budget.read_budget(session, token.delegation_id, token.max_total.currency)
    if account is None:  # pragma: no cover - a token row references its account
        raise PaymentRefused(_P.TOKEN_INVALID, "payment token is not valid")
    if token.agent_id != agent_id:
        raise PaymentRefused(_P.TOKEN_AGENT_MISMATCH, "the token is bound to another agent")
    iac = checks.verify_delegation_credential(
        request.iac, account.delegator_key, account.delegator_identity
    )
    if iac.agent_id != agent_id:
        raise PaymentRefused(_P.AGENT_MISMATCH, "the IAC delegates to another agent")
    if (
        iac.delegation_id != token.delegation_id
        or jcs_digest(iac.payload()) != (token.iac_digest)
        or (request.delegation_id not in (None, iac.delegation_id))
    ):
        raise PaymentRefused(
            _P.TOKEN_DELEGATION_MISMATCH, "the token is bound to another delegation"
        )
    return token, account, spent, iac


def check_payment(
    db: Database,
    agent_id: str,
    raw: Mapping[str, Any],
    now: datetime,
    *,
    directory: KeyDirectory,
    psp_id: str,
    check_status: StatusCheck,
) -> CheckedPayment:
    """Run every phase-1 check on ``raw`` from ``agent_id`` (see module doc); write nothing."""
    request = parse_payment_request(raw)
    if request.mode is PaymentMode.L3:  # autonomous payments have their own checks (aup)
        raise PaymentRefused(_P.MODE_NOT_ALLOWED, "L3 payments go through the AUP checks")
    token, account, spent, iac = bound_credential(db, request, agent_id, now)
    checks.check_window(iac, now)
    # The IAC's signed terms say at which levels it pays (``levels``): a SPECIFIED one only
    # with the person's approval of this very cart, so it cannot pay any other.
    levels.check_level(request.mode, iac)
    status = check_status(iac, now)
    cart = checks.verify_cart(request.cart, directory, psp_id=psp_id, now=now)
    checks.check_cart_against(cart, iac, now)
    if request.amount is not None and request.amount != cart.total:
        raise PaymentRefused(_P.AMOUNT_MISMATCH, "the amount is not the confirmed total")
    if request.mode is PaymentMode.L1:
        if request.approval is None:
            raise PaymentRefused(_P.APPROVAL_MISSING, "L1 needs the delegator's approval")
        checks.verify_approval(request.approval, account.delegator_key, cart, now)
    checked = CheckedPayment(request.mode, token, account, iac, cart, status.token)
    checked.check_limits(spent, now)  # early answer; re-checked under lock
    if status.from_cache:
        # Everything else holds, but the status service could not be asked: a revocation made
        # during the outage would not show. Never pay on that; hold (``holds``).
        raise holds.held_for_status(status, delegation_id=iac.delegation_id, now=now)
    return checked
