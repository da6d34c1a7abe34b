"""Storing the ledger: post a balanced entry inside the caller's transaction, read balances.

``post_entry`` takes the caller's ``Session`` and never commits: the payment, its budget update
and its ledger entry commit together or not at all. The entry was already proven balanced when
it was built (``ledger.JournalEntry``); ``check_balanced`` re-proves it for the stored rows, so
a bug or a hand edit shows up as a ``LedgerError``.

>>> # with db.transaction() as session:
>>> #     post_entry(session, entry, at=now)
>>> #     account_balance(session, wallet_account("acc_1"), "CNY")
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcart.core.money import Money
from trustcart.payments.errors import LedgerError
from trustcart.payments.ledger import JournalEntry, account_kind, owner_balance
from trustcart.store.payments import LedgerEntryRow, LedgerPostingRow


def post_entry(session: Session, entry: JournalEntry, *, at: datetime) -> None:
    """Add the entry and its postings to the caller's transaction (no commit here)."""
    session.add(
        LedgerEntryRow(
            entry_id=entry.entry_id, kind=entry.kind.value, reference=entry.reference, created_at=at
        )
    )
    # Flush the entry first: PostgreSQL checks the postings' foreign key immediately.
    session.flush()
    session.add_all(
        LedgerPostingRow(
            entry_id=entry.entry_id,
            account=p.account,
            signed_minor=p.signed_minor,
            currency=p.amount.currency,
        )
        for p in entry.postings
    )
    session.flush()


def account_balance(session: Session, account: str, currency: str) -> Money:
    """The balance as the account's owner sees it (a wallet's spendable money is positive)."""
    signed = session.execute(
        select(func.coalesce(func.sum(LedgerPostingRow.signed_minor), 0)).where(
            LedgerPostingRow.account == account, LedgerPostingRow.currency == currency
        )
    ).scalar_one()
    return Money(owner_balance(account_kind(account), int(signed)), currency)


def net_by_currency(session: Session) -> dict[str, int]:
    """Signed sum of every stored posting per currency; all zeros when the ledger balances."""
    rows = session.execute(
        select(LedgerPostingRow.currency, func.sum(LedgerPostingRow.signed_minor)).group_by(
            LedgerPostingRow.currency
        )
    ).all()
    return {str(currency): int(total) for currency, total in rows}


def unbalanced_entries(session: Session) -> list[str]:
    """Ids of stored entries whose own postings do not sum to zero per currency."""
    rows = session.execute(
        select(LedgerPostingRow.entry_id)
        .group_by(LedgerPostingRow.entry_id, LedgerPostingRow.currency)
        .having(func.sum(LedgerPostingRow.signed_minor) != 0)
    ).scalars()
    return sorted(set(rows))


def check_balanced(session: Session) -> None:
    """Raise ``LedgerError`` unless the whole ledger and every entry sum to zero per currency."""
    totals = {c: t for c, t in net_by_currency(session).items() if t != 0}
    bad = unbalanced_entries(session)
    if totals or bad:
        raise LedgerError(f"ledger out of balance: totals={totals}, entries={bad[:10]}")


def entry_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(LedgerEntryRow)).scalar_one())


def posting_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(LedgerPostingRow)).scalar_one())
