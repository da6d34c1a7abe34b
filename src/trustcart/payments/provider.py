"""The payment service provider (PSD-PMT-BND, PSD-PAY-INS, PSD-PAY-DEL).

Strategy. A payment request is decided in two phases:

1. *Checks, no writes* (ACT DEL order: replay, signature, IAC signature/state/delegate, limits,
   semantics). Replay and the HTTP signature are checked by the shell (nonce cache, RFC 9421)
   and by the idempotency key; here the signed party must equal the token's and the IAC's
   agent, the token must be live and bound to this very IAC, the IAC must verify with the
   account's registered delegator key, be in its window and be Active *now* (status service,
   fail closed), the merchant-signed cart must verify and belong to this delegation, and in L1
   the delegator's approval must name exactly this cart. Constraints are pre-checked too.
2. *One transaction*: lock the wallet, the delegation's budget row and the token (still
   usable: a revocation since phase 1 wins), re-check the order was not paid, re-evaluate
   every constraint against the locked spend, check funds, post the balanced ledger entry,
   record the payment and the new spend, store the idempotent answer and the merchant
   notice; commit. Any refusal raises inside it and rolls everything back.

A refusal therefore never writes to the ledger. The only writes outside phase 2 are the
idempotency claim and the stored refusal (so a retry replays the same answer).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustcart.core.clock import Clock, format_instant
from trustcart.core.errors import TrustcartError
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode, PaymentStatus
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.keys import PublicKey, SigningKey, jwks
from trustcart.delegation.constraints import PurchaseFacts, SpendSoFar, evaluate_purchase
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.iac import IAC
from trustcart.delegation.status import StatusChecker
from trustcart.payments import budget, checks, idempotency, ledger, ledger_store, tokens
from trustcart.payments.accounts import Account, get_account, insert_account
from trustcart.payments.binding import BindingResult, bind_token
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.modes import parse_payment_request
from trustcart.payments.notices import MerchantNotifier, deliver_pending
from trustcart.payments.receipts import ReceiptFacts, sign_receipt
from trustcart.payments.refunds import apply_refund, parse_refund_request
from trustcart.store.db import Database
from trustcart.store.payments import NoticeOutboxRow, PaymentRow
from trustcart.trust.directory import KeyDirectory
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.recorder import EventRecorder

log = logging.getLogger(__name__)

_P = PaymentProblem


@dataclass(frozen=True)
class PaymentOutcome:
    """The answer to a payment or refund request, as stored for idempotent replay."""

    status: int
    body: dict[str, Any]
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def code(self) -> str | None:
        return None if self.ok else str(self.body.get("code"))


@dataclass(frozen=True)
class _Checked:
    mode: PaymentMode
    token: tokens.PaymentToken
    account: Account
    iac: IAC
    cart: checks.ConfirmedCart
    status_token: str

    def facts(self, now: datetime) -> PurchaseFacts:
        return PurchaseFacts(
            merchant_id=self.cart.merchant_id,
            categories=self.cart.categories,
            amount=self.cart.total,
            quantity=self.cart.quantity,
            payment_method=self.cart.method_id,
            at=now,
        )


class PaymentProvider:
    """The PSP service. Shells (``api.psp``) call it; it never sees HTTP."""

    def __init__(
        self,
        db: Database,
        *,
        psp_id: str,
        signing_key: SigningKey,
        directory: KeyDirectory,
        status_checker: StatusChecker,
        notifier: MerchantNotifier,
        clock: Clock,
        random_bytes: RandomBytes = secrets.token_bytes,
        events: EventRecorder | None = None,
    ) -> None:
        self._events = events
        self._db = db
        self.psp_id = psp_id
        self._key = signing_key
        self._directory = directory
        self._status = status_checker
        self._notifier = notifier
        self._clock = clock
        self._random = random_bytes

    @property
    def public_key(self) -> PublicKey:
        return self._key.public

    def jwks(self) -> dict[str, Any]:
        return jwks([self._key.public])

    # -- accounts --------------------------------------------------------------------------

    def open_account(
        self,
        account_id: str,
        delegator_identity: str,
        delegator_public_key: PublicKey,
        initial_balance: Money,
    ) -> Account:
        """Open a wallet for a delegator; fund it through a balanced entry if asked to."""
        now = self._clock.now()
        with self._db.transaction() as session:
            account = insert_account(
                session,
                account_id=account_id,
                delegator_identity=delegator_identity,
                key=delegator_public_key,
                currency=initial_balance.currency,
                now=now,
            )
            if initial_balance.minor > 0:
                self._fund(session, account_id, initial_balance, f"open:{account_id}", now)
        return account

    def fund_account(self, account_id: str, amount: Money, reference: str) -> Money:
        """Top up a wallet from outside (the demo's bank transfer); returns the new balance."""
        now = self._clock.now()
        with self._db.transaction() as session:
            account = get_account(session, account_id, lock=True)
            if account is None or amount.currency != account.currency or amount.minor <= 0:
                raise PaymentRefused(_P.UNKNOWN_ACCOUNT, "no such account in that currency")
            self._fund(session, account_id, amount, reference, now)
            return ledger_store.account_balance(
                session, ledger.wallet_account(account_id), account.currency
            )

    def _fund(
        self, session: Session, account_id: str, amount: Money, reference: str, now: datetime
    ) -> None:
        entry = ledger.funding_entry(
            new_id("je", self._random), wallet=account_id, amount=amount, reference=reference
        )
        ledger_store.post_entry(session, entry, at=now)

    def balance(self, account_id: str) -> Money:
        with self._db.transaction() as session:
            account = get_account(session, account_id)
            if account is None:
                raise PaymentRefused(_P.UNKNOWN_ACCOUNT, "no such account")
            return ledger_store.account_balance(
                session, ledger.wallet_account(account_id), account.currency
            )

    def merchant_balance(self, merchant_id: str, currency: str) -> Money:
        with self._db.transaction() as session:
            return ledger_store.account_balance(
                session, ledger.merchant_account(merchant_id), currency
            )

    # -- binding (PSD-PMT-BND) -------------------------------------------------------------

    def bind(self, binding_request: str) -> BindingResult:
        """Issue a restricted token for the agent named in the delegator's signed request.

        Every failure raises ``PaymentRefused`` and issues nothing (ACT: a failed binding
        yields no token).
        """
        return bind_token(
            self._db,
            binding_request,
            now=self._clock.now(),
            check_status=self._check_status,
            random_bytes=self._random,
        )

    def revoke_token(self, token_id: str) -> bool:
        with self._db.transaction() as session:
            return tokens.revoke_token(session, token_id, self._clock.now())

    def _check_status(self, iac: IAC, now: datetime) -> str:
        """Refuse unless the credential is Active now; return the signed status relied on."""
        try:
            attestation = self._status.check(iac, now)
        except StatusUnavailable as e:
            raise PaymentRefused(_P.STATUS_UNAVAILABLE, "credential status unavailable") from e
        checks.check_status(attestation, iac, now)
        return attestation.token

    # -- payments (PSD-PAY-INS / PSD-PAY-DEL) ----------------------------------------------

    def submit_payment(
        self, *, agent_id: str, idempotency_key: str, request: Mapping[str, Any]
    ) -> PaymentOutcome:
        """Decide one payment request from ``agent_id`` (already authenticated by the shell).

        >>> # outcome = psp.submit_payment(agent_id="agent:a", idempotency_key="k1",
        >>> #     request={"mode": "L2", "payment_token": tok, "iac": iac, "cart": cart,
        >>> #              "request_id": "req_1"})
        >>> # outcome.status, outcome.body["receipt"]
        """
        outcome = self._idempotent(
            f"payments:{agent_id}",
            idempotency_key,
            request,
            lambda scope, now: self._pay(agent_id, request, scope, idempotency_key, now),
        )
        if outcome.ok and not outcome.replayed:
            self.deliver_pending_notices(trade_no=str(outcome.body["trade_no"]))
        return outcome

    def _pay(
        self, agent_id: str, request: Mapping[str, Any], scope: str, key: str, now: datetime
    ) -> PaymentOutcome:
        checked = self._check_payment(agent_id, request, now)
        return self._commit_payment(checked, scope, key, now)

    def _check_payment(self, agent_id: str, raw: Mapping[str, Any], now: datetime) -> _Checked:
        request = parse_payment_request(raw)
        with self._db.transaction() as session:
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
        checks.check_window(iac, now)
        status_token = self._check_status(iac, now)
        cart = checks.verify_cart(request.cart, self._directory, psp_id=self.psp_id, now=now)
        checks.check_cart_against(cart, iac, now)
        if request.amount is not None and request.amount != cart.total:
            raise PaymentRefused(_P.AMOUNT_MISMATCH, "the amount is not the confirmed total")
        if request.mode is PaymentMode.L1:
            if request.approval is None:
                raise PaymentRefused(_P.APPROVAL_MISSING, "L1 needs the delegator's approval")
            checks.verify_approval(request.approval, account.delegator_key, cart, now)
        elif iac.user_confirmation_method is None:
            # L2 pays without asking; only a credential the user confirmed may allow that.
            raise PaymentRefused(_P.MODE_NOT_ALLOWED, "this IAC does not allow delegated pay")
        checked = _Checked(request.mode, token, account, iac, cart, status_token)
        self._check_limits(checked, spent, now)  # early answer; re-checked under lock
        return checked

    def _check_limits(self, checked: _Checked, spent: SpendSoFar, now: datetime) -> None:
        checks.refuse_unless_allowed(evaluate_purchase(checked.iac, checked.facts(now), spent))
        token, amount = checked.token, checked.cart.total
        # The token's own limits, recorded at binding: the PSP's record, not the request's.
        if token.max_single is not None and amount > token.max_single:
            raise PaymentRefused(_P.OVER_SINGLE_LIMIT, "above the token's single limit")
        if spent.total + amount > token.max_total:
            raise PaymentRefused(_P.OVER_BUDGET, "above the token's total limit")

    def _commit_payment(
        self, checked: _Checked, scope: str, key: str, now: datetime
    ) -> PaymentOutcome:
        cart, iac, account = checked.cart, checked.iac, checked.account
        try:
            with self._db.transaction() as session:
                # Lock order everywhere: wallet, budget, token. No deadlocks between payments.
                get_account(session, account.account_id, lock=True)
                spent = budget.lock_budget(session, iac.delegation_id, iac.currency, now)
                # The token was checked in phase 1; a revocation since then must still win.
                tokens.lock_usable_token(session, checked.token.token_id, now)
                paid = session.execute(
                    select(PaymentRow.trade_no).where(
                        PaymentRow.merchant_id == cart.merchant_id,
                        PaymentRow.out_trade_no == cart.out_trade_no,
                    )
                ).first()
                if paid is not None:
                    raise PaymentRefused(
                        _P.ALREADY_PAID, "this order was already paid", trade_no=paid[0]
                    )
                self._check_limits(checked, spent, now)
                wallet = ledger.wallet_account(account.account_id)
                if ledger_store.account_balance(session, wallet, account.currency) < cart.total:
                    raise PaymentRefused(_P.INSUFFICIENT_FUNDS, "the balance is too low")
                trade_no = new_id("trd", self._random)
                entry = ledger.payment_entry(
                    new_id("je", self._random),
                    wallet=account.account_id,
                    merchant=cart.merchant_id,
                    amount=cart.total,
                    reference=trade_no,
                )
                ledger_store.post_entry(session, entry, at=now)
                after = budget.record_success(
                    session, iac.delegation_id, cart.total, cart.quantity, now
                )
                receipt = sign_receipt(
                    ReceiptFacts(
                        trade_no=trade_no,
                        out_trade_no=cart.out_trade_no,
                        merchant_id=cart.merchant_id,
                        amount=cart.total,
                        mode=checked.mode.value,
                        delegation_id=iac.delegation_id,
                        agent_id=iac.agent_id,
                        cart_digest=cart.digest,
                        paid_at=now,
                        spent=after,
                        max_total=iac.max_total,
                    ),
                    self._key,
                )
                session.add(
                    PaymentRow(
                        trade_no=trade_no,
                        merchant_id=cart.merchant_id,
                        out_trade_no=cart.out_trade_no,
                        account_id=account.account_id,
                        agent_id=iac.agent_id,
                        delegation_id=iac.delegation_id,
                        token_id=checked.token.token_id,
                        mode=checked.mode.value,
                        amount_minor=cart.total.minor,
                        refunded_minor=0,
                        currency=cart.total.currency,
                        quantity=cart.quantity,
                        cart_digest=cart.digest,
                        status=PaymentStatus.SUCCESS.value,
                        receipt=receipt,
                        entry_id=entry.entry_id,
                        paid_at=now,
                    )
                )
                session.flush()
                # The signed status the decision relied on goes back to the agent, so that the
                # evidence bundle can show the credential was Active at the time of use.
                body = {
                    **_payment_body(session.get(PaymentRow, trade_no)),
                    "credential_status": checked.status_token,
                }
                session.add(
                    NoticeOutboxRow(
                        notice_id=new_id("ntc", self._random),
                        trade_no=trade_no,
                        merchant_id=cart.merchant_id,
                        attempts=0,
                        created_at=now,
                        payload=json.dumps(_notice(body), sort_keys=True),
                    )
                )
                outcome = PaymentOutcome(200, body)
                idempotency.complete(
                    session, scope, key, idempotency.StoredResponse(outcome.status, outcome.body)
                )
        except IntegrityError as e:  # a concurrent payment of the same order won the race
            raise PaymentRefused(_P.ALREADY_PAID, "this order was already paid") from e
        self._record_completed(checked, trade_no)
        return outcome

    def _record_completed(self, checked: _Checked, trade_no: str) -> None:
        """Report act:payment:transaction-completed (after commit: only for real payments)."""
        if self._events is None:
            return
        cart = checked.cart
        try:
            self._events(
                EventType.TRANSACTION_COMPLETED,
                Chain(
                    intent_id=checked.iac.intent_id,
                    delegation_id=checked.iac.delegation_id,
                    out_trade_no=cart.out_trade_no,
                    trade_no=trade_no,
                ),
                [Participant("psp", self.psp_id, self._key.kid)],
                {
                    "mode": checked.mode.value,
                    "amount": cart.total.to_json(),
                    "merchant_id": cart.merchant_id,
                },
                self._key,
            )
        except TrustcartError:
            # The payment stands; a missing event shows up when its evidence is verified.
            log.exception("could not record transaction-completed for %s", trade_no)

    # -- refunds ---------------------------------------------------------------------------

    def submit_refund(
        self, *, merchant_id: str, idempotency_key: str, request: Mapping[str, Any]
    ) -> PaymentOutcome:
        """Refund (part of) a payment, asked by the merchant who was paid."""
        return self._idempotent(
            f"refunds:{merchant_id}",
            idempotency_key,
            request,
            lambda scope, now: self._refund(merchant_id, request, scope, idempotency_key, now),
        )

    def _refund(
        self, merchant_id: str, raw: Mapping[str, Any], scope: str, key: str, now: datetime
    ) -> PaymentOutcome:
        request = parse_refund_request(raw)
        with self._db.transaction() as session:
            body = apply_refund(
                session,
                merchant_id=merchant_id,
                request=request,
                now=now,
                entry_id=new_id("je", self._random),
                refund_id=new_id("rfd", self._random),
            )
            idempotency.complete(session, scope, key, idempotency.StoredResponse(200, body))
        return PaymentOutcome(200, body)

    # -- queries and notices ---------------------------------------------------------------

    def payment_status(self, trade_no: str, *, requester_id: str) -> dict[str, Any]:
        """The payment's current state, for its agent or its merchant only (ACT: an unknown
        result means query, never pay twice)."""
        with self._db.transaction() as session:
            row = session.get(PaymentRow, trade_no)
            if row is None or requester_id not in (row.agent_id, row.merchant_id):
                raise PaymentRefused(_P.UNKNOWN_PAYMENT, "no such payment")
            return _payment_body(row)

    def find_payment(
        self, merchant_id: str, out_trade_no: str, *, requester_id: str
    ) -> dict[str, Any]:
        with self._db.transaction() as session:
            row = session.execute(
                select(PaymentRow).where(
                    PaymentRow.merchant_id == merchant_id, PaymentRow.out_trade_no == out_trade_no
                )
            ).scalar_one_or_none()
            if row is None or requester_id not in (row.agent_id, row.merchant_id):
                raise PaymentRefused(_P.UNKNOWN_PAYMENT, "no such payment")
            return _payment_body(row)

    def deliver_pending_notices(self, *, trade_no: str | None = None, limit: int = 100) -> int:
        """Try every undelivered notice (or one payment's); return how many were delivered."""
        return deliver_pending(
            self._db, self._notifier, self._clock, trade_no=trade_no, limit=limit
        )

    # -- idempotency -----------------------------------------------------------------------

    def _idempotent(
        self,
        scope: str,
        key: str,
        request: Mapping[str, Any],
        operation: Callable[[str, datetime], PaymentOutcome],
    ) -> PaymentOutcome:
        now = self._clock.now()
        fingerprint = idempotency.request_fingerprint(request)
        try:
            with self._db.transaction() as session:
                stored = idempotency.claim(session, scope, key, fingerprint, now)
        except PaymentRefused as e:  # conflict or in flight: decided nothing, store nothing
            return PaymentOutcome(e.status, e.problem.to_json())
        if stored is not None:
            return PaymentOutcome(stored.status, stored.body, replayed=True)
        try:
            outcome: PaymentOutcome = operation(scope, now)
        except PaymentRefused as e:
            refusal = PaymentOutcome(e.status, e.problem.to_json())
            with self._db.transaction() as session:
                if e.status >= 500:  # transient (status service down): let a retry decide
                    idempotency.release(session, scope, key)
                else:
                    idempotency.complete(
                        session,
                        scope,
                        key,
                        idempotency.StoredResponse(refusal.status, refusal.body),
                    )
            return refusal
        except BaseException:
            with self._db.transaction() as session:
                idempotency.release(session, scope, key)
            raise
        return outcome


def _payment_body(row: PaymentRow | None) -> dict[str, Any]:
    assert row is not None
    return {
        "trade_no": row.trade_no,
        "out_trade_no": row.out_trade_no,
        "merchant_id": row.merchant_id,
        "status": row.status,
        "mode": row.mode,
        "delegation_id": row.delegation_id,
        "amount": Money(row.amount_minor, row.currency).to_json(),
        "refunded": Money(row.refunded_minor, row.currency).to_json(),
        "paid_at": format_instant(row.paid_at),
        "receipt": row.receipt,
    }


def _notice(body: Mapping[str, Any]) -> dict[str, Any]:
    fields = ("trade_no", "out_trade_no", "merchant_id", "amount", "paid_at", "receipt")
    return {"type": "payment.succeeded", **{name: body[name] for name in fields}}
