"""Standing orders on the agent's side: sign one recurring delegation, then buy once per period.

Strategy. The person approves once: their words (``standing_words``) become a BOUNDED ISR whose
``ext.commerce.recurrence`` carries the period and the per-period cap, ``max_total_amount``
the total cap and ``validity_end_time`` the end date; their wallet signs it (L2: no approval per
purchase afterwards). Each due run (``StandingOrders.run_due``, called by the scheduler or by
cron through ``trustcart standing run --once``) then, for every standing order:

1. finds the period containing ``now`` (``Recurrence.period_at``; none before the start or after
   the end, when the credential has ended);
2. *claims* the run of that period in the ``StandingBook`` (a unique key per (order, period)):
   if another runner, or an earlier run that crashed, already claimed it, nothing is bought:
   a period is bought at most once, even twice at the same time;
3. searches the item, keeps the offers whose total fits what the period and the total still
   allow (from the PSP's own signed receipts), and pays the cheapest under the recurring IAC;
4. records the outcome, which is the person's notification: ``paid`` (what, how much, order
   number) or ``skipped`` with why (``nothing-found``, ``price-above-cap``, or the refusing
   party's code, e.g. ``over-period-cap`` from the payment provider).

The PSP checks the period cap again on its own record under lock (``payments.period_budget``),
so an agent that skipped step 3's filter is still refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from trustcart.assistant.errors import ToolCode, ToolRefused
from trustcart.assistant.isr_draft import build_isr
from trustcart.assistant.proposals import (
    ApprovalKind,
    ApprovalRequest,
    Delegation,
    Purchase,
)
from trustcart.assistant.standing_words import StandingOrderWords, read_standing_order
from trustcart.core.clock import parse_instant
from trustcart.core.money import Money
from trustcart.delegation.isr import ISR
from trustcart.delegation.recurrence import Period, PeriodError, Recurrence
from trustcart.delegation.terms import DelegationMode


class RunOutcome(StrEnum):
    RUNNING = "running"  # claimed; a crash leaves it so, and the period is not bought again
    PAID = "paid"
    SKIPPED = "skipped"


class SkipReason(StrEnum):
    NOTHING_FOUND = "nothing-found"  # no offer at all (out of stock, unknown item)
    PRICE_ABOVE_CAP = "price-above-cap"  # offers exist, none fits the period's room


@dataclass(frozen=True)
class StandingOrder:
    order_id: str
    owner: str
    delegation_id: str
    item: str
    created_at: datetime


@dataclass(frozen=True)
class StandingRun:
    """One period's run of one standing order: what the person is told."""

    run_id: str
    order_id: str
    period: Period
    outcome: RunOutcome
    reason: str = ""
    out_trade_no: str | None = None
    amount: Money | None = None
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "order_id": self.order_id,
            "period": self.period.index,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(),
            "outcome": self.outcome.value,
            "reason": self.reason,
            "out_trade_no": self.out_trade_no,
            "amount": None if self.amount is None else self.amount.to_json(),
            "title": self.title,
        }

    def sentence(self) -> str:
        """The line the person reads (chat, ``trustcart standing list``)."""
        when = f"{self.period.start:%Y-%m-%d}..{self.period.end:%Y-%m-%d}"
        if self.outcome is RunOutcome.PAID:
            return (
                f"standing order {self.order_id} ({when}): bought {self.title} for "
                f"{self.amount}, order {self.out_trade_no}"
            )
        if self.outcome is RunOutcome.SKIPPED:
            return f"standing order {self.order_id} ({when}): nothing bought ({self.reason})"
        return f"standing order {self.order_id} ({when}): running"


class StandingBook(Protocol):
    """Where standing orders and their runs are kept (``local.standing_book``: SQL)."""

    def add(self, order: StandingOrder) -> None: ...

    def orders(self, owner: str) -> list[StandingOrder]: ...

    def claim(self, order: StandingOrder, period: Period, now: datetime) -> str | None:
        """A new run id, or None when this (order, period) was claimed already."""
        ...

    def finish(self, run: StandingRun, now: datetime) -> None: ...

    def runs(self, owner: str) -> list[StandingRun]: ...


