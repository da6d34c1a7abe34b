"""Phase 2 of a payment: the one transaction that commits it, then its attestation event.

Given a ``CheckedPayment`` (phase 1, ``payment_admission``), one transaction locks the wallet,
the delegation's budget row and the token (still usable: a revocation since phase 1 wins), in
that order everywhere, so payments never deadlock each other; re-checks the order was not paid;
re-evaluates every constraint against the locked spend; checks funds; posts the balanced ledger
entry; records the payment and the new spend; signs the receipt; writes the merchant notice to
the outbox; stores the idempotent answer; and commits. Any refusal raises inside it and rolls
everything back, so a refusal never writes to the ledger; a concurrent payment of the same
order that won the race shows as ``already-paid``.

After the commit, and only for a real payment, ``act:payment:transaction-completed`` is
recorded, signed by the PSP; if that fails the payment stands (a missing event shows up when
its evidence is verified). The notice itself is delivered by ``notices`` from the outbox.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trustcart.core.errors import TrustcartError
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.payment import PaymentStatus
from trustcart.crypto.keys import SigningKey
from trustcart.payments import budget, idempotency, ledger, ledger_store, tokens
from trustcart.payments.accounts import get_account
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.outcomes import PaymentOutcome
from trustcart.payments.payment_admission import CheckedPayment
from trustcart.payments.payment_view import payment_body
from trustcart.payments.receipts import ReceiptFacts, sign_receipt
from trustcart.store.db import Database
from trustcart.store.payments import NoticeOutboxRow, PaymentRow
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.recorder import EventRecorder

log = logging.getLogger(__name__)

_P = PaymentProblem


class PaymentCommit:
    """Commits checked payments for one PSP: its store, signing key, ids and event recorder."""

    def __init__(
        self,
        db: Database,
        *,
        psp_id: str,
        signing_key: SigningKey,
        random_bytes: RandomBytes = secrets.token_bytes,
        events: EventRecorder | None = None,
    ) -> None:
        self._db = db
        self._psp_id = psp_id
        self._key = signing_key
        self._random = random_bytes
        self._events = events

    def commit(
        self, checked: CheckedPayment, scope: str, key: str, now: datetime
    ) -> PaymentOutcome:
        """Commit ``checked`` in one transaction (see module doc) and store its answer."""
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
                checked.check_limits(spent, now)
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
                    **payment_body(session.get(PaymentRow, trade_no)),
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

    def _record_completed(self, checked: CheckedPayment, trade_no: str) -> None:
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
                [Participant("psp", self._psp_id, self._key.kid)],
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


def _notice(body: Mapping[str, Any]) -> dict[str, Any]:
    fields = ("trade_no", "out_trade_no", "merchant_id", "amount", "paid_at", "receipt")
    return {"type": "payment.succeeded", **{name: body[name] for name in fields}}
