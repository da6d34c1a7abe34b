"""The PSP's side of L3 autonomous payments (ACT PSD-PAY-AUP): admission that names its stage.

An AUP request is an ordinary ``POST /payments`` body with ``"mode": "L3"`` and no approval;
``PaymentProvider`` routes it here. Phase 1 runs the PSP's own checks in stage order
(``delegation.autonomy.AupStage``)::

    request → tool (token live, this agent's) → credential (IAC verifies with the account's
    delegator key, delegates to this agent; the token is bound to it) → mode (BOUNDED and
    user-confirmed; a SPECIFIED IAC is refused with ``aup-not-bounded``) → validity (window,
    Active now, fail closed) → task (the merchant-signed cart is for this delegation, intent and
    agent, still locked, the amount its total) → budget / counterparty / category / method (the
    IAC's constraints and the token's limits against the PSP's own spend record)

and phase 2 is the same ``PaymentCommit`` as L1 and L2: one transaction that locks the wallet,
the budget row and the token, re-checks every limit against the locked spend (so cumulative
totals come only from PSP successes: a refused payment never reaches ``budget.record_success``),
checks funds (stage ``funds``), posts the ledger entry, and signs the receipt, whose ``mode`` is
``L3``: the result credential (``act-payment-receipt+jwt``, docs/wire-formats.md).

Every refusal names its stage: each ``PaymentProblem`` code belongs to exactly one stage
(``STAGE_OF_PROBLEM``) and the problem body carries ``"stage"``, including refusals decided
outside phase 1 and 2 (idempotency conflicts) and replayed ones (``name_stage``), and the PSP
shell's own refusals of an L3 body (``staged_problem``: role, idempotency header, body shape).
Only the HTTP signature layer (RFC 9421, before any body is read) answers without a stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustcart.core.payment import PaymentMode
from trustcart.core.problem import ProblemError
from trustcart.delegation.autonomy import AupStage
from trustcart.delegation.terms import DelegationMode
from trustcart.payments import checks, holds
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.modes import parse_payment_request
from trustcart.payments.outcomes import PaymentOutcome
from trustcart.payments.payment_admission import CheckedPayment, StatusCheck, bound_credential
from trustcart.payments.payment_commit import CommittedPayment, PaymentCommit
from trustcart.store.db import Database
from trustcart.trust.directory import KeyDirectory

_P = PaymentProblem
_S = AupStage

STAGE_OF_PROBLEM: dict[PaymentProblem, AupStage] = {
    _P.REQUEST_INVALID: _S.REQUEST,
    _P.IDEMPOTENCY_KEY_MISSING: _S.REQUEST,
    _P.IDEMPOTENCY_CONFLICT: _S.REQUEST,
    _P.IDEMPOTENCY_IN_FLIGHT: _S.REQUEST,
    _P.ROLE_NOT_ALLOWED: _S.REQUEST,
    _P.APPROVAL_MISSING: _S.REQUEST,
    _P.APPROVAL_INVALID: _S.REQUEST,
    _P.APPROVAL_MISMATCH: _S.REQUEST,
    _P.BINDING_REFUSED: _S.REQUEST,
    _P.UNKNOWN_PAYMENT: _S.REQUEST,
    _P.REFUND_EXCEEDS_PAYMENT: _S.REQUEST,
    _P.NOT_PAYMENT_MERCHANT: _S.REQUEST,
    _P.BASKET_INVALID: _S.REQUEST,
    _P.AP2_MANDATE_REFUSED: _S.REQUEST,  # the AP2 mandates sent with it (payments.ap2_payments)
    _P.TOKEN_INVALID: _S.TOOL,
    _P.TOKEN_AGENT_MISMATCH: _S.TOOL,
    _P.TOKEN_DELEGATION_MISMATCH: _S.TOOL,
    _P.IAC_INVALID: _S.CREDENTIAL,
    _P.AGENT_MISMATCH: _S.CREDENTIAL,
    _P.AUP_NOT_BOUNDED: _S.MODE,
    _P.MODE_NOT_ALLOWED: _S.MODE,
    _P.IAC_SUSPENDED: _S.VALIDITY,
    _P.IAC_REVOKED: _S.VALIDITY,
    _P.IAC_EXPIRED: _S.VALIDITY,
    _P.IAC_NOT_YET_VALID: _S.VALIDITY,
    _P.STATUS_UNAVAILABLE: _S.VALIDITY,
    _P.PAYMENT_HELD: _S.VALIDITY,  # the status could not be asked now: held, not refused
    _P.CART_INVALID: _S.TASK,
    _P.CART_EXPIRED: _S.TASK,
    _P.AMOUNT_MISMATCH: _S.TASK,
    _P.CURRENCY_MISMATCH: _S.BUDGET,
    _P.OVER_BUDGET: _S.BUDGET,
    _P.OVER_PERIOD_CAP: _S.BUDGET,  # a standing order's period (payments.period_budget)
    _P.OVER_SINGLE_LIMIT: _S.BUDGET,
    _P.UNDER_SINGLE_MINIMUM: _S.BUDGET,
    _P.OVER_QUANTITY: _S.BUDGET,
    _P.CONSTRAINT_VIOLATED: _S.BUDGET,
    _P.MERCHANT_NOT_ALLOWED: _S.COUNTERPARTY,
    _P.CATEGORY_NOT_ALLOWED: _S.CATEGORY,
    _P.METHOD_NOT_ALLOWED: _S.METHOD,
    _P.INSUFFICIENT_FUNDS: _S.FUNDS,
    _P.ALREADY_PAID: _S.FUNDS,
    _P.UNKNOWN_ACCOUNT: _S.FUNDS,
    # The risk rules (``payments.risk``) run last, just before the ledger transaction.
    _P.RISK_REFUSED: _S.FUNDS,
    _P.RISK_STEP_UP_REQUIRED: _S.FUNDS,
}


def is_autonomous(raw: Mapping[str, Any]) -> bool:
    """Whether a payment request asks for L3 (routing only; admission re-parses it)."""
    return raw.get("mode") == PaymentMode.L3.value


def stage_of(code: str) -> AupStage:
    """The stage a refusal code belongs to; a code this table does not know is ``request``.

    >>> stage_of("aup-not-bounded"), stage_of("over-budget"), stage_of("no-such-code")
    (<AupStage.MODE: 'mode'>, <AupStage.BUDGET: 'budget'>, <AupStage.REQUEST: 'request'>)
    """
    try:
        return STAGE_OF_PROBLEM[PaymentProblem(code)]
    except ValueError:
        return AupStage.REQUEST


def with_stage(refusal: PaymentRefused) -> PaymentRefused:
    """The same refusal (code, detail, extras), naming its stage."""
    extra = {**refusal.problem.extra, "stage": stage_of(refusal.code).value}
    return PaymentRefused(refusal.payment_problem, refusal.problem.detail, **extra)


def staged_problem(error: ProblemError) -> ProblemError:
    """A shell's refusal of an AUP request (role, idempotency header, body shape), staged."""
    if isinstance(error, PaymentRefused):
        return with_stage(error)
    problem = error.problem
    extra = {**problem.extra, "stage": stage_of(problem.code).value}
    return ProblemError(problem.code, problem.status, problem.detail, title=problem.title, **extra)


