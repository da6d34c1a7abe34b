"""L3 autonomous payments (ACT PSD-PAY-AUP): the stages and the pure self-check pipeline.

Under a ``BOUNDED`` IAC the agent pays many times without asking. Before each payment it checks
the seller's requirement against the IAC and its own state, stage by stage, and stops at the
first stage that fails; the payment provider then runs its own checks (``payments.aup``), which
name their failing stage with the same ``AupStage`` values. One enum, one order, two sides that
never trust each other (ACT: "local checks don't replace the PSP's").

Stages, in the order both sides run them (the agent runs the ones it can know about):

    request       the payment request itself is malformed (PSP only)
    tool          the payment instrument: a token or sub-account bound to this agent and IAC
    credential    the IAC verifies with the delegator's key and delegates to this agent (PSP)
    mode          the IAC is ``BOUNDED``; a ``SPECIFIED`` IAC is not enough for AUP
    validity      the IAC is in its window and Active
    task          the requirement belongs to this delegation, intent (the task) and agent
    budget        amount, single limits, cumulative total and quantity (PSP successes only)
    counterparty  the merchant is allowed and not forbidden
    category      every category is within the allowed ones and none is forbidden
    method        the payment method is allowed
    funds         the account can pay and the order was not paid already (PSP only)

Rules: the cumulative spend the budget stage uses is ``SpendSoFar`` built from the PSP's signed
receipts only (zero before the first payment); a stage either passes or names reason codes
(``ConstraintReason`` values or the ``AupReason`` codes below).

>>> AupVerdict.passed().ok, STAGE_ORDER.index(AupStage.MODE) < STAGE_ORDER.index(AupStage.BUDGET)
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.delegation.constraints import (
    REASON_TEXT,
    ConstraintReason,
    PurchaseFacts,
    SpendSoFar,
    evaluate_purchase,
)
from trustcart.delegation.iac import IAC
from trustcart.delegation.terms import DelegationMode


class AupStage(StrEnum):
    """Where an autonomous payment was stopped (ordered as the checks run)."""

    REQUEST = "request"
    TOOL = "tool"
    CREDENTIAL = "credential"
    MODE = "mode"
    VALIDITY = "validity"
    TASK = "task"
    BUDGET = "budget"
    COUNTERPARTY = "counterparty"
    CATEGORY = "category"
    METHOD = "method"
    FUNDS = "funds"


STAGE_ORDER: tuple[AupStage, ...] = tuple(AupStage)

# What the agent can check itself, in order (it has no delegator key registry nor the ledger).
SELF_CHECK_STAGES: tuple[AupStage, ...] = (
    AupStage.TOOL,
    AupStage.MODE,
    AupStage.VALIDITY,
    AupStage.TASK,
    AupStage.BUDGET,
    AupStage.COUNTERPARTY,
    AupStage.CATEGORY,
    AupStage.METHOD,
)


class AupReason(StrEnum):
    """Self-check reasons that are not IAC constraint reasons."""

    NOT_BOUNDED = "aup-not-bounded"
    INSTRUMENT_UNAVAILABLE = "instrument-unavailable"
    OTHER_TASK = "requirement-other-task"


_TEXT: dict[str, str] = {
    AupReason.NOT_BOUNDED: "a SPECIFIED IAC is not enough for autonomous payment",
    AupReason.INSTRUMENT_UNAVAILABLE: "no usable payment instrument for this delegation",
    AupReason.OTHER_TASK: "the requirement belongs to another delegation, task or agent",
    **{str(reason): text for reason, text in REASON_TEXT.items()},
}

# Each IAC constraint reason belongs to exactly one stage.
CONSTRAINT_STAGE: dict[ConstraintReason, AupStage] = {
    ConstraintReason.OUTSIDE_VALIDITY_WINDOW: AupStage.VALIDITY,
    ConstraintReason.CURRENCY_MISMATCH: AupStage.BUDGET,
    ConstraintReason.INVALID_AMOUNT: AupStage.BUDGET,
    ConstraintReason.OVER_SINGLE_LIMIT: AupStage.BUDGET,
    ConstraintReason.UNDER_SINGLE_MINIMUM: AupStage.BUDGET,
    ConstraintReason.OVER_TOTAL_BUDGET: AupStage.BUDGET,
    ConstraintReason.OVER_QUANTITY: AupStage.BUDGET,
    ConstraintReason.MERCHANT_NOT_ALLOWED: AupStage.COUNTERPARTY,
    ConstraintReason.MERCHANT_FORBIDDEN: AupStage.COUNTERPARTY,
    ConstraintReason.CATEGORY_NOT_ALLOWED: AupStage.CATEGORY,
    ConstraintReason.CATEGORY_FORBIDDEN: AupStage.CATEGORY,
    ConstraintReason.PAYMENT_METHOD_NOT_ALLOWED: AupStage.METHOD,
}


def _text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{name} must be a non-empty string")


@dataclass(frozen=True)
class Requirement:
    """What the seller asks to be paid (its confirmed cart, or an A402 ``Payment-Needed``),
    as the self-check needs it. Built only from the seller-signed object."""

    delegation_id: str
    intent_id: str
    agent_id: str
    merchant_id: str
    categories: tuple[str, ...]
    amount: Money
    quantity: int
    method_id: str

    def __post_init__(self) -> None:
        for name in ("delegation_id", "intent_id", "agent_id", "merchant_id", "method_id"):
            _text(getattr(self, name), name)
        if not isinstance(self.amount, Money):
            raise ValidationError("amount must be Money")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValidationError("quantity must be an integer")
        if not isinstance(self.categories, tuple):
            raise ValidationError("categories must be a tuple")

    def facts(self, at: datetime) -> PurchaseFacts:
        return PurchaseFacts(
            merchant_id=self.merchant_id,
            categories=self.categories,
            amount=self.amount,
            quantity=self.quantity,
            payment_method=self.method_id,
            at=at,
        )


@dataclass(frozen=True)
class Instrument:
    """The payment instrument the agent holds: a bound token (or a sub-account's) reference."""

    reference: str
    delegation_id: str
    agent_id: str
    expires_at: datetime | None = None
    frozen: bool = False

    def usable_for(self, iac: IAC, now: datetime) -> bool:
        return (
            bool(self.reference)
            and not self.frozen
            and self.delegation_id == iac.delegation_id
            and self.agent_id == iac.agent_id
            and (self.expires_at is None or now < self.expires_at)
        )


@dataclass(frozen=True)
class AupVerdict:
    """The first failing stage and its reasons, or ``stage is None`` when every stage passed."""

    stage: AupStage | None
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.stage is None) != (not self.reasons):
            raise ValidationError("a failing stage has reasons and a passing verdict has none")

    @classmethod
    def passed(cls) -> AupVerdict:
        return cls(None)

    @property
    def ok(self) -> bool:
        return self.stage is None

    def explain(self) -> str:
        if self.stage is None:
            return "every stage passed"
        return f"{self.stage}: " + "; ".join(_TEXT.get(r, r) for r in self.reasons)


