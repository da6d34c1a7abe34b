"""What the transparency log admits: the acceptance rule for attestation records. Pure.

A record's signature shows who signed it, not that the signer had any business reporting the
event. The log therefore admits a record only when all of these hold, checked in this order,
each refusal with a stable ``RecordRefusal`` code and the log left unchanged:

1. **role** (``record-role-not-allowed``): the initiator's role is one ``ADMISSION_RULES``
   allows for the event type;
2. **parties** (``record-party-mismatch``): every participant's key belongs, in the log's key
   directory, to that participant's party and role (``RecordAdmission``; not done offline,
   where trust anchors do the same job);
3. **chain ids** (``record-chain-ids``): the chain carries every id the type requires and no id
   it does not allow;
4. **time** (``record-time-skew``): ``event_time`` and ``created_at`` lie within ``SKEW`` of the
   log's clock (at most 5 minutes in the past, 30 seconds in the future): no backdating. The
   records a party writes to its outbox in the transaction of the fact they report
   (``LATE_DELIVERY``: the merchant's cart-confirmed and fulfillment-completed, the PSP's
   transaction-completed and risk decision-logged, the status service's lifecycle events) may
   arrive up to ``SKEW.max_delay`` (7 days) late, when the log was down or the sender crashed
   after its commit; never ahead. Such a record only adds what its party alone could say (a
   signed cart, receipt or status already carries the same instant), except a lifecycle
   event, which would change how a payment reads: a late lifecycle event dated at or before a
   payment of its delegation that the log already holds is refused;
5. **chain** (``record-chain-unknown`` / ``record-chain-mismatch``): every id except the one
   the type introduces is already known to the log, and the ids agree with what it knows (a
   delegation belongs to one intent, an order to one intent and delegation, an order is paid
   by one trade);
6. **initiator** (``record-party-mismatch``): the initiator is the party the chain names for
   its role: the agent that created the intent, the delegator that issued the delegation, the
   merchant that confirmed the order, the payment provider that completed the trade (a PSP's
   risk decision-logged names no trade: any payment provider may report its own decision). The
   status service (ADD-IAC-LCM) may report the lifecycle of any delegation.

The facts of step 5 come from the records already in the log (``ChainFacts.from_records``):
the first record that introduces an id binds it, and nothing can rebind it later.

| event type | initiator roles | required ids | optional ids | introduces |
|---|---|---|---|---|
| intent-created | agent | intent | | intent |
| delegation-issued | delegator | intent, delegation | | delegation |
| delegation-suspended / -resumed | status, delegator, agent | intent, delegation | | |
| delegation-revoked | status, delegator, agent | intent, delegation | | |
| delegation-expired | status, agent | intent, delegation | | |
| decision-logged | agent, psp | intent (psp: +delegation) | delegation, order (psp: +trade) | |
| cart-confirmed | merchant | intent, delegation, order | | order |
| transaction-completed | psp | intent, delegation, order, trade | | trade |
| fulfillment-completed | merchant | intent, order | delegation, trade | |

ACT 2.1 lets the principal suspend, resume and revoke, the agent revoke and report every
lifecycle event, and expiry is automatic (reported by the status service or the agent).

>>> ADMISSION_RULES[EventType.TRANSACTION_COMPLETED].initiators
frozenset({'psp'})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from trustcart.core.clock import format_instant
from trustcart.trust.directory import KeyDirectory, usable_key
from trustcart.trust.errors import RecordRefused
from trustcart.trust.events import EventType, VerifiedRecord

__all__ = [
    "ADMISSION_RULES",
    "LATE_DELIVERY",
    "SKEW",
    "AdmissionRule",
    "ChainFacts",
    "OrderFacts",
    "RecordAdmission",
    "RecordRefusal",
    "SkewWindow",
    "admit",
    "check_initiator",
]

INTENT, DELEGATION, ORDER, TRADE = "intent_id", "delegation_id", "out_trade_no", "trade_no"


class RecordRefusal(StrEnum):
    """Why the log refused a record (returned as the problem ``code`` of ``POST /records``)."""

    ROLE_NOT_ALLOWED = "record-role-not-allowed"
    PARTY_MISMATCH = "record-party-mismatch"
    CHAIN_IDS = "record-chain-ids"
    TIME_SKEW = "record-time-skew"
    CHAIN_UNKNOWN = "record-chain-unknown"
    CHAIN_MISMATCH = "record-chain-mismatch"


@dataclass(frozen=True)
class AdmissionRule:
    """Who may initiate one event type, and which chain ids it carries."""

    initiators: frozenset[str]
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    introduces: str | None = None


def _rule(
    initiators: str, required: str, optional: str = "", introduces: str | None = None
) -> AdmissionRule:
    return AdmissionRule(
        frozenset(initiators.split()),
        frozenset(required.split()),
        frozenset(optional.split()),
        introduces,
    )


_LIFECYCLE = _rule("status delegator agent", f"{INTENT} {DELEGATION}")
ADMISSION_RULES: Mapping[EventType, AdmissionRule] = MappingProxyType(
    {
        EventType.INTENT_CREATED: _rule("agent", INTENT, introduces=INTENT),
        EventType.DELEGATION_ISSUED: _rule(
            "delegator", f"{INTENT} {DELEGATION}", introduces=DELEGATION
        ),
        EventType.DELEGATION_SUSPENDED: _LIFECYCLE,
        EventType.DELEGATION_RESUMED: _LIFECYCLE,
        EventType.DELEGATION_REVOKED: _LIFECYCLE,
        EventType.DELEGATION_EXPIRED: _rule("status agent", f"{INTENT} {DELEGATION}"),
        EventType.DECISION_LOGGED: _rule("agent psp", INTENT, f"{DELEGATION} {ORDER}"),
        EventType.CART_CONFIRMED: _rule(
            "merchant", f"{INTENT} {DELEGATION} {ORDER}", introduces=ORDER
        ),
        EventType.TRANSACTION_COMPLETED: _rule(
            "psp", f"{INTENT} {DELEGATION} {ORDER} {TRADE}", introduces=TRADE
        ),
        EventType.FULFILLMENT_COMPLETED: _rule(
            "merchant", f"{INTENT} {ORDER}", f"{DELEGATION} {TRADE}"
        ),
    }
)


# A role with a rule of its own for a type: the PSP logs its decisions under a delegation: a
# risk rule's about a payment it screened (``payments.risk.gate``: intent and delegation, no
# order or trade yet) and a dispute's about one paid order (``disputes``: the whole chain, which
# the chain step then checks against the log); the agent's decisions keep the rule above.
ROLE_RULES: Mapping[tuple[EventType, str], AdmissionRule] = MappingProxyType(
    {
        (EventType.DECISION_LOGGED, "psp"): _rule(
            "psp", f"{INTENT} {DELEGATION}", f"{ORDER} {TRADE}"
        ),
    }
)


_LIFECYCLE_EVENTS = frozenset(
    {
        EventType.DELEGATION_SUSPENDED,
        EventType.DELEGATION_RESUMED,
        EventType.DELEGATION_REVOKED,
        EventType.DELEGATION_EXPIRED,
    }
)
# (event type, initiator role) of the records that travel through their sender's outbox.
LATE_DELIVERY: frozenset[tuple[EventType, str]] = frozenset(
    {
        (EventType.CART_CONFIRMED, "merchant"),
        (EventType.TRANSACTION_COMPLETED, "psp"),
        (EventType.FULFILLMENT_COMPLETED, "merchant"),
        (EventType.DECISION_LOGGED, "psp"),  # disputes' and the risk rules' decisions
        *((kind, "status") for kind in _LIFECYCLE_EVENTS),
    }
)


@dataclass(frozen=True)
class SkewWindow:
    """How far a record's instants may be from the log's clock (``max_delay``: outbox records)."""

    max_age: timedelta = timedelta(minutes=5)
    max_ahead: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(days=7)

    def contains(self, instant: datetime, now: datetime) -> bool:
        return now - self.max_age <= instant <= now + self.max_ahead

    def contains_late(self, instant: datetime, now: datetime) -> bool:
        """Within the window a record delivered late from an outbox may have."""
        return now - self.max_delay <= instant <= now + self.max_ahead


SKEW = SkewWindow()


@dataclass(frozen=True)
class OrderFacts:
    """What the log knows of one order: its intent, delegation, merchant and paying trade."""

    intent_id: str
    delegation_id: str | None
    merchant: str
    trade_no: str | None = None


# The event types ``ChainFacts.from_records`` reads; what else a chain holds changes nothing.
FACT_EVENTS = frozenset(
    {
        EventType.INTENT_CREATED,
        EventType.DELEGATION_ISSUED,
        EventType.CART_CONFIRMED,
        EventType.TRANSACTION_COMPLETED,
    }
)


@dataclass(frozen=True)
class ChainFacts:
    """The bindings earlier records established: who created, issued, confirmed and paid what.

    Only records of ``FACT_EVENTS`` establish any; the others are ignored by the fold.
    """

    intent_agents: Mapping[str, str]
    delegations: Mapping[str, tuple[str, str]]  # delegation_id -> (intent_id, delegator)
    orders: Mapping[str, OrderFacts]
    trades: Mapping[str, tuple[str, str]]  # trade_no -> (out_trade_no, psp)
    last_paid: Mapping[str, datetime] = field(default_factory=dict)  # delegation -> paid at

    def knows(self, name: str, value: str) -> bool:
        table: Mapping[str, object] = {
            INTENT: self.intent_agents,
            DELEGATION: self.delegations,
            ORDER: self.orders,
            TRADE: self.trades,
        }[name]
        return value in table

    @classmethod
    def from_records(cls, records: Iterable[VerifiedRecord]) -> ChainFacts:
        """Fold accepted records in log order; the first record that introduces an id binds it."""
        agents: dict[str, str] = {}
        delegations: dict[str, tuple[str, str]] = {}
        orders: dict[str, OrderFacts] = {}
        trades: dict[str, tuple[str, str]] = {}
        last_paid: dict[str, datetime] = {}
        for record in records:
            chain, party = record.chain, record.initiator.id
            kind = record.event_type
            if kind is EventType.INTENT_CREATED:
                agents.setdefault(chain.intent_id, party)
            elif kind is EventType.DELEGATION_ISSUED and chain.delegation_id:
                delegations.setdefault(chain.delegation_id, (chain.intent_id, party))
            elif kind is EventType.CART_CONFIRMED and chain.out_trade_no:
                orders.setdefault(
                    chain.out_trade_no, OrderFacts(chain.intent_id, chain.delegation_id, party)
                )
            elif kind is EventType.TRANSACTION_COMPLETED and chain.out_trade_no and chain.trade_no:
                trades.setdefault(chain.trade_no, (chain.out_trade_no, party))
                if chain.delegation_id is not None:
                    paid = last_paid.get(chain.delegation_id)
                    if paid is None or paid < record.event_time:
                        last_paid[chain.delegation_id] = record.event_time
                order = orders.get(chain.out_trade_no)
                if order is not None and order.trade_no is None:
                    orders[chain.out_trade_no] = OrderFacts(
                        order.intent_id, order.delegation_id, order.merchant, chain.trade_no
                    )
        return cls(agents, delegations, orders, trades, last_paid)


def _refuse(code: RecordRefusal, detail: str) -> RecordRefused:
    return RecordRefused(code.value, detail)


def check_initiator(record: VerifiedRecord) -> None:
    """Step 1 and 3: the initiator's role and the chain's ids fit the event type."""
    role = record.initiator.role
    rule = ROLE_RULES.get((record.event_type, role), ADMISSION_RULES[record.event_type])
    if role not in rule.initiators:
        raise _refuse(
            RecordRefusal.ROLE_NOT_ALLOWED,
            f"{record.event_type.value} is initiated by {' or '.join(sorted(rule.initiators))}, "
            f"not by a {role} key",
        )
    present = set(record.chain.to_json())
    missing, extra = rule.required - present, present - rule.required - rule.optional
    if missing or extra:
        raise _refuse(
            RecordRefusal.CHAIN_IDS,
            f"{record.event_type.value} needs chain ids {sorted(rule.required)}"
            + (f" and may carry {sorted(rule.optional)}" if rule.optional else "")
            + f"; got {sorted(present)}",
        )


def _check_agreement(record: VerifiedRecord, facts: ChainFacts) -> None:
    chain = record.chain
    intent, delegation = chain.intent_id, chain.delegation_id
    order_no, trade_no = chain.out_trade_no, chain.trade_no

    def mismatch(what: str) -> RecordRefused:
        return _refuse(RecordRefusal.CHAIN_MISMATCH, what)

    if delegation is not None and delegation in facts.delegations:
        owner = facts.delegations[delegation][0]
        if owner != intent:
            raise mismatch(f"delegation {delegation} belongs to intent {owner}, not {intent}")
    if order_no is not None and order_no in facts.orders:
        order = facts.orders[order_no]
        if order.intent_id != intent or (
            delegation is not None and order.delegation_id != delegation
        ):
            raise mismatch(f"order {order_no} belongs to another intent or delegation")
        if trade_no is not None and order.trade_no not in (None, trade_no):
            raise mismatch(f"order {order_no} was paid by another trade")
    if trade_no is not None and trade_no in facts.trades and facts.trades[trade_no][0] != order_no:
        raise mismatch(f"trade {trade_no} paid another order")


def _expected_party(record: VerifiedRecord, facts: ChainFacts) -> str | None:
    """The party the chain names for the initiator's role (None: not bound yet, or any)."""
    chain, role = record.chain, record.initiator.role
    if role == "agent":
        return facts.intent_agents.get(chain.intent_id)
    if role == "delegator" and chain.delegation_id is not None:
        bound = facts.delegations.get(chain.delegation_id)
        return bound[1] if bound else None
    if role == "merchant" and chain.out_trade_no is not None:
        order = facts.orders.get(chain.out_trade_no)
        return order.merchant if order else None
    if role == "psp" and chain.trade_no is not None:
        trade = facts.trades.get(chain.trade_no)
        return trade[1] if trade else None
    return None  # the status service answers for every delegation


