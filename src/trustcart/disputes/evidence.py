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
from trustcart.trust.bundle_checks import BundleChecks
from trustcart.trust.bundle_format import CheckFailed
from trustcart.trust.events import EventType
from trustcart.trust.evidence import Check, Signer, VerificationReport

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
    unusable_at_payment: str | None = None
    lifecycle_record: str | None = None
    fulfilled_at: datetime | None = None
    fulfilment_record: str | None = None
    cart_digest: str = ""

    def __post_init__(self) -> None:
        if self.trusted and (self.paid is None or self.cart_total is None):
            raise ValueError("trusted evidence needs the amounts it proves")


class _DisputeChecks(BundleChecks):
    """The verifier's checks, except that a lifecycle event (revoked, expired) dated before
    the payment is recorded as a finding instead of failing ``events``: every record has been
    verified by then, and the dispute needs the signed revocation as its evidence."""

    lifecycle_finding: str | None = None

    def _check_lifecycle_at(self, records: Any, paid_at: datetime) -> None:  # type: ignore[override]
        try:
            BundleChecks._check_lifecycle_at(records, paid_at)
        except CheckFailed as e:
            self.lifecycle_finding = str(e)


def _verify(bundle: Any, anchors: TrustAnchors) -> tuple[VerificationReport, str | None]:
    """``trust.evidence.verify_bundle`` with ``_DisputeChecks``; never raises."""
    run = _DisputeChecks(bundle, anchors)
    checks: list[Check] = []
    for name in BundleChecks.CHECK_ORDER:
        try:
            detail = getattr(run, "check_" + name.replace("-", "_"))()
        except CheckFailed as e:
            checks.append(Check(name, False, str(e)))
        except Exception as e:  # fail closed on anything unexpected, as the verifier does
            checks.append(Check(name, False, f"{type(e).__name__}: {e}".rstrip(": ")))
        else:
            checks.append(Check(name, True, detail))
    signers = tuple(
        Signer(party, role, kid, anchors.mismatch(kid, role=role, party=party) is None)
        for kid, (role, party) in sorted(run.roles.items(), key=lambda item: item[1][::-1])
    )
    report = VerificationReport(tuple(checks), anchored=True, signers=signers)
    return report, run.lifecycle_finding


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


_LIFECYCLE = frozenset(
    {
        EventType.DELEGATION_REVOKED.value,
        EventType.DELEGATION_EXPIRED.value,
        EventType.DELEGATION_SUSPENDED.value,
    }
)


def _lifecycle_record(bundle: Mapping[str, Any], paid_at: datetime) -> str | None:
    """The last revoked/expired/suspended record dated at or before the payment."""
    found: list[tuple[datetime, str]] = []
    for event in bundle["events"]:
        payload = peek_payload(event["record"])
        when = parse_instant(payload["event_time"])
        if payload["event_type"] in _LIFECYCLE and when <= paid_at:
            found.append((when, str(payload["record_id"])))
    return max(found)[1] if found else None


def read_evidence(
    bundle: Any, *, anchors: TrustAnchors, out_trade_no: str, trade_no: str
) -> Evidence:
    """Verify ``bundle`` against ``anchors`` and read the facts about order ``out_trade_no``.

    >>> read_evidence(None, anchors=TrustAnchors(()), out_trade_no="o", trade_no="t").problem
    'no evidence bundle could be gathered'
    """
    if bundle is None:
        return _untrusted(None, "no evidence bundle could be gathered", incomplete=True)
    report, lifecycle = _verify(bundle, anchors)
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
        paid_at = parse_instant(receipt["paid_at"])
        lifecycle_record = _lifecycle_record(bundle, paid_at) if lifecycle else None
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
            paid_at=paid_at,
            outside_iac=tuple(name for name in failed if name in AUTHORIZATION_CHECKS),
            price_mismatch=failed.get(PRICE_CHECK),
            unusable_at_payment=lifecycle,
            lifecycle_record=lifecycle_record,
            fulfilled_at=fulfilled_at,
            fulfilment_record=fulfilment,
            cart_digest=str(receipt["cart_digest"]),
        )
    except Exception as e:  # fail closed: a verified bundle we cannot read goes to a person
        return _untrusted(report, f"unreadable evidence: {type(e).__name__}", incomplete=True)
