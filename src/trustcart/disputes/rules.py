"""The dispute rules: verified evidence and facts in, a proposed disposition out (pure).

The rules, first match wins (docs/disputes.md has the table):

1. the bundle is missing or incomplete -> ``review`` (``evidence-incomplete``);
   an integrity check failed (a signature, the log, the anchors) -> ``review``
   (``evidence-tampered``); no anchors, or a bundle about another order -> ``review``
   (``evidence-unverifiable``). Fail closed: the rules never decide on evidence they cannot trust.
2. the PSP paid although an authorization check fails (status not Active at payment, outside
   the IAC's validity, merchant, items or limits, L1 approval missing) -> the PSP refunds all
   (``paid-outside-iac``): it should have refused.
3. a signed ``delegation-revoked`` / ``-expired`` record dated at or before the payment, or a
   ``-suspended`` one not resumed by then -> the PSP refunds all (``paid-after-revocation``).
4. the receipt charged more than the merchant-signed cart total -> the merchant refunds the
   difference (``price-changed-after-cart``); any other receipt/cart disagreement -> review.
5. delivery, against the promise (cart confirmation + the merchant's delivery time):
   fulfilled by the promise -> ``declined`` (``delivered-as-confirmed``, resting on the signed
   cart, receipt and ``fulfillment-completed`` record); fulfilled later -> the merchant
   refunds all (``fulfilled-late``); not fulfilled and the promise has passed -> the merchant
   refunds all (``not-fulfilled-in-time``); not yet due -> ``declined``
   (``delivery-not-yet-due``); no promise known -> ``review`` (``no-delivery-promise``).

A refund is capped at what is still refundable (paid minus already refunded); when nothing is
left the claim is declined (``already-refunded``). A disposition names the evidence items it
rests on: ``check:<name>``, ``record:<record id>``, ``cart:<digest>``, ``receipt:<trade no>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.disputes.evidence import Evidence


class Outcome(StrEnum):
    PSP_REFUND = "psp-refund"
    MERCHANT_REFUND = "merchant-refund"
    DECLINED = "declined"
    REVIEW = "review"


REFUNDING = frozenset({Outcome.PSP_REFUND, Outcome.MERCHANT_REFUND})


class ReasonCode(StrEnum):
    EVIDENCE_INCOMPLETE = "evidence-incomplete"
    EVIDENCE_TAMPERED = "evidence-tampered"
    EVIDENCE_UNVERIFIABLE = "evidence-unverifiable"
    PAID_OUTSIDE_IAC = "paid-outside-iac"
    PAID_AFTER_REVOCATION = "paid-after-revocation"
    PRICE_CHANGED = "price-changed-after-cart"
    RECEIPT_MISMATCH = "receipt-cart-mismatch"
    DELIVERED_AS_CONFIRMED = "delivered-as-confirmed"
    FULFILLED_LATE = "fulfilled-late"
    NOT_FULFILLED_IN_TIME = "not-fulfilled-in-time"
    NOT_YET_DUE = "delivery-not-yet-due"
    NO_DELIVERY_PROMISE = "no-delivery-promise"
    ALREADY_REFUNDED = "already-refunded"


@dataclass(frozen=True)
class Disposition:
    """The proposed outcome, its reason code, the refund (refunding outcomes only, positive)
    and the evidence items it rests on."""

    outcome: Outcome
    reason: ReasonCode
    refund: Money | None
    evidence: tuple[str, ...]
    detail: str

    def __post_init__(self) -> None:
        if (self.refund is not None) != (self.outcome in REFUNDING):
            raise ValidationError("a refund comes with a refunding outcome, and only then")
        if self.refund is not None and self.refund.minor <= 0:
            raise ValidationError("a refund is positive")

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "reason_code": self.reason.value,
            "refund": self.refund.to_json() if self.refund else None,
            "evidence": list(self.evidence),
            "detail": self.detail,
        }


def capped_refund(claimed: Money, refundable: Money) -> Money:
    """What may be refunded of ``claimed`` when ``refundable`` is left: never more, never < 0.

    >>> capped_refund(Money(500, "CNY"), Money(300, "CNY"))
    Money(minor=300, currency='CNY')
    """
    if claimed.currency != refundable.currency:
        raise ValidationError("a refund is in the currency paid")
    return Money(max(0, min(claimed.minor, refundable.minor)), claimed.currency)


def _review(reason: ReasonCode, detail: str, evidence: tuple[str, ...] = ()) -> Disposition:
    return Disposition(Outcome.REVIEW, reason, None, evidence, detail)


def _refund(
    outcome: Outcome,
    reason: ReasonCode,
    *,
    claimed: Money,
    refundable: Money,
    evidence: tuple[str, ...],
    detail: str,
) -> Disposition:
    amount = capped_refund(claimed, refundable)
    if amount.minor == 0:
        return Disposition(
            Outcome.DECLINED,
            ReasonCode.ALREADY_REFUNDED,
            None,
            evidence,
            f"{detail}; nothing is left to refund",
        )
    return Disposition(outcome, reason, amount, evidence, detail)


def decide(
    evidence: Evidence, *, promised_by: datetime | None, refundable: Money, now: datetime
) -> Disposition:
    """Apply the rules above, first match wins; see the module docstring."""
    if not evidence.trusted:
        if evidence.incomplete:
            reason = ReasonCode.EVIDENCE_INCOMPLETE
        elif evidence.tampered:
            reason = ReasonCode.EVIDENCE_TAMPERED
        else:
            reason = ReasonCode.EVIDENCE_UNVERIFIABLE
        return _review(reason, evidence.problem or "the evidence cannot be trusted")
    paid, cart_total, paid_at = evidence.paid, evidence.cart_total, evidence.paid_at
    if paid is None or cart_total is None or paid_at is None:  # pragma: no cover - __post_init__
        return _review(ReasonCode.EVIDENCE_INCOMPLETE, "the evidence lacks the payment")
    base = (f"cart:{evidence.cart_digest}", f"receipt:{evidence.trade_no}")
    if evidence.outside_iac:
        checks = tuple(f"check:{name}" for name in evidence.outside_iac)
        return _refund(
            Outcome.PSP_REFUND,
            ReasonCode.PAID_OUTSIDE_IAC,
            claimed=paid,
            refundable=refundable,
            evidence=(*base, *checks),
            detail=f"the payment provider paid although {', '.join(evidence.outside_iac)} failed",
        )
    if evidence.unusable_at_payment is not None:
        return _refund(
            Outcome.PSP_REFUND,
            ReasonCode.PAID_AFTER_REVOCATION,
            claimed=paid,
            refundable=refundable,
            evidence=(*base, f"record:{evidence.lifecycle_record}"),
            detail=f"the IAC was not usable when paid: {evidence.unusable_at_payment}",
        )
    if evidence.price_mismatch is not None:
        if paid.currency == cart_total.currency and paid.minor > cart_total.minor:
            return _refund(
                Outcome.MERCHANT_REFUND,
                ReasonCode.PRICE_CHANGED,
                claimed=paid - cart_total,
                refundable=refundable,
                evidence=(*base, "check:receipt-matches-cart"),
                detail=f"paid {paid}, the signed cart says {cart_total}",
            )
        return _review(ReasonCode.RECEIPT_MISMATCH, evidence.price_mismatch, base)
    return _delivery(
        evidence, base, paid=paid, promised_by=promised_by, refundable=refundable, now=now
    )


def _delivery(
    evidence: Evidence,
    base: tuple[str, ...],
    *,
    paid: Money,
    promised_by: datetime | None,
    refundable: Money,
    now: datetime,
) -> Disposition:
    fulfilled = evidence.fulfilled_at
    record = (f"record:{evidence.fulfilment_record}",) if fulfilled else ()
    if promised_by is None:
        return _review(ReasonCode.NO_DELIVERY_PROMISE, "no delivery promise is known", base)
    if fulfilled is not None and fulfilled <= promised_by:
        return Disposition(
            Outcome.DECLINED,
            ReasonCode.DELIVERED_AS_CONFIRMED,
            None,
            (*base, *record),
            "paid within the IAC and fulfilled as confirmed, by the promised time",
        )
    if fulfilled is not None:
        return _refund(
            Outcome.MERCHANT_REFUND,
            ReasonCode.FULFILLED_LATE,
            claimed=paid,
            refundable=refundable,
            evidence=(*base, *record),
            detail="fulfilled after the promised time",
        )
    if now > promised_by:
        return _refund(
            Outcome.MERCHANT_REFUND,
            ReasonCode.NOT_FULFILLED_IN_TIME,
            claimed=paid,
            refundable=refundable,
            evidence=base,
            detail="not fulfilled by the promised time",
        )
    return Disposition(
        Outcome.DECLINED,
        ReasonCode.NOT_YET_DUE,
        None,
        base,
        "the promised delivery time has not passed yet",
    )
