"""Each dispute rule on bundles signed by their parties (tests/helpers/bundles), pure."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.bundles import ANCHORS, KEYS, at, build_bundle, cny, valid_bundle
from tests.helpers.clock import T0
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.disputes.evidence import Evidence, read_evidence
from trustcart.disputes.rules import Disposition, Outcome, ReasonCode, capped_refund, decide
from trustcart.trust.anchors import Anchor, TrustAnchors
from trustcart.trust.events import Chain, EventType

PAID = Money(1900, "CNY")
PROMISE = T0 + timedelta(minutes=8)  # bundles are packaged at T0 + 10 min
ORDER = Chain("int_1", "dlg_1", "ord_1", "tr_1")
DELEGATION = Chain("int_1", "dlg_1")


def fulfilled(minutes: float) -> tuple[tuple[EventType, Chain, str, float], ...]:
    return ((EventType.FULFILLMENT_COMPLETED, ORDER, "merchant", minutes),)


def judge(
    bundle: Any,
    *,
    now: datetime = T0 + timedelta(minutes=10),
    promised_by: datetime | None = PROMISE,
    refundable: Money = PAID,
    anchors: TrustAnchors = ANCHORS,
) -> Disposition:
    evidence = read_evidence(bundle, anchors=anchors, out_trade_no="ord_1", trade_no="tr_1")
    return decide(evidence, promised_by=promised_by, refundable=refundable, now=now)


def record_id(bundle: dict[str, Any], kind: EventType) -> str:
    for event in bundle["events"]:
        payload = peek_payload(event["record"])
        if payload["event_type"] == kind.value:
            return str(payload["record_id"])
    raise AssertionError(f"no {kind} in the bundle")


def test_delivered_as_confirmed_is_declined_with_the_exact_signed_evidence() -> None:
    bundle = build_bundle(extra_events=fulfilled(6))
    decision = judge(bundle)
    assert (decision.outcome, decision.reason) == (
        Outcome.DECLINED,
        ReasonCode.DELIVERED_AS_CONFIRMED,
    )
    assert decision.refund is None
    fulfilment = record_id(bundle, EventType.FULFILLMENT_COMPLETED)
    receipt = peek_payload(bundle["receipt"])
    assert decision.evidence == (
        f"cart:{receipt['cart_digest']}",
        "receipt:tr_1",
        f"record:{fulfilment}",
    )


def test_fulfilled_after_the_promise_is_refunded_by_the_merchant() -> None:
    decision = judge(build_bundle(extra_events=fulfilled(9)), now=T0 + timedelta(minutes=10))
    assert (decision.outcome, decision.reason, decision.refund) == (
        Outcome.MERCHANT_REFUND,
        ReasonCode.FULFILLED_LATE,
        PAID,
    )


def test_not_fulfilled_by_the_promise_is_refunded_by_the_merchant() -> None:
    decision = judge(valid_bundle(), now=PROMISE + timedelta(seconds=1))
    assert (decision.outcome, decision.reason, decision.refund) == (
        Outcome.MERCHANT_REFUND,
        ReasonCode.NOT_FULFILLED_IN_TIME,
        PAID,
    )


def test_at_the_promise_itself_the_claim_is_not_yet_due() -> None:
    decision = judge(valid_bundle(), now=PROMISE)
    assert (decision.outcome, decision.reason) == (Outcome.DECLINED, ReasonCode.NOT_YET_DUE)


def test_without_a_delivery_promise_a_person_decides() -> None:
    decision = judge(valid_bundle(), promised_by=None)
    assert (decision.outcome, decision.reason) == (Outcome.REVIEW, ReasonCode.NO_DELIVERY_PROMISE)


def test_paid_outside_the_iac_is_refunded_by_the_psp() -> None:
    def over_single(iac: dict[str, Any]) -> None:
        iac["ext"]["commerce"]["max_single_amount"] = "10.00"

    decision = judge(build_bundle(iac=over_single, extra_events=fulfilled(6)))
    assert (decision.outcome, decision.reason, decision.refund) == (
        Outcome.PSP_REFUND,
        ReasonCode.PAID_OUTSIDE_IAC,
        PAID,
    )
    assert "check:amount-within-limits" in decision.evidence


def test_paid_at_a_merchant_the_iac_forbids_is_refunded_by_the_psp() -> None:
    def forbid(iac: dict[str, Any]) -> None:
        iac["ext"]["commerce"]["forbidden_merchants"] = ["m_tea"]

    decision = judge(build_bundle(iac=forbid, extra_events=fulfilled(6)))
    assert (decision.outcome, decision.reason) == (Outcome.PSP_REFUND, ReasonCode.PAID_OUTSIDE_IAC)
    assert "check:cart-merchant" in decision.evidence


def test_paid_after_revocation_is_refunded_by_the_psp() -> None:
    revoked = ((EventType.DELEGATION_REVOKED, DELEGATION, "status", 4.0),)
    bundle = build_bundle(extra_events=revoked + fulfilled(6))
    decision = judge(bundle)
    assert (decision.outcome, decision.reason, decision.refund) == (
        Outcome.PSP_REFUND,
        ReasonCode.PAID_AFTER_REVOCATION,
        PAID,
    )
    assert f"record:{record_id(bundle, EventType.DELEGATION_REVOKED)}" in decision.evidence


def test_paid_while_suspended_is_refunded_by_the_psp() -> None:
    suspended = ((EventType.DELEGATION_SUSPENDED, DELEGATION, "status", 4.0),)
    decision = judge(build_bundle(extra_events=suspended + fulfilled(6)))
    assert (decision.outcome, decision.reason) == (
        Outcome.PSP_REFUND,
        ReasonCode.PAID_AFTER_REVOCATION,
    )


def test_a_revocation_after_the_payment_does_not_undo_it() -> None:
    revoked = ((EventType.DELEGATION_REVOKED, DELEGATION, "status", 5.0),)
    decision = judge(build_bundle(extra_events=revoked + fulfilled(6)))
    assert decision.reason is ReasonCode.DELIVERED_AS_CONFIRMED


def _overcharge(receipt: dict[str, Any]) -> None:
    receipt["amount"] = cny("21.00")
    receipt["budget"]["spent"] = cny("21.00")
    receipt["budget"]["remaining"] = cny("59.00")


def test_a_price_changed_after_the_cart_was_signed_refunds_the_difference() -> None:
    def approve_more(approval: dict[str, Any]) -> None:
        approval["amount"] = cny("21.00")

    bundle = build_bundle(receipt=_overcharge, approval=approve_more, extra_events=fulfilled(6))
    decision = judge(bundle, refundable=Money(2100, "CNY"))
    assert (decision.outcome, decision.reason, decision.refund) == (
        Outcome.MERCHANT_REFUND,
        ReasonCode.PRICE_CHANGED,
        Money(200, "CNY"),
    )


def test_a_receipt_for_another_cart_goes_to_review() -> None:
    def other_cart(receipt: dict[str, Any]) -> None:
        receipt["cart_digest"] = "sha-256=:AAAA:"

    decision = judge(build_bundle(mode="L2", receipt=other_cart, extra_events=fulfilled(6)))
    assert (decision.outcome, decision.reason) == (Outcome.REVIEW, ReasonCode.RECEIPT_MISMATCH)


@pytest.mark.parametrize("part", ["receipt", "cart", "iac", "tree_head"])
def test_a_tampered_bundle_goes_to_review(part: str) -> None:
    bundle = build_bundle(extra_events=fulfilled(9))
    head, payload, signature = bundle[part].split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    bundle[part] = f"{head}.{payload}.{flipped}"
    decision = judge(bundle, now=T0 + timedelta(minutes=10))
    assert (decision.outcome, decision.reason, decision.refund) == (
        Outcome.REVIEW,
        ReasonCode.EVIDENCE_TAMPERED,
        None,
    )


def test_a_tampered_event_goes_to_review_even_when_the_claim_would_win() -> None:
    bundle = build_bundle(extra_events=fulfilled(9))
    tampered = copy.deepcopy(bundle)
    tampered["events"].pop(0)  # an inclusion proof or the required events no longer hold
    assert judge(bundle, now=T0 + timedelta(minutes=10)).outcome is Outcome.MERCHANT_REFUND
    decision = judge(tampered, now=T0 + timedelta(minutes=10))
    assert decision.outcome is Outcome.REVIEW


def test_a_bundle_signed_by_keys_the_installation_does_not_trust_goes_to_review() -> None:
    stranger = TrustAnchors((Anchor(KEYS["log"].public, "log:trustcart", ("log",)),))
    decision = judge(build_bundle(extra_events=fulfilled(9)), anchors=stranger)
    assert decision.outcome is Outcome.REVIEW


@pytest.mark.parametrize("missing", ["receipt", "events", "keys"])
def test_an_incomplete_bundle_goes_to_review(missing: str) -> None:
    bundle = valid_bundle()
    del bundle[missing]
    decision = judge(bundle, now=PROMISE + timedelta(hours=1))
    assert (decision.outcome, decision.reason) == (Outcome.REVIEW, ReasonCode.EVIDENCE_INCOMPLETE)


def test_no_bundle_at_all_goes_to_review() -> None:
    decision = judge(None, now=PROMISE + timedelta(hours=1))
    assert (decision.outcome, decision.reason) == (Outcome.REVIEW, ReasonCode.EVIDENCE_INCOMPLETE)


def test_a_bundle_about_another_order_goes_to_review() -> None:
    evidence = read_evidence(valid_bundle(), anchors=ANCHORS, out_trade_no="ord_2", trade_no="tr_1")
    decision = decide(evidence, promised_by=PROMISE, refundable=PAID, now=PROMISE)
    assert (decision.outcome, decision.reason) == (
        Outcome.REVIEW,
        ReasonCode.EVIDENCE_UNVERIFIABLE,
    )


def test_a_refund_is_capped_at_what_is_left_and_nothing_left_declines() -> None:
    bundle = valid_bundle()
    late = PROMISE + timedelta(hours=1)
    assert judge(bundle, now=late, refundable=Money(500, "CNY")).refund == Money(500, "CNY")
    decision = judge(bundle, now=late, refundable=Money(0, "CNY"))
    assert (decision.outcome, decision.reason) == (Outcome.DECLINED, ReasonCode.ALREADY_REFUNDED)


def test_a_disposition_cannot_be_built_inconsistent() -> None:
    with pytest.raises(ValidationError):
        Disposition(Outcome.DECLINED, ReasonCode.NOT_YET_DUE, PAID, (), "")
    with pytest.raises(ValidationError):
        Disposition(Outcome.PSP_REFUND, ReasonCode.PAID_OUTSIDE_IAC, None, (), "")
    with pytest.raises(ValidationError):
        Disposition(Outcome.PSP_REFUND, ReasonCode.PAID_OUTSIDE_IAC, Money(0, "CNY"), (), "")
    with pytest.raises(ValidationError):
        capped_refund(Money(1, "CNY"), Money(1, "USD"))


minor = st.integers(min_value=0, max_value=10**9)


@given(
    paid=st.integers(min_value=1, max_value=10**9),
    cart=minor,
    refunded=minor,
    outside=st.booleans(),
    revoked=st.booleans(),
    fulfilled_after=st.one_of(st.none(), st.integers(min_value=-100, max_value=100)),
    now_after=st.integers(min_value=-100, max_value=100),
)
def test_a_refund_never_exceeds_what_was_paid(
    paid: int,
    cart: int,
    refunded: int,
    outside: bool,
    revoked: bool,
    fulfilled_after: int | None,
    now_after: int,
) -> None:
    refunded = min(refunded, paid)
    paid_at = T0
    evidence = Evidence(
        None,
        trusted=True,
        out_trade_no="ord_1",
        trade_no="tr_1",
        merchant_id="m_tea",
        cart_total=Money(cart, "CNY"),
        paid=Money(paid, "CNY"),
        paid_at=paid_at,
        outside_iac=("amount-within-limits",) if outside else (),
        price_mismatch="receipt amount differs" if cart != paid else None,
        unusable_at_payment="revoked before the payment" if revoked else None,
        lifecycle_record="att_r" if revoked else None,
        fulfilled_at=None
        if fulfilled_after is None
        else PROMISE + timedelta(minutes=fulfilled_after),
        fulfilment_record=None if fulfilled_after is None else "att_f",
        cart_digest="d",
    )
    refundable = Money(paid - refunded, "CNY")
    decision = decide(
        evidence,
        promised_by=PROMISE,
        refundable=refundable,
        now=PROMISE + timedelta(minutes=now_after),
    )
    if decision.refund is not None:
        assert 0 < decision.refund.minor <= refundable.minor <= paid
    assert at(0)  # the helpers' clock is the one the bundles use
