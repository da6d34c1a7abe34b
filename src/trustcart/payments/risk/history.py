"""The shell that reads a payment's ``History`` from the PSP's store (one short read).

Strategy: seven small queries, each an index range scan (``store.risk`` declares the indexes):

* the agent's and the delegation's successful payments inside the velocity window;
* the person's (account's) latest ``usual_history_size`` payment amounts in the payment's
  currency within ``usual_history_window``, newest first;
* the agent's first token (when this PSP first saw the agent: its binding) and the merchant's
  first payment here;
* the agent's payment requests in flight (claimed in ``psp_idempotency_keys`` within the
  velocity window, not yet answered), less the one being decided: concurrent requests each
  see the others, as claimed or as answered, so a burst sent at once cannot all pass;
* the agent's refusal streak: its stored refused answers (``psp_idempotency_keys`` of scope
  ``payments:<agent>``, 4xx) since its last successful payment and within ``refusal_window``.
  Refusals by the risk rules themselves do not count (a step-up the person has not answered
  yet must not lock the agent out), and at most ``max_refusal_streak + 50`` answers are read.

Nothing is written. The figures per payment are in docs/benchmarks.md (``trustcart bench risk``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from trustcart.core.money import Money
from trustcart.payments.errors import PaymentProblem
from trustcart.payments.idempotency import KeyState
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.features import History, PaymentFacts
from trustcart.store.payments import IdempotencyKeyRow, PaymentRow, PaymentTokenRow

RISK_CODES = frozenset({PaymentProblem.RISK_REFUSED.value, PaymentProblem.RISK_STEP_UP_REQUIRED})


def _payment_times(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> tuple[datetime, ...]:
    query = select(PaymentRow.paid_at).where(column == value, PaymentRow.paid_at > since)
    return tuple(session.execute(query).scalars())


def _refusal_streak(session: Session, agent_id: str, since: datetime, limit: int) -> int:
    rows = session.execute(
        select(IdempotencyKeyRow.response_status, IdempotencyKeyRow.response_body)
        .where(
            IdempotencyKeyRow.caller_id == f"payments:{agent_id}",
            IdempotencyKeyRow.created_at > since,
            IdempotencyKeyRow.state == KeyState.DONE.value,
        )
        .order_by(IdempotencyKeyRow.created_at.desc())
        .limit(limit)
    ).all()
    streak = 0
    for status, body in rows:
        if status is None or status < 400:
            break  # an answered success ends the streak (its payment row says so too)
        try:
            code = json.loads(body or "{}").get("code")
        except (ValueError, AttributeError):
            code = None
        if code not in RISK_CODES:
            streak += 1
    return streak


def _in_flight(session: Session, agent_id: str, since: datetime) -> int:
    claimed = session.execute(
        select(func.count())
        .select_from(IdempotencyKeyRow)
        .where(
            IdempotencyKeyRow.caller_id == f"payments:{agent_id}",
            IdempotencyKeyRow.created_at > since,
            IdempotencyKeyRow.state == KeyState.IN_FLIGHT.value,
        )
    ).scalar_one()
    return max(int(claimed) - 1, 0)  # the request being decided holds one of the claims


def read_history(session: Session, facts: PaymentFacts, config: RiskConfig) -> History:
    """The ``History`` of ``facts`` as the store knows it at ``facts.at`` (see module doc)."""
    now = facts.at
    velocity_since = now - config.velocity_window
    amounts = session.execute(
        select(PaymentRow.amount_minor)
        .where(
            PaymentRow.account_id == facts.account_id,
            PaymentRow.paid_at > now - config.usual_history_window,
            PaymentRow.currency == facts.amount.currency,
        )
        .order_by(PaymentRow.paid_at.desc())
        .limit(config.usual_history_size)
    ).scalars()
    agent_first_seen = session.execute(
        select(func.min(PaymentTokenRow.created_at)).where(
            PaymentTokenRow.agent_id == facts.agent_id
        )
    ).scalar()
    merchant_first_seen = session.execute(
        select(func.min(PaymentRow.paid_at)).where(PaymentRow.merchant_id == facts.merchant_id)
    ).scalar()
    last_success = session.execute(
        select(func.max(PaymentRow.paid_at)).where(PaymentRow.agent_id == facts.agent_id)
    ).scalar()
    streak_since = now - config.refusal_window
    if last_success is not None and last_success > streak_since:
        streak_since = last_success
    return History(
        agent_payments=_payment_times(session, PaymentRow.agent_id, facts.agent_id, velocity_since),
        delegation_payments=_payment_times(
            session, PaymentRow.delegation_id, facts.delegation_id, velocity_since
        ),
        usual_amounts=tuple(Money(minor, facts.amount.currency) for minor in amounts),
        agent_first_seen=_aware(agent_first_seen),
        merchant_first_seen=_aware(merchant_first_seen),
        refusal_streak=_refusal_streak(
            session, facts.agent_id, streak_since, config.max_refusal_streak + 50
        ),
        agent_in_flight=_in_flight(session, facts.agent_id, velocity_since),
    )


def _aware(value: datetime | None) -> datetime | None:
    """A stored instant read through an aggregate, as an aware UTC value."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
