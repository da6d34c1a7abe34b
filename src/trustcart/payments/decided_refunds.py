"""Refunds decided by a dispute (TSD-ATT-DSP): paid by the merchant, or by the PSP itself.

``refunds.apply_refund`` is the merchant asking; this is the dispute service deciding. The
invariants are the same, kept under the same row lock on the payment: never more than what
was paid minus what was already refunded, in the currency paid, back to the paying wallet.
Two differences:

* who pays: ``merchant`` reverses the sale (debit ``merchant:<id>``, credit the wallet);
  ``psp`` is the provider making good a payment it should have refused (outside the IAC, or
  after revocation): it debits ``funding:psp-disputes``, the provider's own money, so the
  merchant's receivable is untouched;
* idempotency: the refund id and ledger entry id derive from the decision id, and the decision
  id is the refund's reason, so a decision refunds at most once, however often it is applied
  (the second application finds the first refund under the lock and returns it).

>>> decided_refund_ids("dec_1")
('rfd_dec_1', 'je_dec_1')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.money import Money
from trustcart.core.payment import PaymentStatus
from trustcart.payments import ledger, ledger_store
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.store.payments import PaymentRow, RefundRow

PSP_DISPUTES_SOURCE = "psp-disputes"


class RefundPayer(StrEnum):
    MERCHANT = "merchant"
    PSP = "psp"


@dataclass(frozen=True)
class DecidedRefund:
    refund_id: str
    trade_no: str
    amount: Money
    payer: RefundPayer
    refunded_total: Money
    replayed: bool


def decided_refund_ids(decision_id: str) -> tuple[str, str]:
    """The refund id and ledger entry id a decision's refund is stored under."""
    return f"rfd_{decision_id}", f"je_{decision_id}"


def psp_refund_entry(
    entry_id: str, *, wallet: str, amount: Money, reference: str
) -> ledger.JournalEntry:
    """The provider pays the wallet back from its own funds (a dispute it lost)."""
    return ledger.JournalEntry(
        entry_id=entry_id,
        kind=ledger.EntryKind.REFUND,
        reference=reference,
        postings=(
            ledger.Posting(ledger.funding_account(PSP_DISPUTES_SOURCE), ledger.Side.DEBIT, amount),
            ledger.Posting(ledger.wallet_account(wallet), ledger.Side.CREDIT, amount),
        ),
    )


def apply_decided_refund(
    session: Session,
    *,
    trade_no: str,
    amount: Money,
    payer: RefundPayer,
    decision_id: str,
    now: datetime,
) -> DecidedRefund:
    """Post the decision's refund inside the caller's transaction (or find it posted)."""
    if amount.minor <= 0:
        raise PaymentRefused(PaymentProblem.REQUEST_INVALID, "a refund amount must be positive")
    refund_id, entry_id = decided_refund_ids(decision_id)
    row = session.execute(
        select(PaymentRow)
        .where(PaymentRow.trade_no == trade_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise PaymentRefused(PaymentProblem.UNKNOWN_PAYMENT, "no such payment")
    done = session.get(RefundRow, refund_id)
    if done is not None:
        return DecidedRefund(
            refund_id,
            trade_no,
            Money(done.amount_minor, done.currency),
            payer,
            Money(row.refunded_minor, row.currency),
            replayed=True,
        )
    if amount.currency != row.currency:
        raise PaymentRefused(PaymentProblem.CURRENCY_MISMATCH, "refund in another currency")
    if row.refunded_minor + amount.minor > row.amount_minor:
        raise PaymentRefused(
            PaymentProblem.REFUND_EXCEEDS_PAYMENT, "refunds may not exceed the payment"
        )
    if payer is RefundPayer.MERCHANT:
        entry = ledger.refund_entry(
            entry_id,
            wallet=row.account_id,
            merchant=row.merchant_id,
            amount=amount,
            reference=trade_no,
        )
    else:
        entry = psp_refund_entry(entry_id, wallet=row.account_id, amount=amount, reference=trade_no)
    ledger_store.post_entry(session, entry, at=now)
    row.refunded_minor += amount.minor
    if row.refunded_minor == row.amount_minor:
        row.status = PaymentStatus.REFUNDED.value
    session.add(
        RefundRow(
            refund_id=refund_id,
            trade_no=trade_no,
            amount_minor=amount.minor,
            currency=row.currency,
            reason=decision_id,
            entry_id=entry_id,
            created_at=now,
        )
    )
    session.flush()
    return DecidedRefund(
        refund_id,
        trade_no,
        amount,
        payer,
        Money(row.refunded_minor, row.currency),
        replayed=False,
    )
