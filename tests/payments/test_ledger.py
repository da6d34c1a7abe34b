"""The double-entry ledger: unbalanced entries cannot be built; any valid history balances."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.payments import ledger, ledger_store
from trustcart.payments.errors import LedgerError, UnbalancedEntry
from trustcart.payments.ledger import (
    EntryKind,
    JournalEntry,
    Posting,
    Side,
    apply_entry,
    funding_entry,
    net_by_currency,
    payment_entry,
    refund_entry,
)
from trustcart.store.db import Database
from trustcart.store.payments import LedgerPostingRow

AT = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
CNY = "CNY"


def cny(minor: int) -> Money:
    return Money(minor, CNY)


# -- building entries --------------------------------------------------------------------------


def test_payment_entry_debits_wallet_and_credits_merchant() -> None:
    entry = payment_entry(
        "je_1", wallet="acc_1", merchant="m_1", amount=cny(1800), reference="trd_1"
    )
    assert [(p.account, p.side, p.amount) for p in entry.postings] == [
        ("wallet:acc_1", Side.DEBIT, cny(1800)),
        ("merchant:m_1", Side.CREDIT, cny(1800)),
    ]
    assert net_by_currency(entry.postings) == {CNY: 0}


def test_unbalanced_entry_cannot_be_built() -> None:
    with pytest.raises(UnbalancedEntry):
        JournalEntry(
            "je_1",
            EntryKind.PAYMENT,
            "trd_1",
            (
                Posting("wallet:acc_1", Side.DEBIT, cny(1800)),
                Posting("merchant:m_1", Side.CREDIT, cny(1799)),
            ),
        )


def test_entry_must_balance_per_currency_not_in_total() -> None:
    # 10 CNY debit against 10 USD credit sums to zero minor units but moves money between
    # currencies out of thin air.
    with pytest.raises(UnbalancedEntry):
        JournalEntry(
            "je_1",
            EntryKind.PAYMENT,
            "x",
            (
                Posting("wallet:acc_1", Side.DEBIT, cny(1000)),
                Posting("merchant:m_1", Side.CREDIT, Money(1000, "USD")),
            ),
        )


def test_single_posting_entry_is_refused() -> None:
    with pytest.raises(UnbalancedEntry):
        JournalEntry("je_1", EntryKind.PAYMENT, "x", (Posting("wallet:a", Side.DEBIT, cny(1)),))


@pytest.mark.parametrize("minor", [0, -5])
def test_posting_amounts_are_positive(minor: int) -> None:
    with pytest.raises(ValidationError):
        Posting("wallet:acc_1", Side.DEBIT, cny(minor))


@pytest.mark.parametrize("account", ["wallet:", "bank:acc_1", "acc_1", "wallet:a b"])
def test_posting_account_names_are_checked(account: str) -> None:
    with pytest.raises(ValidationError):
        Posting(account, Side.DEBIT, cny(1))


@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 10**6)), min_size=2, max_size=6))
def test_random_postings_balance_only_when_sums_match(pairs: list[tuple[int, int]]) -> None:
    debits = [Posting(f"wallet:a{i}", Side.DEBIT, cny(d)) for i, (d, _) in enumerate(pairs)]
    credits = [Posting(f"merchant:m{i}", Side.CREDIT, cny(c)) for i, (_, c) in enumerate(pairs)]
    postings = tuple(debits + credits)
    if sum(d for d, _ in pairs) == sum(c for _, c in pairs):
        JournalEntry("je_x", EntryKind.PAYMENT, "r", postings)
    else:
        with pytest.raises(UnbalancedEntry):
            JournalEntry("je_x", EntryKind.PAYMENT, "r", postings)


# -- histories: a pure model, then the real store ----------------------------------------------

WALLETS = ("acc_a", "acc_b")
MERCHANTS = ("m_1", "m_2")

operation = st.one_of(
    st.tuples(st.just("fund"), st.sampled_from(WALLETS), st.just(""), st.integers(1, 50_000)),
    st.tuples(
        st.just("pay"), st.sampled_from(WALLETS), st.sampled_from(MERCHANTS), st.integers(1, 50_000)
    ),
    st.tuples(st.just("refund"), st.integers(0, 20), st.just(""), st.integers(1, 50_000)),
)


def build_history(ops: list[tuple[str, object, str, int]]) -> list[JournalEntry]:
    """Turn random operations into valid entries, the way the provider would: payments only
    with funds, refunds never more than what is left of a payment."""
    balances: dict[tuple[str, str], int] = {}
    payments: list[list[object]] = []  # [wallet, merchant, remaining]
    entries: list[JournalEntry] = []
    for index, (kind, who, merchant, minor) in enumerate(ops):
        entry_id = f"je_{index}"
        if kind == "fund":
            entry = funding_entry(entry_id, wallet=str(who), amount=cny(minor), reference="top")
        elif kind == "pay":
            have = -balances.get((ledger.wallet_account(str(who)), CNY), 0)
            if minor > have:
                continue
            entry = payment_entry(
                entry_id,
                wallet=str(who),
                merchant=merchant,
                amount=cny(minor),
                reference=f"trd_{index}",
            )
            payments.append([who, merchant, minor])
        else:
            if not payments:
                continue
            target = payments[int(str(who)) % len(payments)]
            amount = min(minor, int(str(target[2])))
            if amount <= 0:
                continue
            target[2] = int(str(target[2])) - amount
            entry = refund_entry(
                entry_id,
                wallet=str(target[0]),
                merchant=str(target[1]),
                amount=cny(amount),
                reference="rfd",
            )
        balances = apply_entry(balances, entry)
        entries.append(entry)
    return entries


@given(st.lists(operation, max_size=40))
def test_any_valid_history_keeps_the_pure_ledger_balanced(
    ops: list[tuple[str, object, str, int]],
) -> None:
    balances: dict[tuple[str, str], int] = {}
    for entry in build_history(ops):
        balances = apply_entry(balances, entry)
        assert sum(balances.values()) == 0
    for (account, _currency), signed in balances.items():
        # No wallet and no merchant ever owes the PSP money: payments need funds, refunds
        # never exceed what was paid.
        assert ledger.owner_balance(ledger.account_kind(account), signed) >= 0


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(operation, min_size=1, max_size=15))
def test_any_valid_history_keeps_the_stored_ledger_balanced(
    db: Database,
    ops: list[tuple[str, object, str, int]],
) -> None:
    # The database outlives one Hypothesis example, so compare deltas, not absolute balances.
    entries = build_history(ops)
    expected: dict[tuple[str, str], int] = {}
    for entry in entries:
        expected = apply_entry(expected, entry)
    with db.transaction() as session:
        count = ledger_store.entry_count(session)
        before = {key: ledger_store.account_balance(session, *key).minor for key in expected}
    with db.transaction() as session:
        for entry in entries:
            ledger_store.post_entry(
                session,
                JournalEntry(
                    f"h{count}_{entry.entry_id}", entry.kind, entry.reference, entry.postings
                ),
                at=AT,
            )
    with db.transaction() as session:
        ledger_store.check_balanced(session)
        assert all(total == 0 for total in ledger_store.net_by_currency(session).values())
        assert ledger_store.entry_count(session) == count + len(entries)
        for (account, currency), signed in expected.items():
            delta = (
                ledger_store.account_balance(session, account, currency).minor
                - before[(account, currency)]
            )
            assert delta == ledger.owner_balance(ledger.account_kind(account), signed)


def test_stored_balances_follow_postings(db: Database) -> None:
    with db.transaction() as session:
        ledger_store.post_entry(
            session,
            funding_entry("je_1", wallet="acc_1", amount=cny(10_000), reference="top"),
            at=AT,
        )
        ledger_store.post_entry(
            session,
            payment_entry(
                "je_2", wallet="acc_1", merchant="m_1", amount=cny(1800), reference="trd"
            ),
            at=AT,
        )
        ledger_store.post_entry(
            session,
            refund_entry("je_3", wallet="acc_1", merchant="m_1", amount=cny(500), reference="trd"),
            at=AT,
        )
    with db.transaction() as session:
        assert ledger_store.account_balance(session, "wallet:acc_1", CNY) == cny(8700)
        assert ledger_store.account_balance(session, "merchant:m_1", CNY) == cny(1300)
        assert ledger_store.account_balance(session, "funding:external", CNY) == cny(10_000)
        ledger_store.check_balanced(session)
        assert ledger_store.posting_count(session) == 6


def test_invariant_check_catches_a_tampered_posting(db: Database) -> None:
    with db.transaction() as session:
        ledger_store.post_entry(
            session, funding_entry("je_1", wallet="acc_1", amount=cny(100), reference="top"), at=AT
        )
    with db.transaction() as session:
        row = session.query(LedgerPostingRow).filter_by(account="wallet:acc_1").one()
        row.signed_minor = -99  # someone edits the database by hand
    with db.transaction() as session, pytest.raises(LedgerError):
        ledger_store.check_balanced(session)