@dataclass(frozen=True)
class SelfCheckInput:
    iac: IAC
    requirement: Requirement
    instrument: Instrument
    spent: SpendSoFar
    now: datetime


def _tool(c: SelfCheckInput) -> tuple[str, ...]:
    ok = c.instrument.usable_for(c.iac, c.now)
    return () if ok else (AupReason.INSTRUMENT_UNAVAILABLE,)


def _mode(c: SelfCheckInput) -> tuple[str, ...]:
    return () if c.iac.delegation_mode is DelegationMode.BOUNDED else (AupReason.NOT_BOUNDED,)


def _task(c: SelfCheckInput) -> tuple[str, ...]:
    r, iac = c.requirement, c.iac
    same = (r.delegation_id, r.intent_id, r.agent_id) == (
        iac.delegation_id,
        iac.intent_id,
        iac.agent_id,
    )
    return () if same else (AupReason.OTHER_TASK,)


def constraint_stages(
    iac: IAC, facts: PurchaseFacts, spent: SpendSoFar
) -> dict[AupStage, tuple[str, ...]]:
    """The IAC's constraint reasons for this purchase, grouped by stage."""
    grouped: dict[AupStage, list[str]] = {}
    for reason in evaluate_purchase(iac, facts, spent).reasons:
        grouped.setdefault(CONSTRAINT_STAGE[reason], []).append(str(reason))
    return {stage: tuple(reasons) for stage, reasons in grouped.items()}


def self_check(
    iac: IAC,
    requirement: Requirement,
    instrument: Instrument,
    spent: SpendSoFar,
    now: datetime,
) -> AupVerdict:
    """Run the agent's stages in order; return the first that fails (or a passing verdict).

    ``spent`` must come from the PSP's signed receipts of this delegation (successes only).
    """
    given = SelfCheckInput(iac, requirement, instrument, spent, now)
    by_constraint = constraint_stages(iac, requirement.facts(now), spent)
    own: dict[AupStage, Callable[[SelfCheckInput], tuple[str, ...]]] = {
        AupStage.TOOL: _tool,
        AupStage.MODE: _mode,
        AupStage.TASK: _task,
    }
    for stage in SELF_CHECK_STAGES:
        reasons = own[stage](given) if stage in own else by_constraint.get(stage, ())
        if reasons:
            return AupVerdict(stage, tuple(reasons))
    return AupVerdict.passed()
