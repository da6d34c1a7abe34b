"""Read a purchase's evidence bundle into the facts a dispute is decided on (pure).

Strategy: run the offline verifier (TSD-ATT-SVF, ``trust.evidence.verify_bundle``) against
the *installation's* trust anchors, never the bundle's own keys, then sort its checks in two:

* integrity checks (format, keys, anchors, every signature, the events and their inclusion
  proofs): if one fails, the bundle may have been tampered with and nothing in it is read;
* authorization checks (status Active at payment, IAC validity, merchant, items, limits,
  approval, and the receipt against the cart): these are the questions the dispute asks,
  so a failure here is a *finding*, not a reason to distrust the evidence.

Facts are read only from artifacts whose signature verified: the merchant-signed cart, the
PSP-signed receipt, and the log's records (``delegation-revoked``, ``fulfillment-completed``).
Each fact keeps the id of the evidence item it comes from, so a decision can name the exact
signed evidence it rests on. A bundle without anchors, or about another order, is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.events import EventType
from trustcart.trust.evidence import VerificationReport, verify_bundle

# Checks whose failure is a finding about the purchase; every other check guards integrity.
AUTHORIZATION_CHECKS = frozenset(
    {
        "status-active",
        "iac-validity",
        "cart-binding",
        "cart-merchant",
        "cart-items",
        "amount-within-limits",
        "approval",
    }
)
PRICE_CHECK = "receipt-matches-cart"


@dataclass(frozen=True)
class Evidence:
    """What a verified bundle proves about one purchase.

    ``trusted`` is false when the bundle cannot be relied on (``problem`` says why); the other
    fields are then empty. ``outside_iac`` names the authorization checks that failed.
    """

    report: VerificationReport | None
    trusted: bool
    problem: str | None = None
    incomplete: bool = False
    tampered: bool = False
    out_trade_no: str = ""
    trade_no: str = ""
    merchant_id: str = ""
    cart_total: Money | None = None
    paid: Money | None = None
    paid_at: datetime | None = None
    outside_iac: tuple[str, ...] = ()
    price_mismatch: str | None = None
    revoked_at: datetime | None = None
    revocation_record: str | None = None
    fulfilled_at: datetime | None = None
    fulfilment_record: str | None = None
    cart_digest: str = ""

    def __post_init__(self) -> None:
        if self.trusted and (self.paid is None or self.cart_total is None):
            raise ValueError("trusted evidence needs the amounts it proves")


def _untrusted(
    report: VerificationReport | None, problem: str, *, incomplete: bool, tampered: bool = False
) -> Evidence:
    return Evidence(
        report, trusted=False, problem=problem, incomplete=incomplete, tampered=tampered
    )


def _first_event(
    bundle: Mapping[str, Any], kind: EventType
) -> tuple[datetime, str] | tuple[None, None]:
    found: list[tuple[datetime, str]] = []
    for event in bundle["events"]:
        payload = peek_payload(event["record"])
        if payload["event_type"] == kind.value:
            found.append((parse_instant(payload["event_time"]), str(payload["record_id"])))
    return min(found) if found else (None, None)


def read_evidence(
    bundle: Any, *, anchors: TrustAnchors, out_trade_no: str, trade_no: str
) -> Evidence:
    """Verify ``bundle`` against ``anchors`` and read the facts about order ``out_trade_no``.

    >>> read_evidence(None, anchors=TrustAnchors(()), out_trade_no="o", trade_no="t").problem
    'no evidence bundle could be gathered'
    """
    if bundle is None:
        return _untrusted(None, "no evidence bundle could be gathered", incomplete=True)
    report = verify_bundle(bundle, anchors=anchors)
    broken = [
        check
        for check in report.checks
        if not check.passed and check.name not in AUTHORIZATION_CHECKS | {PRICE_CHECK}
    ]
    if broken:
        first = broken[0]
        missing = "missing field" in first.detail or first.name == "format"
        return _untrusted(
            report, f"{first.name}: {first.detail}", incomplete=missing, tampered=not missing
        )
    if not report.anchored or not report.checks:
        return _untrusted(report, "no trust anchors were given", incomplete=False)
    try:
        cart, receipt = peek_payload(bundle["cart"]), peek_payload(bundle["receipt"])
        if cart["out_trade_no"] != out_trade_no or receipt["trade_no"] != trade_no:
            return _untrusted(report, "the bundle is about another order", incomplete=False)
        revoked_at, revocation = _first_event(bundle, EventType.DELEGATION_REVOKED)
        fulfilled_at, fulfilment = _first_event(bundle, EventType.FULFILLMENT_COMPLETED)
        failed = {check.name: check.detail for check in report.checks if not check.passed}
        return Evidence(
            report,
            trusted=True,
            out_trade_no=out_trade_no,
            trade_no=trade_no,
            merchant_id=str(cart["merchant_id"]),
            cart_total=Money.from_json(cart["total"]),
            paid=Money.from_json(receipt["amount"]),
            paid_at=parse_instant(receipt["paid_at"]),
            outside_iac=tuple(name for name in failed if name in AUTHORIZATION_CHECKS),
            price_mismatch=failed.get(PRICE_CHECK),
            revoked_at=revoked_at,
            revocation_record=revocation,
            fulfilled_at=fulfilled_at,
            fulfilment_record=fulfilment,
            cart_digest=str(receipt["cart_digest"]),
        )
    except Exception as e:  # fail closed: a verified bundle we cannot read goes to a person
        return _untrusted(report, f"unreadable evidence: {type(e).__name__}", incomplete=True)
