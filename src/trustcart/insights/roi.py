"""The merchant's return on agents, by day: pure figures from ledger and log facts.

Nothing here counts as things happen; every figure is recomputed from two records that cannot
drift apart from what happened, because they are what happened:

* the PSP's **ledger** (``payments.ledger``): a payment entry credits ``merchant:<id>``; its
  reference is the trade, and the PSP's payment row says which agent paid (agent-attributed
  GMV: every payment an agent made under a delegation); a refund entry debits it back;
* the **transparency log** (``trust.log``): ``intent-created`` (an intent the person
  confirmed), ``decision-logged`` with stage ``options-presented`` (what was shown, and the
  assistant's compute for it) or ``refused`` (with reason codes), ``cart-confirmed`` and
  ``transaction-completed``.

The funnel counts distinct intents per stage: intents → options shown → carts confirmed →
paid. Its top is the intents the person confirmed: ACT records an intent when its ISR is
confirmed, so an intent abandoned before that is in neither record and the report says so in
``unavailable``. Compute cost per order is the assistant's time spent presenting options,
summed over the period, divided by paid orders; LLM tokens are summed only from events that
carry them, and reported unavailable when none do. With a merchant, money and orders are that
merchant's, and an intent counts when its options, cart or payment involved that merchant.

>>> from datetime import date
>>> d = date(2026, 12, 1)
>>> pay = LedgerPayment("trd_1", "ord_1", "m_1", "agent:a", Money(1800, "CNY"), d)
>>> ev = [LogFact("act:delegation:intent-created", "int_1", None, None, d, {}),
...       LogFact("act:payment:transaction-completed", "int_1", "ord_1", None, d, {})]
>>> report = roi_report([pay], [], ev, days=[d], currency="CNY")
>>> report.totals.gmv.amount_str(), report.totals.funnel.paid, report.totals.average_order
('18.00', 1, Money(minor=1800, currency='CNY'))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.trust.events import EventType

OPTIONS_PRESENTED = "options-presented"
REFUSED = "refused"
UNAVAILABLE = {
    "abandoned_intents": (
        "intents abandoned before the person confirmed them are in neither the ledger nor the "
        "log (ACT records an intent when its ISR is confirmed)"
    ),
}
NO_TOKENS = "no LLM back end reported token usage in the log for this period"


@dataclass(frozen=True, slots=True)
class LedgerPayment:
    """A payment entry of the ledger: the merchant credited, the agent that paid."""

    trade_no: str
    out_trade_no: str
    merchant_id: str
    agent_id: str
    amount: Money
    day: date


@dataclass(frozen=True, slots=True)
class LedgerRefund:
    """A refund entry of the ledger: the merchant debited."""

    trade_no: str
    merchant_id: str
    amount: Money
    day: date


@dataclass(frozen=True, slots=True)
class LogFact:
    """One attestation record of the log, as the report needs it."""

    event_type: str
    intent_id: str
    out_trade_no: str | None
    merchant_id: str | None  # the merchant participant, where there is one
    day: date
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Funnel:
    intents: int = 0
    options_shown: int = 0
    carts_confirmed: int = 0
    paid: int = 0

    def to_json(self) -> dict[str, Any]:
        rate = None if self.intents == 0 else f"{self.paid / self.intents:.4f}"
        return {
            "intents": self.intents,
            "options_shown": self.options_shown,
            "carts_confirmed": self.carts_confirmed,
            "paid": self.paid,
            "conversion": rate,
        }


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one day, or of the whole period."""

    gmv: Money
    orders: int
    refunds: Money
    refund_count: int
    funnel: Funnel
    refusals: Mapping[str, int]
    assistant_ms: Decimal
    llm_tokens: int | None

    @property
    def average_order(self) -> Money | None:
        return None if self.orders == 0 else Money(self.gmv.minor // self.orders, self.gmv.currency)

    @property
    def assistant_ms_per_order(self) -> Decimal | None:
        return (
            None if self.orders == 0 else (self.assistant_ms / self.orders).quantize(Decimal("0.1"))
        )

    def to_json(self) -> dict[str, Any]:
        average = self.average_order
        per_order = self.assistant_ms_per_order
        return {
            "gmv": self.gmv.to_json(),
            "orders": self.orders,
            "average_order_value": None if average is None else average.to_json(),
            "refunds": {"amount": self.refunds.to_json(), "count": self.refund_count},
            "net": (self.gmv - self.refunds).to_json(),
            "funnel": self.funnel.to_json(),
            "refusals": dict(sorted(self.refusals.items())),
            "compute": {
                "assistant_ms": str(self.assistant_ms.quantize(Decimal("0.1"))),
                "assistant_ms_per_order": None if per_order is None else str(per_order),
                "llm_tokens": self.llm_tokens,
                "llm_tokens_per_order": (
                    None
                    if self.llm_tokens is None or self.orders == 0
                    else str((Decimal(self.llm_tokens) / self.orders).quantize(Decimal("0.1")))
                ),
            },
        }


@dataclass(frozen=True)
class RoiReport:
    currency: str
    merchant_id: str | None
    days: tuple[date, ...]
    by_day: tuple[Figures, ...]
    totals: Figures
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``trustcart roi --json`` (README: contracts; docs/roi.md)."""
        return {
            "currency": self.currency,
            "merchant_id": self.merchant_id,
            "from": self.days[0].isoformat() if self.days else None,
            "to": self.days[-1].isoformat() if self.days else None,
            "sources": ["ledger", "transparency-log"],
            "totals": self.totals.to_json(),
            "by_day": [
                {"day": day.isoformat(), **figures.to_json()}
                for day, figures in zip(self.days, self.by_day, strict=True)
            ],
            "unavailable": dict(self.unavailable),
        }


def _ms(body: Mapping[str, Any]) -> Decimal:
    try:
        value = Decimal(str(body.get("assistant_ms", "0")))
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() and value >= 0 else Decimal(0)


def _tokens(body: Mapping[str, Any]) -> int | None:
    value = body.get("llm_tokens")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _involves(fact: LogFact, merchant_id: str | None, orders: Mapping[str, str]) -> bool:
    if merchant_id is None:
        return True
    if fact.merchant_id is not None:
        return fact.merchant_id == merchant_id
    if fact.out_trade_no is not None and fact.out_trade_no in orders:
        return orders[fact.out_trade_no] == merchant_id
    merchants = fact.body.get("merchants")
    return isinstance(merchants, list) and merchant_id in merchants


def _figures(
    currency: str,
    payments: Sequence[LedgerPayment],
    refunds: Sequence[LedgerRefund],
    facts: Sequence[LogFact],
) -> Figures:
    stages: dict[str, set[str]] = {name: set() for name in ("intents", "shown", "carts", "paid")}
    refusals: Counter[str] = Counter()
    assistant_ms = Decimal(0)
    tokens: int | None = None
    for fact in facts:
        stage = fact.body.get("stage")
        if fact.event_type == EventType.INTENT_CREATED:
            stages["intents"].add(fact.intent_id)
        elif fact.event_type == EventType.DECISION_LOGGED and stage == OPTIONS_PRESENTED:
            stages["intents"].add(fact.intent_id)
            if isinstance(fact.body.get("options"), int) and fact.body["options"] > 0:
                stages["shown"].add(fact.intent_id)
            assistant_ms += _ms(fact.body)
            if (used := _tokens(fact.body)) is not None:
                tokens = (tokens or 0) + used
        elif fact.event_type == EventType.DECISION_LOGGED and stage == REFUSED:
            reasons = fact.body.get("reasons")
            for reason in reasons if isinstance(reasons, list) else []:
                refusals[str(reason)] += 1
        elif fact.event_type == EventType.CART_CONFIRMED:
            stages["carts"].add(fact.intent_id)
        elif fact.event_type == EventType.TRANSACTION_COMPLETED:
            stages["paid"].add(fact.intent_id)
    gmv = sum((p.amount for p in payments), Money.zero(currency))
    refunded = sum((r.amount for r in refunds), Money.zero(currency))
    return Figures(
        gmv=gmv,
        orders=len(payments),
        refunds=refunded,
        refund_count=len(refunds),
        funnel=Funnel(
            len(stages["intents"]), len(stages["shown"]), len(stages["carts"]), len(stages["paid"])
        ),
        refusals=dict(refusals),
        assistant_ms=assistant_ms,
        llm_tokens=tokens,
    )


def roi_report(
    payments: Iterable[LedgerPayment],
    refunds: Iterable[LedgerRefund],
    facts: Iterable[LogFact],
    *,
    days: Sequence[date],
    currency: str,
    merchant_id: str | None = None,
) -> RoiReport:
    """The figures of each day in ``days`` and of the whole span, in ``currency`` only."""
    if list(days) != sorted(set(days)):
        raise ValidationError("days must be distinct and in order")
    span = set(days)
    paid = [
        p
        for p in payments
        if p.day in span
        and p.amount.currency == currency
        and p.agent_id
        and merchant_id in (None, p.merchant_id)
    ]
    back = [
        r
        for r in refunds
        if r.day in span and r.amount.currency == currency and merchant_id in (None, r.merchant_id)
    ]
    all_facts = [f for f in facts if f.day in span]
    orders = {p.out_trade_no: p.merchant_id for p in paid}
    orders.update(
        (f.out_trade_no, f.merchant_id)
        for f in all_facts
        if f.event_type == EventType.CART_CONFIRMED and f.out_trade_no and f.merchant_id
    )
    kept = [f for f in all_facts if _involves(f, merchant_id, orders)]
    by_day = tuple(
        _figures(
            currency,
            [p for p in paid if p.day == day],
            [r for r in back if r.day == day],
            [f for f in kept if f.day == day],
        )
        for day in days
    )
    totals = _figures(currency, paid, back, kept)
    unavailable = dict(UNAVAILABLE)
    if totals.llm_tokens is None:
        unavailable["llm_tokens"] = NO_TOKENS
    return RoiReport(currency, merchant_id, tuple(days), by_day, totals, unavailable)
