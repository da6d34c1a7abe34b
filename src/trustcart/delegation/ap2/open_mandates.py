"""Open AP2 payment mandates (``mandate.payment.open.1``, human not present): their constraints
judged against a closed payment mandate, and against the IAC they would be used under.

Strategy: an open mandate is the person's standing instruction; the agent later closes it with
a payment mandate signed by the ``cnf`` key. Two questions, each answered by refusing:

1. does the closed mandate meet every constraint (``check_closed_meets_open``)? AP2: "any
   unknown Constraints MUST be treated as failing evaluation", so a constraint trustcart does
   not evaluate is ``ap2-constraint-unknown``, never skipped;
2. is the open mandate inside the IAC (``check_open_within_iac``)? A mandate may narrow an IAC,
   never widen it: its amount range, payees, instruments, budget and lifetime must all fit.

Evaluated here: ``payment.amount_range``, ``payment.allowed_payees``,
``payment.allowed_payment_instruments``, ``payment.reference`` and ``payment.budget`` (its
``max`` read as minor units, like every AP2 amount; a non-integer is unknown). Not evaluated,
hence refused: ``payment.agent_recurrence``, ``payment.allowed_pisps``,
``payment.execution_date``. The claims are taken as verified by the caller (``dsdjwt``
verifies the delegation chain that carries them). A ``payment.budget`` must be the IAC's total
(``check_budget_bound_by_iac``), and the closed mandate must keep every claim the open one
pre-sets (``check_open_claims_kept``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trustcart.core.money import Money
from trustcart.delegation.ap2 import schemas
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.mandates import MandateType, PaymentMandate
from trustcart.delegation.ap2.schemas import AP2Schema
from trustcart.delegation.iac import IAC

_UNMET, _UNKNOWN, _WIDER = (
    AP2Refusal.CONSTRAINT_UNMET,
    AP2Refusal.CONSTRAINT_UNKNOWN,
    AP2Refusal.WIDER_THAN_IAC,
)
EVALUATED = frozenset(
    {
        "payment.amount_range",
        "payment.allowed_payees",
        "payment.allowed_payment_instruments",
        "payment.reference",
        "payment.budget",
    }
)


@dataclass(frozen=True)
class OpenPaymentMandate:
    """An open payment mandate's constraints and lifetime (claims verified by the caller)."""

    constraints: tuple[Mapping[str, Any], ...]
    expires_at: datetime

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], now: datetime) -> OpenPaymentMandate:
        """Refuse a wrong ``vct``, a schema violation, or a missing / past ``exp``."""
        if claims.get("vct") != MandateType.OPEN_PAYMENT.value:
            raise MandateRefused(AP2Refusal.WRONG_TYPE, "expected an open payment mandate")
        schemas.validate(AP2Schema.OPEN_PAYMENT_MANDATE, dict(claims))
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int):
            raise MandateRefused(AP2Refusal.EXPIRED, "the open mandate has no integer exp")
        expires_at = datetime.fromtimestamp(exp, UTC)
        if expires_at <= now:
            raise MandateRefused(AP2Refusal.EXPIRED, "the open mandate has expired")
        return cls(tuple(claims["constraints"]), expires_at)

    def of_type(self, kind: str) -> list[Mapping[str, Any]]:
        return [c for c in self.constraints if c.get("type") == kind]


def _ids(constraint: Mapping[str, Any]) -> set[str]:
    """The revealed elements' ids (the verifier drops undisclosed array elements)."""
    return {e["id"] for e in constraint.get("allowed", []) if isinstance(e.get("id"), str)}


def _budget(constraint: Mapping[str, Any]) -> Money:
    maximum = constraint["max"]
    if isinstance(maximum, float) and maximum.is_integer():
        maximum = int(maximum)
    if isinstance(maximum, bool) or not isinstance(maximum, int):
        raise MandateRefused(_UNKNOWN, "payment.budget max is not a whole number of minor units")
    try:
        return Money(maximum, constraint["currency"])
    except ValueError as e:
        raise MandateRefused(_UNKNOWN, f"payment.budget: {e}") from e


def _range(constraint: Mapping[str, Any]) -> tuple[Money | None, Money]:
    currency = constraint["currency"]
    try:
        low = Money(constraint["min"], currency) if "min" in constraint else None
        return low, Money(constraint["max"], currency)
    except ValueError as e:
        raise MandateRefused(_UNKNOWN, f"payment.amount_range: {e}") from e


