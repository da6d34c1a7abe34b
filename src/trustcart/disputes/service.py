"""The dispute service (shell): open, gather, decide, refund and log, one transaction each.

``open`` checks who asks (the person whose wallet paid, or the paid merchant; nobody else) and
records the claim in state ``opened``. ``resolve`` gathers the evidence bundle from the
``EvidenceSource`` (outside any lock: packaging signs a tree head), then in ONE transaction
locks the dispute row, reads the evidence against the installation's trust anchors
(``evidence.read_evidence``), applies the rules (``rules.decide``) with the facts the stores
hold (what is still refundable, the delivery promise), posts the refund
(``payments.decided_refunds``), stages a PSP-signed ``act:commerce:decision-logged`` record in
the outbox and moves the dispute along its table: money and records are never half-written.
A dispute that is no longer ``opened`` is returned unchanged, and the refund is keyed by the
decision id, so deciding twice (or concurrently) refunds once. ``appeal`` moves a decided
dispute to human review.

The delivery promise is the cart's confirmation time plus the slowest ordered product's
``delivery_minutes`` (what the merchant published when the cart was priced).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustcart.core.clock import Clock, parse_instant
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.delivery.staging import stage_record
from trustcart.disputes.errors import (
    DisputeConflict,
    DisputeForbidden,
    DisputeNotFound,
    DisputeProblem,
)
from trustcart.disputes.evidence import read_evidence
from trustcart.disputes.lifecycle import DisputeEvent, DisputeState, next_state
from trustcart.disputes.records import Opener, OpenerRole, check_reason, view
from trustcart.disputes.rules import Disposition, Outcome, decide
from trustcart.payments.decided_refunds import RefundPayer, apply_decided_refund
from trustcart.store.commerce import OrderItemRow, OrderRow, ProductRow
from trustcart.store.db import Database
from trustcart.store.disputes import DisputeRow
from trustcart.store.payments import PaymentRow, PspAccount
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.events import Chain, EventType, Participant


class EvidenceSource(Protocol):
    """Where the parties' evidence comes from: the bundle of the order ``payer`` (the
    delegator identity whose wallet paid) holds the records of, or None if none."""

    def gather(self, out_trade_no: str, payer: str) -> Mapping[str, Any] | None: ...


PAYERS = {Outcome.PSP_REFUND: RefundPayer.PSP, Outcome.MERCHANT_REFUND: RefundPayer.MERCHANT}


def decision_id_for(dispute_id: str) -> str:
    """One decision per dispute: its id derives from the dispute's.

    >>> decision_id_for("dsp_abc")
    'dec_abc'
    """
    return "dec_" + dispute_id.removeprefix("dsp_")


def delivery_promise(session: Session, out_trade_no: str) -> datetime | None:
    """Cart confirmation + the slowest ordered product's delivery time, or None."""
    order = session.get(OrderRow, out_trade_no)
    if order is None:
        return None
    minutes = session.execute(
        select(func.max(ProductRow.delivery_minutes))
        .join(OrderItemRow, OrderItemRow.product_id == ProductRow.product_id)
        .where(OrderItemRow.out_trade_no == out_trade_no)
    ).scalar_one_or_none()
    if minutes is None:
        return None
    return parse_instant(order.confirmed_at) + timedelta(minutes=int(minutes))