def name_stage(outcome: PaymentOutcome) -> PaymentOutcome:
    """An AUP outcome whose refusal body names its stage (answers that succeeded pass as is)."""
    if outcome.ok or "stage" in outcome.body:
        return outcome
    body = {**outcome.body, "stage": stage_of(str(outcome.body.get("code", ""))).value}
    return PaymentOutcome(outcome.status, body, replayed=outcome.replayed)


def check_autonomous_payment(
    db: Database,
    agent_id: str,
    raw: Mapping[str, Any],
    now: datetime,
    *,
    directory: KeyDirectory,
    psp_id: str,
    check_status: StatusCheck,
) -> CheckedPayment:
    """Phase 1 of an L3 payment (see module doc); write nothing. Refusals are not staged
    here (``pay_autonomously`` names the stage of whatever is raised)."""
    request = parse_payment_request(raw)
    if request.mode is not PaymentMode.L3:
        raise PaymentRefused(_P.REQUEST_INVALID, "an AUP request has mode L3")
    if request.approval is not None:
        raise PaymentRefused(_P.REQUEST_INVALID, "an L3 payment carries no approval")
    token, account, spent, iac = bound_credential(db, request, agent_id, now)
    if iac.delegation_mode is not DelegationMode.BOUNDED:
        raise PaymentRefused(_P.AUP_NOT_BOUNDED, "a SPECIFIED IAC is not enough for AUP")
    if iac.user_confirmation_method is None:
        raise PaymentRefused(_P.MODE_NOT_ALLOWED, "this IAC does not allow delegated pay")
    checks.check_window(iac, now)
    status = check_status(iac, now)
    cart = checks.verify_cart(request.cart, directory, psp_id=psp_id, now=now)
    checks.check_cart_against(cart, iac, now)
    if request.amount is not None and request.amount != cart.total:
        raise PaymentRefused(_P.AMOUNT_MISMATCH, "the amount is not the confirmed total")
    checked = CheckedPayment(PaymentMode.L3, token, account, iac, cart, status.token)
    checked.check_limits(spent, now)  # early answer; re-checked under lock in phase 2
    if status.from_cache:  # never pay on a status that could not be asked now (``holds``)
        raise holds.held_for_status(status, delegation_id=iac.delegation_id, now=now)
    return checked


def pay_autonomously(
    commit: PaymentCommit,
    db: Database,
    *,
    agent_id: str,
    raw: Mapping[str, Any],
    scope: str,
    key: str,
    now: datetime,
    directory: KeyDirectory,
    psp_id: str,
    check_status: StatusCheck,
) -> CommittedPayment:
    """Admit (phase 1) and commit (phase 2) one L3 payment; every refusal names its stage."""
    try:
        checked = check_autonomous_payment(
            db,
            agent_id,
            raw,
            now,
            directory=directory,
            psp_id=psp_id,
            check_status=check_status,
        )
        return commit.commit_owing(checked, scope, key, now)
    except PaymentRefused as refusal:
        raise with_stage(refusal) from refusal
