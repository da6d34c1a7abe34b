"""Phase 2 of a payment: the one transaction that commits it with everything it owes.

Given a ``CheckedPayment`` (phase 1, ``payment_admission``), one transaction locks the wallet,
the delegation's budget row and the token (still usable: a revocation since phase 1 wins), in
that order everywhere, so payments never deadlock each other; re-checks the order was not paid;
re-evaluates every constraint against the locked spend; checks funds; posts the balanced ledger
entry; records the payment and the new spend; signs the receipt; stages in the outbox
(``trustcart.delivery``) the ``act:payment:transaction-completed`` record, built and signed by
the PSP's key here so its record id is fixed before commit, and the merchant notice; stores the
idempotent answer; and commits. Any refusal raises inside it and rolls everything back, so a
refusal never writes to the ledger nor owes a message; a concurrent payment of the same order
that won the race shows as ``already-paid``.

A committed payment therefore always owes its record and its notice, whatever happens next:
``PaymentCommit.commit_owing`` returns the ids it staged and the provider tries them at once;
if that fails or the process dies, the relay delivers them later (docs/reliability.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.payment import PaymentStatus
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delivery.relay import FIRST_TRY_GRACE
from trustcart.delivery.staging import stage_notice, stage_record
from trustcart.payments import budget, idempotency, ledger, ledger_store, period_budget, tokens
from trustcart.payments.accounts import get_account
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.outcomes import PaymentOutcome
from trustcart.payments.payment_admission import CheckedPayment
from trustcart.payments.payment_view import payment_body
from trustcart.payments.receipts import ReceiptFacts, sign_receipt
from trustcart.store.db import Database
from trustcart.store.payments import PaymentRow
from trustcart.trust.events import Chain, EventType, Participant

_P = PaymentProblem


@dataclass(frozen=True)
class CommittedPayment:
    """The answer of a committed payment and the outbox messages it owes."""

    outcome: PaymentOutcome
    owed: tuple[str, ...]


class PaymentCommit:
    """Commits checked payments for one PSP: its store, signing key and ids.

    ``record_events``: stage ``transaction-completed`` for the log (off in tests of the PSP
    alone, which run without a log). ``screen``: the risk rules (``payments.risk.gate``), run
    before the transaction opens; it raises ``PaymentRefused`` to stop the payment.
    """

    def __init__(
        self,
        db: Database,
        *,
        psp_id: str,
        signing_key: SigningKey,
        random_bytes: RandomBytes = secrets.token_bytes,
        record_events: bool = False,
        screen: Callable[[CheckedPayment, datetime], None] | None = None,
    ) -> None:
        self._db = db
        self._screen = screen
        self._psp_id = psp_id
        self._key = signing_key
        self._random = random_bytes
        self._record_events = record_events

    def commit(
        self, checked: CheckedPayment, scope: str, key: str, now: datetime
    ) -> PaymentOutcome:
        """Commit ``checked`` (``commit_owing``) and return its answer only."""
        return self.commit_owing(checked, scope, key, now).outcome

    def commit_owing(
        self, checked: CheckedPayment, scope: str, key: str, now: datetime
    ) -> CommittedPayment:
        """Commit ``checked`` in one transaction (see module doc) with the messages it owes."""
        iac, account = checked.iac, checked.account
        if self._screen is not None:  # the risk rules: before anything locks or writes
            self._screen(checked, now)
        try:
            with self._db.transaction() as session:
                # Lock order everywhere: wallet, budget, token. No deadlocks between payments.
                get_account(session, account.account_id, lock=True)
                spent = budget.lock_budget(session, iac.delegation_id, iac.currency, now)
                # The token was checked in phase 1; a revocation since then must still win.
                tokens.lock_usable_token(session, checked.token.token_id, now)
                body, owed, _ = self.place(session, checked, spent, now)
                outcome = PaymentOutcome(200, body)
                idempotency.complete(
                    session, scope, key, idempotency.StoredResponse(outcome.status, outcome.body)
                )
        except IntegrityError as e:  # a concurrent payment of the same order won the race
            raise PaymentRefused(_P.ALREADY_PAID, "this order was already paid") from e
        return CommittedPayment(outcome, owed)

    def place(
        self, session: Session, checked: CheckedPayment, spent: SpendSoFar, now: datetime
    ) -> tuple[dict[str, Any], tuple[str, ...], SpendSoFar]:
        """Inside a transaction that already holds the wallet, budget and token locks: refuse
        or place one payment against ``spent``; its answer, the messages it owes and the spend
        after it. A basket (``basket_payment``) places each of its carts in one transaction."""
        cart, iac, account = checked.cart, checked.iac, checked.account
        paid = session.execute(
            select(PaymentRow.trade_no).where(
                PaymentRow.merchant_id == cart.merchant_id,
                PaymentRow.out_trade_no == cart.out_trade_no,
            )
        ).first()
        if paid is not None:
            raise PaymentRefused(_P.ALREADY_PAID, "this order was already paid", trade_no=paid[0])
        checked.check_limits(spent, now)
        # A standing order's per-period cap, under the budget row lock the caller took.
        period_budget.check_period_cap(session, iac, cart.total, now)
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
        after = budget.record_success(session, iac.delegation_id, cart.total, cart.quantity, now)
        period_budget.record_period_success(session, iac, cart.total, now)
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
            **payment_body(session.get(PaymentRow, trade_no)),
            "credential_status": checked.status_token,
        }
        owed = self._stage_owed(session, checked, trade_no, body, now)
        return body, owed, after

    def _stage_owed(
        self,
        session: Session,
        checked: CheckedPayment,
        trade_no: str,
        body: Mapping[str, Any],
        now: datetime,
    ) -> tuple[str, ...]:
        """Stage transaction-completed (if events are on) and the notice, in this transaction."""
        cart = checked.cart
        first_try = now + FIRST_TRY_GRACE  # the provider tries them itself right after commit
        owed = []
        if self._record_events:
            owed.append(
                stage_record(
                    session,
                    sender=self._psp_id,
                    event_type=EventType.TRANSACTION_COMPLETED,
                    chain=Chain(
                        intent_id=checked.iac.intent_id,
                        delegation_id=checked.iac.delegation_id,
                        out_trade_no=cart.out_trade_no,
                        trade_no=trade_no,
                    ),
                    participants=[Participant("psp", self._psp_id, self._key.kid)],
                    body={
                        "mode": checked.mode.value,
                        "amount": cart.total.to_json(),
                        "merchant_id": cart.merchant_id,
                    },
                    key=self._key,
                    now=now,
                    random_bytes=self._random,
                    subject=trade_no,
                    first_try=first_try,
                )
            )
        owed.append(
            stage_notice(
                session,
                sender=self._psp_id,
                notice_id=new_id("ntc", self._random),
                merchant_id=cart.merchant_id,
                notice=_notice(body),
                now=now,
                subject=trade_no,
                first_try=first_try,
            )
        )
        return tuple(owed)


def _notice(body: Mapping[str, Any]) -> dict[str, Any]:
    fields = ("trade_no", "out_trade_no", "merchant_id", "amount", "paid_at", "receipt")
    return {"type": "payment.succeeded", **{name: body[name] for name in fields}}