def check_chain_parties(record: VerifiedRecord, facts: ChainFacts) -> None:
    """Step 5 (agreement only) and 6: the ids agree with ``facts``; the initiator is named."""
    _check_agreement(record, facts)
    expected = _expected_party(record, facts)
    if expected is not None and expected != record.initiator.id:
        raise _refuse(
            RecordRefusal.PARTY_MISMATCH,
            f"{record.event_type.value} for this chain comes from {expected}, "
            f"not {record.initiator.id}",
        )


def _check_time(
    record: VerifiedRecord, facts: ChainFacts, now: datetime, window: SkewWindow
) -> None:
    """Step 4: on time, or late from an outbox without rewriting how a payment reads."""
    may_be_late = (record.event_type, record.initiator.role) in LATE_DELIVERY
    late = False
    for name, instant in (("event_time", record.event_time), ("created_at", record.created_at)):
        if window.contains(instant, now):
            continue
        if may_be_late and window.contains_late(instant, now):
            late = True
            continue
        oldest = window.max_delay if may_be_late else window.max_age
        raise _refuse(
            RecordRefusal.TIME_SKEW,
            f"{name} {format_instant(instant)} is outside {format_instant(now)} "
            f"-{int(oldest.total_seconds())} s / +{int(window.max_ahead.total_seconds())} s",
        )
    delegation = record.chain.delegation_id
    if late and record.event_type in _LIFECYCLE_EVENTS and delegation is not None:
        paid = facts.last_paid.get(delegation)
        if paid is not None and record.event_time <= paid:
            raise _refuse(
                RecordRefusal.TIME_SKEW,
                f"a late {record.event_type.value} dated {format_instant(record.event_time)} "
                f"would precede a payment of {delegation} the log holds",
            )