def check_closed_meets_open(
    closed: PaymentMandate, open_mandate: OpenPaymentMandate, *, checkout_reference: str | None
) -> None:
    """Refuse unless ``closed`` meets every constraint of ``open_mandate`` (module doc).

    ``checkout_reference``: the digest of the open checkout mandate the payment belongs to
    (``payment.reference``), if one was presented.
    """
    for constraint in open_mandate.constraints:
        kind = constraint.get("type")
        if kind not in EVALUATED:
            raise MandateRefused(_UNKNOWN, f"constraint {kind!r} is not evaluated here")
        if kind == "payment.amount_range":
            low, high = _range(constraint)
            if closed.amount.currency != high.currency or closed.amount > high:
                raise MandateRefused(_UNMET, "the amount is outside the open mandate's range")
            if low is not None and closed.amount < low:
                raise MandateRefused(_UNMET, "the amount is below the open mandate's range")
        elif kind == "payment.allowed_payees" and closed.payee_id not in _ids(constraint):
            raise MandateRefused(_UNMET, "the payee is not among the revealed allowed payees")
        elif kind == "payment.allowed_payment_instruments" and closed.instrument_id not in _ids(
            constraint
        ):
            raise MandateRefused(_UNMET, "the instrument is not among the allowed ones")
        elif kind == "payment.reference" and (
            constraint["conditional_transaction_id"] != checkout_reference
        ):
            raise MandateRefused(_UNMET, "the payment is for another open checkout mandate")
        elif kind == "payment.budget":
            budget = _budget(constraint)
            if closed.amount.currency != budget.currency or closed.amount > budget:
                raise MandateRefused(_UNMET, "the amount is above the open mandate's budget")
    if closed.expires_at > open_mandate.expires_at:
        raise MandateRefused(_UNMET, "the closed mandate outlives its open mandate")


def check_open_within_iac(open_mandate: OpenPaymentMandate, iac: IAC) -> None:
    """Refuse an open mandate that grants anything the IAC does not (module doc)."""
    commerce = iac.commerce
    ceiling = (
        iac.max_total if commerce.max_single is None else min(iac.max_total, commerce.max_single)
    )
    for constraint in open_mandate.of_type("payment.amount_range"):
        _, high = _range(constraint)
        if high.currency != iac.currency or high > ceiling:
            raise MandateRefused(_WIDER, "the open amount range is above the IAC's limit")
    for constraint in open_mandate.of_type("payment.budget"):
        budget = _budget(constraint)
        if budget.currency != iac.currency or budget > iac.max_total:
            raise MandateRefused(_WIDER, "the open budget is above the IAC's total")
    for constraint in open_mandate.of_type("payment.allowed_payees"):
        payees = _ids(constraint)
        if commerce.allowed_merchants and not payees <= set(commerce.allowed_merchants):
            raise MandateRefused(_WIDER, "the open mandate allows payees the IAC does not")
        if payees & set(commerce.forbidden_merchants):
            raise MandateRefused(_WIDER, "the open mandate allows a payee the IAC forbids")
    for constraint in open_mandate.of_type("payment.allowed_payment_instruments"):
        methods = _ids(constraint)
        if iac.allowed_payment_methods and not methods <= set(iac.allowed_payment_methods):
            raise MandateRefused(_WIDER, "the open mandate allows instruments the IAC does not")
    if open_mandate.expires_at > iac.validity_end:
        raise MandateRefused(_WIDER, "the open mandate outlives the IAC")


def check_budget_bound_by_iac(open_mandate: OpenPaymentMandate, iac: IAC) -> None:
    """Refuse a ``payment.budget`` the PSP cannot hold to across payments.

    AP2's budget counts every payment closed under the open mandate. The PSP's budget ledger
    counts, atomically under its row lock, every success under the IAC, which includes them:
    so a budget *equal* to the IAC's ``max_total`` is held by that ledger exactly. A narrower
    budget would need a per-mandate count the PSP does not keep; it is refused as not
    evaluated (``ap2-constraint-unknown``), never passed.
    """
    for constraint in open_mandate.of_type("payment.budget"):
        if _budget(constraint) != iac.max_total:
            raise MandateRefused(
                _UNKNOWN, "a payment.budget other than the IAC's total is not tracked per mandate"
            )


# Claims of an open mandate that are about the mandate itself, not the payment it allows.
_OWN_CLAIMS = frozenset({"vct", "constraints", "cnf", "iat", "exp"})


def check_open_claims_kept(open_claims: Mapping[str, Any], closed: Mapping[str, Any]) -> None:
    """AP2: "verify the closed Mandate Content has these values unchanged" for every claim the
    open mandate pre-sets (``payee``, ``payment_amount``...)."""
    for name, value in open_claims.items():
        if name not in _OWN_CLAIMS and closed.get(name) != value:
            raise MandateRefused(_UNMET, f"the closed mandate changes the open mandate's {name}")
