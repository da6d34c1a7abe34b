"""The double-entry ledger's pure core: accounts, postings and journal entries.

Strategy: money never appears or disappears. Every movement is a ``JournalEntry`` of two or more
``Posting``s whose debits equal their credits *per currency*; an entry that does not balance
raises ``UnbalancedEntry`` when it is built, so an unbalanced entry cannot exist, let alone be
stored. Amounts are signed minor units in storage (debit positive, credit negative), so the
whole ledger balances exactly when every currency's postings sum to zero.

Accounts are named ``<kind>:<owner>``. The PSP's books:

* ``funding:<source>``  asset (debit-normal): money that came in from outside (a bank top-up);
* ``wallet:<account_id>``  liability (credit-normal): what the PSP owes a user;
* ``merchant:<merchant_id>``  liability (credit-normal): what the PSP owes a merchant for sales
  (the merchant's receivable).

A payment debits the user's wallet and credits the merchant; a refund is the reversing entry.

>>> entry = payment_entry("je_1", wallet="acc_1", merchant="m_1", amount=Money(1800, "CNY"),
...                       reference="trd_1")
>>> [(p.account, p.side.value, p.amount.minor) for p in entry.postings]
[('wallet:acc_1', 'debit', 1800), ('merchant:m_1', 'credit', 1800)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.payments.errors import UnbalancedEntry


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class AccountKind(StrEnum):
    FUNDING = "funding"
    WALLET = "wallet"
    MERCHANT = "merchant"


class EntryKind(StrEnum):
    FUNDING = "funding"
    PAYMENT = "payment"
    REFUND = "refund"


# Which side increases the account's balance as its owner sees it.
NORMAL_SIDE: dict[AccountKind, Side] = {
    AccountKind.FUNDING: Side.DEBIT,
    AccountKind.WALLET: Side.CREDIT,
    AccountKind.MERCHANT: Side.CREDIT,
}

_OWNER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}\Z")


def account_code(kind: AccountKind, owner: str) -> str:
    """``wallet:acc_1``; the owner must be a plain identifier (no spaces, no control chars)."""
    if not isinstance(owner, str) or not _OWNER_RE.match(owner):
        raise ValidationError(f"invalid ledger account owner {owner!r}")
    return f"{kind.value}:{owner}"


def account_kind(code: str) -> AccountKind:
    kind, sep, owner = code.partition(":") if isinstance(code, str) else ("", "", "")
    if not sep or not _OWNER_RE.match(owner):
        raise ValidationError(f"invalid ledger account {code!r}")
    try:
        return AccountKind(kind)
    except ValueError as e:
        raise ValidationError(f"unknown ledger account kind in {code!r}") from e


def wallet_account(account_id: str) -> str:
    return account_code(AccountKind.WALLET, account_id)


def merchant_account(merchant_id: str) -> str:
    return account_code(AccountKind.MERCHANT, merchant_id)


def funding_account(source: str = "external") -> str:
    return account_code(AccountKind.FUNDING, source)


@dataclass(frozen=True)
class Posting:
    """One line of an entry: ``amount`` (strictly positive) on ``side`` of ``account``."""

    account: str
    side: Side
    amount: Money

    def __post_init__(self) -> None:
        account_kind(self.account)
        if not isinstance(self.side, Side):
            raise ValidationError("posting side must be a Side")
        if not isinstance(self.amount, Money) or self.amount.minor <= 0:
            raise ValidationError("a posting amount must be a positive Money")

    @property
    def signed_minor(self) -> int:
        """Debit positive, credit negative: the form stored and summed."""
        return self.amount.minor if self.side is Side.DEBIT else -self.amount.minor


@dataclass(frozen=True)
class JournalEntry:
    """A balanced set of postings. Building an unbalanced one raises ``UnbalancedEntry``."""

    entry_id: str
    kind: EntryKind
    reference: str
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if not self.entry_id or not isinstance(self.entry_id, str):
            raise ValidationError("entry_id is required")
        if not isinstance(self.kind, EntryKind):
            raise ValidationError("entry kind must be an EntryKind")
        if not isinstance(self.postings, tuple) or len(self.postings) < 2:
            raise UnbalancedEntry("an entry needs at least two postings")
        if not all(isinstance(p, Posting) for p in self.postings):
            raise ValidationError("postings must be Posting objects")
        unbalanced = {c: s for c, s in net_by_currency(self.postings).items() if s != 0}
        if unbalanced:
            raise UnbalancedEntry(f"entry {self.entry_id} does not balance: {unbalanced}")


def net_by_currency(postings: Iterable[Posting]) -> dict[str, int]:
    """Signed sum of postings per currency (zero for every currency when balanced)."""
    totals: dict[str, int] = {}
    for posting in postings:
        currency = posting.amount.currency
        totals[currency] = totals.get(currency, 0) + posting.signed_minor
    return totals


def owner_balance(kind: AccountKind, signed_sum: int) -> int:
    """Turn a stored signed sum into the balance its owner sees (positive = in their favour)."""
    return signed_sum if NORMAL_SIDE[kind] is Side.DEBIT else -signed_sum


def _transfer(
    entry_id: str, kind: EntryKind, *, debit: str, credit: str, amount: Money, reference: str
) -> JournalEntry:
    return JournalEntry(
        entry_id=entry_id,
        kind=kind,
        reference=reference,
        postings=(Posting(debit, Side.DEBIT, amount), Posting(credit, Side.CREDIT, amount)),
    )


def funding_entry(
    entry_id: str, *, wallet: str, amount: Money, reference: str, source: str = "external"
) -> JournalEntry:
    """Money comes in from outside into a user's wallet (a top-up)."""
    return _transfer(
        entry_id,
        EntryKind.FUNDING,
        debit=funding_account(source),
        credit=wallet_account(wallet),
        amount=amount,
        reference=reference,
    )


def payment_entry(
    entry_id: str, *, wallet: str, merchant: str, amount: Money, reference: str
) -> JournalEntry:
    """A payment: the user's wallet goes down, the merchant's receivable goes up."""
    return _transfer(
        entry_id,
        EntryKind.PAYMENT,
        debit=wallet_account(wallet),
        credit=merchant_account(merchant),
        amount=amount,
        reference=reference,
    )


def refund_entry(
    entry_id: str, *, wallet: str, merchant: str, amount: Money, reference: str
) -> JournalEntry:
    """The reversing entry of (part of) a payment."""
    return _transfer(
        entry_id,
        EntryKind.REFUND,
        debit=merchant_account(merchant),
        credit=wallet_account(wallet),
        amount=amount,
        reference=reference,
    )


def apply_entry(
    balances: Mapping[tuple[str, str], int], entry: JournalEntry
) -> dict[tuple[str, str], int]:
    """Pure model of posting: ``{(account, currency): signed sum}`` after ``entry``."""
    out = dict(balances)
    for posting in entry.postings:
        key = (posting.account, posting.amount.currency)
        out[key] = out.get(key, 0) + posting.signed_minor
    return out
