"""The seller's store of pay-per-call transactions: requirements, states, replay keys.

Every requirement a seller issues is a row (``trustcart.store.paid_calls``), written in state
``WAIT_BUYER_PAY`` (``CREATE`` then ``PAYMENT_NEEDED_ISSUED``, in one insert). Each later event
goes through ``a402.states.next_state`` and is written with a compare-and-set on the current
state, so an illegal or concurrent transition raises ``IllegalTransactionTransition`` and
changes nothing. ``PAYMENT_VALIDATED`` also writes the PSP's ``trade_no`` and the proof's
replay key, both unique: a second delivery for one payment fails on the insert itself
(``ProofRefused(REPLAYED)``), whatever the interleaving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from trustcart.payments.a402.codes import ProofRejection
from trustcart.payments.a402.errors import IllegalTransactionTransition, ProofRefused
from trustcart.payments.a402.states import TransactionEvent, TransactionState, next_state
from trustcart.store.db import Database
from trustcart.store.paid_calls import PaidCallRow

_S, _E = TransactionState, TransactionEvent


@dataclass(frozen=True)
class PaidCall:
    """One stored requirement and where its transaction stands."""

    out_trade_no: str
    protocol: str
    seller_id: str
    resource_id: str
    requirement: str
    state: TransactionState
    trade_no: str | None
    replay_key: str | None


def _call(row: PaidCallRow) -> PaidCall:
    return PaidCall(
        row.out_trade_no,
        row.protocol,
        row.seller_id,
        row.resource_id,
        row.requirement,
        TransactionState(row.state),
        row.trade_no,
        row.replay_key,
    )


class ReplayKeys:
    """``key in replay_keys``: has a delivery been recorded under this replay key?"""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        with self._db.transaction() as session:
            found = session.execute(
                select(PaidCallRow.out_trade_no).where(PaidCallRow.replay_key == key)
            ).first()
            return found is not None


class PaidCalls:
    """The seller's transactions, one per requirement; every change follows the state table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.replay_keys = ReplayKeys(db)

    def open(
        self,
        *,
        out_trade_no: str,
        protocol: str,
        seller_id: str,
        resource_id: str,
        requirement: str,
        now: datetime,
    ) -> PaidCall:
        """Record an issued requirement: ``CREATE`` → ``WAIT_BUYER_PAY``."""
        state = next_state(_S.CREATE, _E.PAYMENT_NEEDED_ISSUED)
        row = PaidCallRow(
            out_trade_no=out_trade_no,
            protocol=protocol,
            seller_id=seller_id,
            resource_id=resource_id,
            requirement=requirement,
            state=state.value,
            trade_no=None,
            replay_key=None,
            created_at=now,
            updated_at=now,
        )
        with self._db.transaction() as session:
            session.add(row)
        return _call(row)

    def get(self, out_trade_no: str) -> PaidCall | None:
        with self._db.transaction() as session:
            row = session.get(PaidCallRow, out_trade_no)
            return None if row is None else _call(row)

    def advance(
        self,
        out_trade_no: str,
        event: TransactionEvent,
        now: datetime,
        *,
        trade_no: str | None = None,
        replay_key: str | None = None,
    ) -> TransactionState:
        """Apply ``event``; raise ``IllegalTransactionTransition`` and change nothing if the
        table (or a concurrent writer) does not allow it. ``PAYMENT_VALIDATED`` needs the
        ``trade_no`` and ``replay_key`` and raises ``ProofRefused(REPLAYED)`` if either was
        already recorded by another transaction."""
        call = self.get(out_trade_no)
        if call is None:
            raise IllegalTransactionTransition(f"no transaction {out_trade_no}")
        target = next_state(call.state, event)
        values: dict[str, object] = {"state": target.value, "updated_at": now}
        if event is _E.PAYMENT_VALIDATED:
            if trade_no is None or replay_key is None:
                raise IllegalTransactionTransition("a validated payment names its trade_no")
            values.update(trade_no=trade_no, replay_key=replay_key)
        try:
            with self._db.transaction() as session:
                result = session.execute(
                    update(PaidCallRow)
                    .where(
                        PaidCallRow.out_trade_no == out_trade_no,
                        PaidCallRow.state == call.state.value,
                    )
                    .values(**values)
                )
                changed = int(getattr(result, "rowcount", 0) or 0)
        except IntegrityError as e:
            raise ProofRefused(ProofRejection.REPLAYED, "this payment was already used") from e
        if changed != 1:
            raise IllegalTransactionTransition(f"{out_trade_no} changed state meanwhile")
        return target