class Shopping(Protocol):
    """What the runner needs of ``ShoppingTools`` (the same tools chat and MCP use)."""

    def compare(self, text: str) -> dict[str, Any]: ...

    def propose_cart(self, option_id: str) -> dict[str, Any]: ...

    def pay(self, proposal_id: str, delegation_id: str | None = None) -> dict[str, Any]: ...

    def all_delegations(self) -> list[Delegation]: ...


def spent_in_period(
    purchases: Sequence[Purchase], delegation_id: str, period: Period, currency: str
) -> Money:
    """What the PSP's signed receipts say was paid under ``delegation_id`` within ``period``."""
    total = Money.zero(currency)
    for purchase in purchases:
        if purchase.iac.delegation_id != delegation_id:
            continue
        paid_at = parse_instant(str(purchase.receipt.payload.get("paid_at")))
        if period.start <= paid_at < period.end:
            total = total + purchase.receipt.amount
    return total


def cheapest_within(options: Sequence[Mapping[str, Any]], room: Money) -> Mapping[str, Any] | None:
    """The cheapest option whose total is at most ``room`` (None: nothing fits).

    >>> offer = lambda i, a: {"option_id": i, "total": {"amount": a, "currency": "CNY"}}
    >>> cheapest_within([offer("a", "35.00"), offer("b", "29.00"), offer("c", "41.00")],
    ...                 Money.parse("30.00", "CNY"))["option_id"]
    'b'
    """
    fitting = [
        (Money.from_json(option["total"]), index, option)
        for index, option in enumerate(options)
        if Money.from_json(option["total"]).currency == room.currency
        and Money.from_json(option["total"]) <= room
    ]
    return min(fitting, key=lambda found: (found[0].minor, found[1]))[2] if fitting else None


def recurring_isr(
    words: StandingOrderWords, *, intent_id: str, agent_id: str, now: datetime
) -> ISR:
    """The BOUNDED, recurring ISR the person is asked to sign for ``words``."""
    draft = replace(words.draft, delegated=True, max_total=words.max_total, period=words.end - now)
    isr = build_isr(
        draft, intent_id=intent_id, agent_id=agent_id, now=now, max_total=words.max_total
    )
    commerce = replace(
        isr.commerce,
        max_single=words.period_cap,
        max_total_quantity=None,
        recurrence=words.recurrence,
    )
    return replace(
        isr,
        user_intent_raw=words.text,  # the person's own words, recurrence and all
        delegation_mode=DelegationMode.BOUNDED,
        validity_end=words.end,
        max_total=words.max_total,
        commerce=commerce,
    )


def standing_request(words: StandingOrderWords, isr: ISR) -> ApprovalRequest:
    """What the person reads in their wallet before signing the recurring delegation."""
    summary = (
        f"Let the agent buy {words.item} for you {_every(words.recurrence)} without asking: "
        f"at most {words.period_cap} per period, {isr.max_total} in total, "
        f"until {isr.validity_end:%Y-%m-%d %H:%M} UTC"
    )
    return ApprovalRequest(ApprovalKind.STANDING_ORDER, summary, isr.max_total, ())


def _every(rule: Recurrence) -> str:
    unit = {"D": "day", "W": "week", "M": "month"}[rule.unit.value]
    return f"every {unit}" if rule.count == 1 else f"every {rule.count} {unit}s"


Authorize = Callable[[ISR, ApprovalRequest], Delegation]