def admit(
    record: VerifiedRecord, facts: ChainFacts, now: datetime, window: SkewWindow = SKEW
) -> None:
    """Steps 1 and 3 to 6 for a record whose participants are already known to be who they
    say (``RecordAdmission.check`` does that); raise ``RecordRefused`` or return."""
    check_initiator(record)
    _check_time(record, facts, now, window)
    introduced = ADMISSION_RULES[record.event_type].introduces
    for name, value in record.chain.to_json().items():
        if name != introduced and not facts.knows(name, value):
            raise _refuse(RecordRefusal.CHAIN_UNKNOWN, f"the log knows no {name} {value}")
    check_chain_parties(record, facts)


class RecordAdmission:
    """The log's admission rule bound to its key directory and skew window."""

    def __init__(self, directory: KeyDirectory, window: SkewWindow = SKEW) -> None:
        self.directory = directory
        self.window = window

    def check(
        self, record: VerifiedRecord, history: Iterable[VerifiedRecord], now: datetime
    ) -> None:
        """Refuse (``RecordRefused``) unless ``record`` may join a log holding ``history``."""
        check_initiator(record)
        for person in record.participants:
            entry = usable_key(self.directory, person.kid, now)
            if entry is None or (entry.role, entry.party_id) != (person.role, person.id):
                raise _refuse(
                    RecordRefusal.PARTY_MISMATCH,
                    f"participant {person.role} {person.id} does not hold key {person.kid[:12]}",
                )
        admit(record, ChainFacts.from_records(history), now, self.window)
