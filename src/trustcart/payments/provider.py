"""The payment service provider (PSD-PMT-BND, PSD-PAY-INS/-DEL/-AUP): ``PaymentProvider``.

The one object the PSP shell (``api.psp``) and the composition root hold; it never sees HTTP.
It opens and funds wallets, binds tokens (``binding``), and answers payments, refunds and
queries by composing the modules that hold the rules:

    outcomes           every payment and refund runs once per idempotency key, then replays
    payment_admission  phase 1: every check that needs no write
    aup                phase 1 of an L3 (autonomous) payment, each refusal naming its stage
    risk               the deployment's risk rules, between phase 1 and phase 2 (all levels)
    payment_commit     phase 2: one transaction that commits it and stages what it owes
    refunds            reversing entries, never more than paid
    payment_view       a payment as shown, to its agent or its merchant only
    notices            the merchant notices' transport, for the outbox relay

A refusal therefore never writes to the ledger. The only writes outside phase 2 are the
idempotency claim and the stored refusal (so a retry replays the same answer), and the outbox
bookkeeping: right after a payment commits, the provider tries the messages it owes (its
``transaction-completed`` record for the log, the merchant's notice) through its own
``OutboxRelay``; what fails is left to the relay's retries (``trustcart.delivery``). A replayed
payment tries again whatever its trade still owes.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.crypto.keys import PublicKey, SigningKey, jwks
from trustcart.delegation.status import StatusChecker
from trustcart.delivery import outbox
from trustcart.delivery.messages import MessageKind
from trustcart.delivery.relay import OutboxRelay
from trustcart.delivery.transports import Transport
from trustcart.payments import ap2_payments, aup, idempotency, ledger, ledger_store, tokens
from trustcart.payments.accounts import Account, get_account, insert_account
from trustcart.payments.basket_payment import BasketCommit, check_basket
from trustcart.payments.binding import BindingResult, bind_token
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.notices import MerchantNotifier, NoticeTransport
from trustcart.payments.outcomes import PaymentOutcome, run_idempotently
from trustcart.payments.payment_admission import check_credential_status, check_payment
from trustcart.payments.payment_commit import CommittedPayment, PaymentCommit
from trustcart.payments.payment_view import payment_by_order, payment_by_trade_no
from trustcart.payments.refunds import apply_refund, parse_refund_request
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.gate import RiskGate
from trustcart.store.db import Database
from trustcart.trust.directory import KeyDirectory

_P = PaymentProblem
_logger = logging.getLogger(__name__)


class PaymentProvider:
    """The PSP service. Shells (``api.psp``) call it; it never sees HTTP.

    ``log``: where its ``transaction-completed`` records go (the transparency log's transport);
    without one no record is staged. ``notifier`` carries the merchant notices. ``risk``: the
    deployment's risk rules (``payments.risk``; ``None``: none, for tests of the PSP alone).
    """

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
        log: Transport | None = None,
        risk: RiskConfig | None = None,
    ) -> None:
        self._db = db
        self.psp_id = psp_id
        self._key = signing_key
        self._directory = directory
        self._clock = clock
        self._random = random_bytes
        self._check_status = partial(check_credential_status, status_checker)
        self.risk = (
            None
            if risk is None
            else RiskGate(
                db,
                risk,
                psp_id=psp_id,
                signing_key=signing_key,
                record_events=log is not None,
                deliver=self._deliver_now,
                random_bytes=random_bytes,
            )
        )
        self._commit = PaymentCommit(
            db,
            psp_id=psp_id,
            signing_key=signing_key,
            random_bytes=random_bytes,
            record_events=log is not None,
            screen=None if self.risk is None else self.risk.screen,
        )
        transports: dict[MessageKind, Transport] = {MessageKind.NOTICE: NoticeTransport(notifier)}
        if log is not None:
            transports[MessageKind.RECORD] = log
        self.relay = OutboxRelay(db, clock, transports, random_bytes=random_bytes)

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

    # -- payments (PSD-PAY-INS / PSD-PAY-DEL / PSD-PAY-AUP) --------------------------------

    def submit_payment(
        self, *, agent_id: str, idempotency_key: str, request: Mapping[str, Any]
    ) -> PaymentOutcome:
        """Decide one payment request from ``agent_id`` (already authenticated by the shell).

        >>> # outcome = psp.submit_payment(agent_id="agent:a", idempotency_key="k1",
        >>> #     request={"mode": "L2", "payment_token": tok, "iac": iac, "cart": cart,
        >>> #              "request_id": "req_1"})
        >>> # outcome.status, outcome.body["receipt"]
        """
        outcome = self._pay_idempotently(
            agent_id,
            idempotency_key,
            request,
            lambda scope, now: self._pay(agent_id, request, scope, idempotency_key, now),
        )
        return aup.name_stage(outcome) if aup.is_autonomous(request) else outcome

    def submit_ap2_payment(
        self, *, agent_id: str, idempotency_key: str, request: Mapping[str, Any]
    ) -> PaymentOutcome:
        """Decide one AP2 mandate payment (``ap2_payments``): same idempotency, commit, log."""

        def pay(scope: str, now: datetime) -> CommittedPayment:
            checked = ap2_payments.admit(
                self._db,
                agent_id,
                request,
                now,
                directory=self._directory,
                psp_id=self.psp_id,
                check_status=self._check_status,
                key=self._key,
            )
            return self._commit.commit_owing(checked, scope, idempotency_key, now)

        outcome = self._pay_idempotently(agent_id, idempotency_key, request, pay)
        return ap2_payments.with_receipt(outcome, request, key=self._key, psp_id=self.psp_id)

    def _pay_idempotently(
        self,
        agent_id: str,
        idempotency_key: str,
        request: Mapping[str, Any],
        commit: Callable[[str, datetime], CommittedPayment],
    ) -> PaymentOutcome:
        """One payment under ``agent_id``'s idempotency scope, then the first try of what it owes
        (or, for a replayed success, of what its trade still owes)."""
        owed: list[str] = []

        def pay(scope: str, now: datetime) -> PaymentOutcome:
            committed = commit(scope, now)
            owed.extend(committed.owed)
            return committed.outcome

        outcome = run_idempotently(
            self._db,
            self._clock,
            f"payments:{agent_id}",
            idempotency_key,
            request=request,
            operation=pay,
        )
        if owed:
            self._deliver_now(owed)
        elif outcome.ok and outcome.replayed:  # a retry: whatever this trade still owes
            self._deliver_now(
                outbox.pending_ids(self._db, subject=str(outcome.body.get("trade_no")))
            )
        return outcome

    def _deliver_now(self, message_ids: Sequence[str]) -> None:
        """The first try of what a payment owes; never fails the payment (the relay retries)."""
        try:
            self.relay.deliver(message_ids)
        except Exception:  # the payment stands and its messages stay owed
            _logger.exception("first delivery of %s failed; the relay will retry", message_ids)

    def _pay(
        self, agent_id: str, request: Mapping[str, Any], scope: str, key: str, now: datetime
    ) -> CommittedPayment:
        if aup.is_autonomous(request):  # L3: the AUP checks, then the same commit
            return aup.pay_autonomously(
                self._commit,
                self._db,
                agent_id=agent_id,
                raw=request,
                scope=scope,
                key=key,
                now=now,
                directory=self._directory,
                psp_id=self.psp_id,
                check_status=self._check_status,
            )
        checked = check_payment(
            self._db,
            agent_id,
            request,
            now,
            directory=self._directory,
            psp_id=self.psp_id,
            check_status=self._check_status,
        )
        return self._commit.commit_owing(checked, scope, key, now)

    def submit_basket(
        self, *, agent_id: str, idempotency_key: str, request: Mapping[str, Any]
    ) -> PaymentOutcome:
        """Pay every cart of a basket the person approved once, or none (``basket_payment``)."""

        def pay(scope: str, now: datetime) -> PaymentOutcome:
            checked = check_basket(
                self._db,
                agent_id,
                request,
                now,
                directory=self._directory,
                psp_id=self.psp_id,
                check_status=self._check_status,
            )
            committed = BasketCommit(self._db, self._commit).commit(checked, scope, key, now)
            self._deliver_now(committed.owed)
            return committed.outcome

        key = idempotency_key
        return run_idempotently(
            self._db, self._clock, f"baskets:{agent_id}", key, request=request, operation=pay
        )

    # -- refunds ---------------------------------------------------------------------------

    def submit_refund(
        self, *, merchant_id: str, idempotency_key: str, request: Mapping[str, Any]
    ) -> PaymentOutcome:
        """Refund (part of) a payment, asked by the merchant who was paid."""
        return run_idempotently(
            self._db,
            self._clock,
            f"refunds:{merchant_id}",
            idempotency_key,
            request=request,
            operation=lambda scope, now: self._refund(
                merchant_id, request, scope, idempotency_key, now
            ),
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
            return payment_by_trade_no(session, trade_no, requester_id=requester_id)

    def find_payment(
        self, merchant_id: str, out_trade_no: str, *, requester_id: str
    ) -> dict[str, Any]:
        """The payment of a merchant's order, for its agent or its merchant only."""
        with self._db.transaction() as session:
            return payment_by_order(session, merchant_id, out_trade_no, requester_id=requester_id)

    def deliver_pending_notices(self, *, trade_no: str | None = None, limit: int = 100) -> int:
        """Try every undelivered notice (or one payment's) now, whatever its retry schedule;
        return how many were delivered."""
        ids = outbox.pending_ids(self._db, subject=trade_no, kind=MessageKind.NOTICE, limit=limit)
        return len(self.relay.deliver(ids).delivered)
