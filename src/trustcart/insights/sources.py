"""Read the ROI's facts from the store: the PSP's ledger and the transparency log's records.

Payments and refunds are the ledger's journal entries (``ledger_entries`` + their postings on
``merchant:<id>``), joined to the PSP's payment row only for the agent that paid and the order
number. Log facts are the attestation index (``trust_attestations``) with each record's own
payload read from its signed JWS (the participants and the event body); nothing else is
consulted, so the figures are exactly what the two records say.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from trustcart.core.clock import Clock, parse_instant
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.insights.roi import LedgerPayment, LedgerRefund, LogFact, RoiReport, roi_report
from trustcart.payments.ledger import AccountKind, EntryKind, account_kind
from trustcart.store.db import Database
from trustcart.store.payments import LedgerEntryRow, LedgerPostingRow, PaymentRow
from trustcart.store.trust import AttestationRow

DEFAULT_DAYS = 14
MAX_DAYS = 366


def _merchant_of(account: str) -> str:
    return account.partition(":")[2]


def ledger_facts(db: Database, since: datetime) -> tuple[list[LedgerPayment], list[LedgerRefund]]:
    """Payment and refund entries since ``since``, by their merchant posting."""
    payments: list[LedgerPayment] = []
    refunds: list[LedgerRefund] = []
    with db.transaction() as session:
        rows = session.execute(
            select(LedgerEntryRow, LedgerPostingRow)
            .join(LedgerPostingRow, LedgerPostingRow.entry_id == LedgerEntryRow.entry_id)
            .where(
                LedgerEntryRow.kind.in_([EntryKind.PAYMENT.value, EntryKind.REFUND.value]),
                LedgerEntryRow.created_at >= since,
            )
            .order_by(LedgerEntryRow.created_at, LedgerEntryRow.entry_id)
        ).all()
        trades = {r.reference for r, _ in rows}
        paid_by = {
            row.trade_no: (row.agent_id, row.out_trade_no)
            for row in session.scalars(select(PaymentRow).where(PaymentRow.trade_no.in_(trades)))
        }
    for entry, posting in rows:
        if account_kind(posting.account) is not AccountKind.MERCHANT:
            continue
        day = entry.created_at.date()
        merchant = _merchant_of(posting.account)
        if entry.kind == EntryKind.PAYMENT.value:
            agent_id, out_trade_no = paid_by.get(entry.reference, ("", ""))
            amount = Money(-posting.signed_minor, posting.currency)  # a credit
            payments.append(
                LedgerPayment(entry.reference, out_trade_no, merchant, agent_id, amount, day)
            )
        else:
            amount = Money(posting.signed_minor, posting.currency)  # a debit
            refunds.append(LedgerRefund(entry.reference, merchant, amount, day))
    return payments, refunds


def log_facts(db: Database, since: datetime) -> Iterator[LogFact]:
    """Every attestation record since ``since`` (by event time), with its body."""
    with db.transaction() as session:
        rows = session.execute(
            select(
                AttestationRow.event_type,
                AttestationRow.intent_id,
                AttestationRow.out_trade_no,
                AttestationRow.event_time,
                AttestationRow.record_jws,
            ).order_by(AttestationRow.log_id, AttestationRow.leaf_index)
        ).all()
    for event_type, intent_id, out_trade_no, event_time, record_jws in rows:
        when = parse_instant(event_time)
        if when < since:
            continue
        payload = peek_payload(record_jws)
        merchants = [
            p.get("id") for p in payload.get("participants", []) if p.get("role") == "merchant"
        ]
        body = payload.get("event_body")
        yield LogFact(
            event_type,
            intent_id,
            out_trade_no,
            merchants[0] if merchants else None,
            when.date(),
            body if isinstance(body, dict) else {},
        )


def report_days(clock: Clock, days: int) -> list[date]:
    """The last ``days`` days (UTC), today included, oldest first."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1..{MAX_DAYS}")
    today = clock.now().date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def load_roi(
    db: Database,
    clock: Clock,
    *,
    days: int = DEFAULT_DAYS,
    currency: str = "CNY",
    merchant_id: str | None = None,
) -> RoiReport:
    """The ROI report of the last ``days`` days, read from the ledger and the log."""
    span = report_days(clock, days)
    since = datetime.combine(span[0], datetime.min.time(), tzinfo=UTC)
    payments, refunds = ledger_facts(db, since)
    return roi_report(
        payments,
        refunds,
        log_facts(db, since),
        days=span,
        currency=currency,
        merchant_id=merchant_id,
    )
