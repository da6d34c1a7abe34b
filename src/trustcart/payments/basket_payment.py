"""A basket: several merchant-signed carts under one BOUNDED IAC, paid all together or not at all.

The request (``POST /baskets``)::

    {"payment_token": "ptk_...", "iac": "<IAC JWS>", "carts": ["<cart JWS>", ...],
     "approval": "<act-basket-approval+jwt>", "request_id": "req_...",
     "delegation_id": "dlg_..." (optional, must match the IAC)}

Phase 1 (``check_basket``, no writes) runs, once, the checks every payment runs (token, IAC
with the account's delegator key, window, level L2 — so a BOUNDED IAC the person confirmed —
and a fresh Active status; a status only from cache refuses, ``status-unavailable``), then for
each cart the merchant's signature and that it belongs to this delegation and is still locked;
the carts must be distinct orders in one currency (else ``basket-invalid``). The person's one
approval must verify with the delegator key and name exactly this set: the
order-independent ``basket_digest`` of the carts' digests, their count, this delegation and
agent, and their summed total as ``amount`` (``delegation.basket``). The carts are then
pre-checked one after another against the spend so far, as if each were a payment.

Phase 2 (``BasketCommit.commit``) is **one** transaction: it takes the wallet, budget and token
locks once, in the order every payment takes them, then places each cart
(``PaymentCommit.place``: not already paid, the IAC's constraints and the token's limits against
the *running* locked spend, funds, ledger entry, receipt, payment row, owed messages) and stores
the basket's idempotent answer. The first cart that fails raises and the whole transaction rolls
back: nothing is paid, no budget is used, no message is owed (policy ``all-or-nothing``, the
only one). Because the budget row stays locked from the first cart to commit, a concurrent
payment or basket under the same delegation waits and then sees the whole basket's spend, so
the IAC's total can never be passed.

Each cart's payment is an ordinary L2 payment with its own receipt (mode ``L2``), so each
order's evidence bundle verifies alone; the basket approval is the record for the whole
(``trust.basket_record``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money, sum_money
from trustcart.core.payment import PaymentMode
from trustcart.core.typs import BASKET_APPROVAL_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey
from trustcart.delegation.basket import (
    MAX_BASKET_CARTS,
    BasketApproval,
    basket_digest_of,
)
from trustcart.delegation.constraints import SpendSoFar
from trustcart.payments import budget, checks, idempotency, levels, tokens
from trustcart.payments.accounts import get_account
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.modes import PaymentRequest
from trustcart.payments.outcomes import PaymentOutcome
from trustcart.payments.payment_admission import CheckedPayment, StatusCheck, bound_credential
from trustcart.payments.payment_commit import CommittedPayment, PaymentCommit
from trustcart.store.db import Database
from trustcart.trust.directory import KeyDirectory

_P = PaymentProblem
_FIELDS = {"payment_token", "iac", "carts", "approval", "request_id", "delegation_id"}


@dataclass(frozen=True)
class BasketRequest:
    payment_token: str
    iac: str
    carts: tuple[str, ...]
    approval: str
    request_id: str
    delegation_id: str | None = None


@dataclass(frozen=True)
class CheckedBasket:
    """A basket that passed phase 1: the approval and one checked payment per cart."""

    approval: BasketApproval
    approval_token: str
    payments: tuple[CheckedPayment, ...]

    @property
    def total(self) -> Money:
        return self.approval.amount


def _invalid(detail: str) -> PaymentRefused:
    return PaymentRefused(_P.REQUEST_INVALID, detail)


def parse_basket_request(raw: Mapping[str, Any]) -> BasketRequest:
    """Parse or raise ``PaymentRefused(payment-request-invalid)``; unknown fields are refused."""
    unknown = set(raw) - _FIELDS
    if unknown:
        raise _invalid(f"unknown fields {sorted(unknown)}")
    for name in ("payment_token", "iac", "approval", "request_id"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise _invalid(f"{name} must be a non-empty string")
    if raw.get("delegation_id") is not None and not isinstance(raw["delegation_id"], str):
        raise _invalid("delegation_id must be a string")
    carts = raw.get("carts")
    if (
        not isinstance(carts, list)
        or not 1 <= len(carts) <= MAX_BASKET_CARTS
        or not all(isinstance(c, str) and c for c in carts)
    ):
        raise _invalid(f"carts must be a list of 1..{MAX_BASKET_CARTS} cart tokens")
    return BasketRequest(
        payment_token=raw["payment_token"],
        iac=raw["iac"],
        carts=tuple(carts),
        approval=raw["approval"],
        request_id=raw["request_id"],
        delegation_id=raw.get("delegation_id"),
    )


def verify_basket_approval(
    token: str, delegator_key: PublicKey, carts: Sequence[checks.ConfirmedCart], now: datetime
) -> BasketApproval:
    """The person's one approval names exactly these carts, their total, delegation and agent."""
    try:
        payload = verify_compact(
            token, {delegator_key.kid: delegator_key}, typ=BASKET_APPROVAL_TYP
        ).payload
        approval = BasketApproval.from_payload(payload)
    except InvalidSignature as e:
        raise PaymentRefused(_P.APPROVAL_INVALID, "the approval signature does not verify") from e
    except ValidationError as e:
        raise PaymentRefused(_P.APPROVAL_INVALID, "the basket approval is malformed") from e
    first = carts[0]
    if (
        approval.basket_digest != basket_digest_of(c.digest for c in carts)
        or approval.cart_count != len(carts)
        or approval.delegation_id != first.delegation_id
        or approval.agent_id != first.agent_id
    ):
        raise PaymentRefused(_P.APPROVAL_MISMATCH, "the approval is for another set of carts")
    total = sum_money([c.total for c in carts], first.total.currency)
    if approval.amount != total:
        raise PaymentRefused(_P.AMOUNT_MISMATCH, "the approved amount is not the carts' total")
    latest_confirmation = max(c.confirmed_at for c in carts)
    if (
        approval.approved_at > now + checks.CLOCK_SKEW
        or approval.approved_at < latest_confirmation - checks.CLOCK_SKEW
    ):
        raise PaymentRefused(_P.APPROVAL_INVALID, "the approval's time is implausible")
    return approval