class StandingOrders:
    """Creates standing orders and runs the due ones for one person (``owner``)."""

    def __init__(
        self,
        tools: Shopping,
        book: StandingBook,
        *,
        owner: str,
        purchases: Callable[[], Sequence[Purchase]],
        new_id: Callable[[str], str],
        active: Callable[[Delegation], bool] = lambda _delegation: True,
    ) -> None:
        self._tools = tools
        self._book = book
        self._owner = owner
        self._purchases = purchases
        self._new_id = new_id
        # Whether the status service says the credential is usable: a revoked (stopped) order
        # is neither claimed nor searched; the PSP would refuse it anyway.
        self._active = active

    def orders(self) -> list[StandingOrder]:
        return self._book.orders(self._owner)

    def runs(self) -> list[StandingRun]:
        return self._book.runs(self._owner)

    def create(
        self, text: str, authorize: Authorize, *, intent_id: str, agent_id: str, now: datetime
    ) -> tuple[StandingOrder, Delegation]:
        """Read ``text``, have the person sign the recurring IAC (``authorize``), keep it."""
        words = read_standing_order(text, now=now)
        if words is None:
            raise ToolRefused(
                ToolCode.NOT_A_STANDING_ORDER,
                "say what to buy, how often and the cap (e.g. 'restock printer paper every "
                "month under 40')",
            )
        isr = recurring_isr(words, intent_id=intent_id, agent_id=agent_id, now=now)
        delegation = authorize(isr, standing_request(words, isr))
        order = StandingOrder(
            self._new_id("so"), self._owner, delegation.iac.delegation_id, words.item, now
        )
        self._book.add(order)
        return order, delegation

    def run_due(self, now: datetime, *, only: str | None = None) -> list[StandingRun]:
        """Run every standing order (or the order ``only``) whose current period has not run
        yet (see the module doc)."""
        delegations = {d.iac.delegation_id: d for d in self._tools.all_delegations()}
        done = []
        for order in self._book.orders(self._owner):
            if only is not None and order.order_id != only:
                continue
            delegation = delegations.get(order.delegation_id)
            rule = None if delegation is None else delegation.iac.commerce.recurrence
            if delegation is None or rule is None or not delegation.iac.in_window(now):
                continue  # ended, not started, or not a recurring credential: nothing is due
            try:
                period = rule.period_at(delegation.iac.validity_start, now)
            except PeriodError:
                continue
            if not self._active(delegation):
                continue  # revoked or suspended (or the status service is silent): wait
            run_id = self._book.claim(order, period, now)
            if run_id is None:
                continue  # this period ran (or is running) elsewhere: never buy twice
            run = self._buy(order, delegation, rule, period, run_id)
            self._book.finish(run, now)
            done.append(run)
        return done

    def _buy(
        self,
        order: StandingOrder,
        delegation: Delegation,
        rule: Recurrence,
        period: Period,
        run_id: str,
    ) -> StandingRun:
        iac = delegation.iac
        purchases = self._purchases()
        spent_period = spent_in_period(purchases, iac.delegation_id, period, iac.currency)
        spent_total = spent_in_period(
            purchases,
            iac.delegation_id,
            Period(-1, iac.validity_start, iac.validity_end),
            iac.currency,
        )
        room = min(rule.period_cap - spent_period, iac.max_total - spent_total)
        skipped = StandingRun(run_id, order.order_id, period, RunOutcome.SKIPPED)
        try:
            options = self._tools.compare(order.item)["options"]
        except ToolRefused as refusal:
            return replace(skipped, reason=refusal.code)
        chosen = cheapest_within(options, room) if room.minor > 0 else None
        if chosen is None:
            reason = SkipReason.PRICE_ABOVE_CAP if options else SkipReason.NOTHING_FOUND
            return replace(skipped, reason=reason.value)
        try:
            proposal = self._tools.propose_cart(str(chosen["option_id"]))
            paid = self._tools.pay(str(proposal["proposal_id"]), iac.delegation_id)
        except ToolRefused as refusal:
            return replace(skipped, reason=(refusal.reasons or (refusal.code,))[0])
        first = paid["orders"][0]
        return StandingRun(
            run_id,
            order.order_id,
            period,
            RunOutcome.PAID,
            out_trade_no=str(first["out_trade_no"]),
            amount=Money.from_json(chosen["total"]),
            title=str(chosen["items"][0]["title"]),
        )