class DisputeService:
    """Disputes over the installation's store; the PSP's key signs each decision record."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        evidence: EvidenceSource,
        anchors: Callable[[], TrustAnchors],
        psp_id: str,
        psp_key: SigningKey,
        deliver: Callable[[Sequence[str]], None] = lambda owed: None,
        random_bytes: RandomBytes | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._evidence = evidence
        self._anchors = anchors
        self._psp_id = psp_id
        self._psp_key = psp_key
        self._deliver = deliver
        self._random: RandomBytes = random_bytes or secrets.token_bytes

    # -- reading ---------------------------------------------------------------------------

    def show(self, dispute_id: str, viewer: Opener | None = None) -> dict[str, Any]:
        """The dispute; ``viewer`` (when given) must be its payer or its merchant."""
        with self._db.read() as session:
            row = session.get(DisputeRow, dispute_id)
            if row is None or (viewer is not None and not self._may_see(session, row, viewer)):
                raise DisputeNotFound(DisputeProblem.NOT_FOUND, f"no dispute {dispute_id}")
            return view(row)

    def all(self, viewer: Opener | None = None) -> list[dict[str, Any]]:
        """Every dispute (newest first), or those ``viewer`` may see."""
        with self._db.read() as session:
            rows = session.scalars(
                select(DisputeRow).order_by(DisputeRow.created_at.desc(), DisputeRow.dispute_id)
            ).all()
            return [
                view(row) for row in rows if viewer is None or self._may_see(session, row, viewer)
            ]

    def for_order(self, out_trade_no: str) -> dict[str, Any] | None:
        with self._db.read() as session:
            row = session.scalars(
                select(DisputeRow).where(DisputeRow.out_trade_no == out_trade_no)
            ).first()
            return view(row) if row is not None else None

    # -- writing ---------------------------------------------------------------------------

    def open(self, out_trade_no: str, opener: Opener, reason: str) -> dict[str, Any]:
        """Record the claim (``opened``) and resolve it at once; the dispute as it ends."""
        text = check_reason(reason)
        now = self._clock.now()
        try:
            dispute_id = self._record_claim(out_trade_no, opener, text, now)
        except IntegrityError as e:  # two claims at once: the order's unique key kept one
            raise DisputeConflict(
                DisputeProblem.ALREADY_OPEN, f"order {out_trade_no} is already disputed"
            ) from e
        return self.resolve(dispute_id)

    def _record_claim(self, out_trade_no: str, opener: Opener, text: str, now: datetime) -> str:
        with self._db.transaction() as session:
            payment = session.scalars(
                select(PaymentRow).where(PaymentRow.out_trade_no == out_trade_no)
            ).first()
            if payment is None:
                raise DisputeNotFound(
                    DisputeProblem.ORDER_NOT_PAID, f"no paid order {out_trade_no}"
                )
            if not self._is_party(session, payment, opener):
                raise DisputeForbidden(
                    DisputeProblem.FORBIDDEN,
                    "only the person who paid or the paid merchant may open a dispute",
                )
            taken = session.scalars(
                select(DisputeRow.dispute_id).where(DisputeRow.out_trade_no == out_trade_no)
            ).first()
            if taken is not None:
                raise DisputeConflict(
                    DisputeProblem.ALREADY_OPEN, f"order {out_trade_no} is disputed in {taken}"
                )
            dispute_id = new_id("dsp", self._random)
            session.add(
                DisputeRow(
                    dispute_id=dispute_id,
                    out_trade_no=out_trade_no,
                    trade_no=payment.trade_no,
                    merchant_id=payment.merchant_id,
                    opened_by=opener.party_id,
                    opener_role=opener.role.value,
                    reason=text,
                    state=DisputeState.OPENED.value,
                    currency=payment.currency,
                    created_at=now,
                    updated_at=now,
                )
            )
        return dispute_id

    def resolve(self, dispute_id: str) -> dict[str, Any]:
        """Gather, verify, decide, refund and log (once); the dispute as it stands after."""
        with self._db.read() as session:
            row = session.get(DisputeRow, dispute_id)
            if row is None:
                raise DisputeNotFound(DisputeProblem.NOT_FOUND, f"no dispute {dispute_id}")
            if row.state != DisputeState.OPENED.value:
                return view(row)
            out_trade_no, payer = row.out_trade_no, self._payer(session, row.trade_no)
        try:
            bundle = self._evidence.gather(out_trade_no, payer)
        except Exception:  # fail closed: evidence that cannot be gathered is incomplete
            bundle = None
        anchors = self._anchors()
        now = self._clock.now()
        with self._db.transaction() as session:
            row = self._lock(session, dispute_id)
            if row.state != DisputeState.OPENED.value:
                return view(row)  # decided meanwhile: nothing more to do
            payment = session.get(PaymentRow, row.trade_no)
            if payment is None:  # pragma: no cover - open() found it, and payments stay
                raise DisputeNotFound(DisputeProblem.ORDER_NOT_PAID, "the payment is gone")
            evidence = read_evidence(
                bundle, anchors=anchors, out_trade_no=row.out_trade_no, trade_no=row.trade_no
            )
            refundable = Money(payment.amount_minor - payment.refunded_minor, payment.currency)
            disposition = decide(
                evidence,
                promised_by=delivery_promise(session, row.out_trade_no),
                refundable=refundable,
                now=now,
            )
            owed = self._apply(session, row, payment, disposition, gathered=bundle is not None)
            row.updated_at = now
            result = view(row)
        self._deliver(owed)
        return result

    def appeal(self, dispute_id: str, opener: Opener | None, reason: str) -> dict[str, Any]:
        """A party contests the decision: the dispute goes to human review (``appealed``)."""
        text = check_reason(reason)
        with self._db.transaction() as session:
            row = self._lock(session, dispute_id)
            if opener is not None and not self._may_see(session, row, opener):
                raise DisputeNotFound(DisputeProblem.NOT_FOUND, f"no dispute {dispute_id}")
            row.state = next_state(DisputeState(row.state), DisputeEvent.APPEAL).value
            row.appeal_reason = text
            row.updated_at = self._clock.now()
            return view(row)

    # -- inside the transaction ------------------------------------------------------------

    def _apply(
        self,
        session: Session,
        row: DisputeRow,
        payment: PaymentRow,
        disposition: Disposition,
        *,
        gathered: bool,
    ) -> list[str]:
        state = DisputeState(row.state)
        if gathered:
            state = next_state(state, DisputeEvent.GATHER)
        if disposition.outcome is Outcome.REVIEW:
            state = next_state(state, DisputeEvent.REFER)
        else:
            state = next_state(state, DisputeEvent.DECIDE)
        decision_id = decision_id_for(row.dispute_id)
        now = self._clock.now()
        if disposition.refund is not None:
            apply_decided_refund(
                session,
                trade_no=payment.trade_no,
                amount=disposition.refund,
                payer=PAYERS[disposition.outcome],
                decision_id=decision_id,
                now=now,
            )
        decision = {"decision_id": decision_id, **disposition.to_json()}
        row.state = state.value
        row.decision_id = decision_id
        row.outcome = disposition.outcome.value
        row.reason_code = disposition.reason.value
        row.refund_minor = disposition.refund.minor if disposition.refund else None
        row.decision = json.dumps(decision, sort_keys=True)
        order = session.get(OrderRow, row.out_trade_no)
        if order is None:  # pragma: no cover - a payment always has its order in one store
            return []
        chain = Chain(
            intent_id=order.intent_id,
            delegation_id=payment.delegation_id,
            out_trade_no=row.out_trade_no,
            trade_no=payment.trade_no,
        )
        body = {
            "dispute_id": row.dispute_id,
            "decision_id": decision_id,
            "outcome": disposition.outcome.value,
            "reason_code": disposition.reason.value,
            "refund": disposition.refund.to_json() if disposition.refund else "none",
            "evidence": list(disposition.evidence),
        }
        record_id = stage_record(
            session,
            sender=self._psp_id,
            event_type=EventType.DECISION_LOGGED,
            chain=chain,
            participants=[Participant("psp", self._psp_id, self._psp_key.kid)],
            body=body,
            key=self._psp_key,
            now=now,
            random_bytes=self._random,
            subject=payment.trade_no,
        )
        return [record_id]

    @staticmethod
    def _lock(session: Session, dispute_id: str) -> DisputeRow:
        row = session.execute(
            select(DisputeRow)
            .where(DisputeRow.dispute_id == dispute_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is None:
            raise DisputeNotFound(DisputeProblem.NOT_FOUND, f"no dispute {dispute_id}")
        return row

    @staticmethod
    def _payer(session: Session, trade_no: str) -> str:
        payment = session.get(PaymentRow, trade_no)
        account = session.get(PspAccount, payment.account_id) if payment is not None else None
        return account.delegator_identity if account is not None else ""

    @staticmethod
    def _is_party(session: Session, payment: PaymentRow, who: Opener) -> bool:
        if who.role is OpenerRole.MERCHANT:
            return payment.merchant_id == who.party_id
        account = session.get(PspAccount, payment.account_id)
        return account is not None and account.delegator_identity == who.party_id

    def _may_see(self, session: Session, row: DisputeRow, who: Opener) -> bool:
        payment = session.get(PaymentRow, row.trade_no)
        return payment is not None and self._is_party(session, payment, who)