def _after(spent: SpendSoFar, cart: checks.ConfirmedCart) -> SpendSoFar:
    return SpendSoFar(spent.total + cart.total, spent.count + 1, spent.quantity + cart.quantity)


def check_basket(
    db: Database,
    agent_id: str,
    raw: Mapping[str, Any],
    now: datetime,
    *,
    directory: KeyDirectory,
    psp_id: str,
    check_status: StatusCheck,
) -> CheckedBasket:
    """Phase 1 of a basket (module doc); writes nothing."""
    request = parse_basket_request(raw)
    as_payment = PaymentRequest(
        mode=PaymentMode.L2,
        payment_token=request.payment_token,
        iac=request.iac,
        cart=request.carts[0],
        request_id=request.request_id,
        delegation_id=request.delegation_id,
    )
    token, account, spent, iac = bound_credential(db, as_payment, agent_id, now)
    checks.check_window(iac, now)
    levels.check_level(PaymentMode.L2, iac)
    status = check_status(iac, now)
    if status.from_cache:  # a basket is never held: the person approved it to be paid now
        raise PaymentRefused(_P.STATUS_UNAVAILABLE, "credential status unavailable")
    carts = [checks.verify_cart(c, directory, psp_id=psp_id, now=now) for c in request.carts]
    for cart in carts:
        checks.check_cart_against(cart, iac, now)
    orders = {(c.merchant_id, c.out_trade_no) for c in carts}
    if len(orders) != len(carts) or len({c.digest for c in carts}) != len(carts):
        raise PaymentRefused(_P.BASKET_INVALID, "a basket holds each order once")
    approval = verify_basket_approval(request.approval, account.delegator_key, carts, now)
    payments = tuple(
        CheckedPayment(PaymentMode.L2, token, account, iac, cart, status.token) for cart in carts
    )
    for payment in payments:  # early answer, as if paid one after another; re-checked under lock
        payment.check_limits(spent, now)
        spent = _after(spent, payment.cart)
    return CheckedBasket(approval, request.approval, payments)


class BasketCommit:
    """Phase 2 of a basket: every cart placed in one transaction, or none (module doc)."""

    def __init__(self, db: Database, commit: PaymentCommit) -> None:
        self._db = db
        self._commit = commit

    def commit(
        self, checked: CheckedBasket, scope: str, key: str, now: datetime
    ) -> CommittedPayment:
        first = checked.payments[0]
        iac, account = first.iac, first.account
        owed: list[str] = []
        bodies: list[dict[str, Any]] = []
        try:
            with self._db.transaction() as session:
                # The lock order of every payment: wallet, budget, token. Taken once, held to
                # commit, so nothing else under this delegation pays in between.
                get_account(session, account.account_id, lock=True)
                spent = budget.lock_budget(session, iac.delegation_id, iac.currency, now)
                tokens.lock_usable_token(session, first.token.token_id, now)
                for payment in checked.payments:
                    try:
                        body, messages, spent = self._commit.place(session, payment, spent, now)
                    except PaymentRefused as e:
                        raise PaymentRefused(
                            e.payment_problem,
                            f"{payment.cart.out_trade_no}: {e.problem.detail}; nothing was paid",
                            out_trade_no=payment.cart.out_trade_no,
                            merchant_id=payment.cart.merchant_id,
                        ) from e
                    bodies.append(body)
                    owed.extend(messages)
                answer = {
                    "basket_id": checked.approval.basket_id,
                    "basket_digest": checked.approval.basket_digest,
                    "policy": checked.approval.policy.value,
                    "amount": checked.total.to_json(),
                    "payments": bodies,
                }
                outcome = PaymentOutcome(200, answer)
                idempotency.complete(
                    session, scope, key, idempotency.StoredResponse(outcome.status, outcome.body)
                )
        except IntegrityError as e:  # a concurrent payment of one of its orders won the race
            raise PaymentRefused(_P.ALREADY_PAID, "an order of this basket was already paid") from e
        return CommittedPayment(outcome, tuple(owed))
