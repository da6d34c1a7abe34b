"""A purchase's evidence bundle built from scratch for tests, with a mutator per party.

Freshly generated keys for every party; each mutator edits a payload *before* its party signs
it, so a test can build a bundle that is properly signed but says something else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cache
from typing import Any

from tests.helpers.clock import T0
from trustcart.core.clock import FixedClock, format_instant
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.trust.anchors import Anchor, TrustAnchors
from trustcart.trust.attestations import AttestationService
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.evidence import (
    BundleKey,
    VerificationReport,
    build_purchase_bundle,
    verify_bundle,
)
from trustcart.trust.log import TransparencyLog

Payload = dict[str, Any]
Mutator = Callable[[Payload], None]

KEYS = {
    role: SigningKey.generate("ES256" if role == "psp" else "EdDSA")
    for role in ("delegator", "status", "merchant", "psp", "log", "agent")
}
IDS = {
    "delegator": "user:alice",
    "status": "status:trustcart",
    "merchant": "m_tea",
    "psp": "psp:trustcart",
    "log": "log:trustcart",
    "agent": "agent:trustcart-assistant",
}
TYPS = {
    "iac": "act-iac+jwt",
    "status": "act-iac-status+jwt",
    "cart": "act-cart+jwt",
    "approval": "act-payment-approval+jwt",
    "receipt": "act-payment-receipt+jwt",
    "tree_head": "act-sth+jwt",
    "record": "act-attestation+jwt",
}
SIGNER = {
    "iac": "delegator",
    "status": "status",
    "cart": "merchant",
    "approval": "delegator",
    "receipt": "psp",
    "tree_head": "log",
}
# What the verifier got elsewhere: each party's key, bound to that party and its role.
ANCHORS = TrustAnchors(tuple(Anchor(KEYS[r].public, IDS[r], (r,)) for r in KEYS))
PAID_AT = T0 + timedelta(minutes=4, seconds=30)
SIGNATURE_CHECK = {
    "iac": "iac-signature",
    "status": "status-signature",
    "cart": "cart-signature",
    "receipt": "receipt-signature",
    "approval": "approval",
    "tree_head": "tree-head",
    "events": "events",
}


def at(minutes: float) -> str:
    return format_instant(T0 + timedelta(minutes=minutes))


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _isr() -> Payload:
    return {
        "intent_id": "int_1",
        "agent_id": IDS["agent"],
        "delegation_mode": "SPECIFIED",
        "conversation_history": {
            "user_intent_raw": "order me a pearl milk tea under 30 CNY",
            "input_mode": ["TEXT"],
        },
        "validity_start_time": at(0),
        "validity_end_time": at(60),
        "max_total_amount": "80.00",
        "currency": "CNY",
        "allowed_payment_methods": ["trustcart-balance"],
        "item": {
            "description": "pearl milk tea",
            "category": "drinks/milk-tea",
            "quantity": 1,
            "attributes": {},
        },
        "location": {"lat": "30.2590", "lon": "120.1300", "radius_km": "3"},
        "ext": {"commerce": {}, "agent_behavior": {}},
    }


def _iac(isr: Payload) -> Payload:
    return {
        "delegation_id": "dlg_1",
        "intent_id": "int_1",
        "delegator_identity": IDS["delegator"],
        "agent_id": IDS["agent"],
        "delegation_mode": "SPECIFIED",
        "validity_start_time": at(0),
        "validity_end_time": at(60),
        "max_total_amount": "80.00",
        "currency": "CNY",
        "allowed_payment_methods": ["trustcart-balance"],
        "user_confirmation_method": "DEVICE_SIGNATURE",
        "user_confirmation_timestamp": at(0),
        "source_isr_digest": jcs_digest(isr),
        "status_reference": {
            "type": "TrustcartSignedStatus/1",
            "url": "http://127.0.0.1:8001/delegations/dlg_1/status",
        },
        "iat": at(0),
        "ext": {
            "commerce": {
                "max_single_amount": "30.00",
                "min_single_amount": "0.00",
                "allowed_categories": ["drinks/milk-tea"],
                "forbidden_categories": ["drinks/alcohol"],
                "allowed_merchants": [],
                "forbidden_merchants": ["m_bad"],
                "max_total_quantity": 3,
            },
            "agent_behavior": {
                "price_deviation_tolerance": "5",
                "price_deviation_action": "PAUSE_AND_NOTIFY",
                "on_payment_failure": "CANCEL",
                "max_retry_count": 0,
            },
        },
    }


def _cart() -> Payload:
    return {
        "out_trade_no": "ord_1",
        "merchant_id": IDS["merchant"],
        "merchant_name": "Tea House",
        "items": [
            {
                "product_id": "p_1",
                "title": "Pearl milk tea",
                "category": "drinks/milk-tea",
                "quantity": 2,
                "unit_price": cny("9.00"),
                "line_total": cny("18.00"),
            }
        ],
        "subtotal": cny("18.00"),
        "discount": cny("2.00"),
        "shipping": cny("3.00"),
        "total": cny("19.00"),
        "coupons": [{"coupon_id": "c_1", "description": "2 off", "amount": cny("2.00")}],
        "intent_id": "int_1",
        "delegation_id": "dlg_1",
        "agent_id": IDS["agent"],
        "payment": {
            "method_id": "trustcart-balance",
            "psp_id": IDS["psp"],
            "endpoint": "http://127.0.0.1:8003/payments",
        },
        "confirmed_at": at(3),
        "price_locked_until": at(13),
    }


def _receipt(cart: Payload, mode: str) -> Payload:
    return {
        "trade_no": "tr_1",
        "out_trade_no": "ord_1",
        "merchant_id": IDS["merchant"],
        "amount": cny("19.00"),
        "mode": mode,
        "delegation_id": "dlg_1",
        "agent_id": IDS["agent"],
        "cart_digest": jcs_digest(cart),
        "status": "SUCCESS",
        "paid_at": format_instant(PAID_AT),
        "budget": {"spent": cny("19.00"), "remaining": cny("61.00"), "count": 1, "quantity": 2},
    }


def _approval(cart: Payload) -> Payload:
    return {
        "out_trade_no": "ord_1",
        "merchant_id": IDS["merchant"],
        "cart_digest": jcs_digest(cart),
        "amount": cny("19.00"),
        "delegation_id": "dlg_1",
        "agent_id": IDS["agent"],
        "approved_at": at(4),
    }


def _participant(role: str) -> Participant:
    return Participant(role, IDS[role], KEYS[role].kid)


def _noop(_: Payload) -> None:
    return None


def build_bundle(
    *,
    mode: str = "L1",
    isr: Mutator = _noop,
    iac: Mutator = _noop,
    status: Mutator = _noop,
    cart: Mutator = _noop,
    receipt: Mutator = _noop,
    approval: Mutator = _noop,
    extra_events: tuple[tuple[EventType, Chain, str, float], ...] = (),
) -> Payload:
    """A purchase bundle; each mutator edits a payload *before* its party signs it."""
    isr_payload = _isr()
    isr(isr_payload)
    iac_payload = _iac(isr_payload)
    iac(iac_payload)
    status_payload = {
        "delegation_id": "dlg_1",
        "status": "Active",
        "checked_at": at(4),
        "valid_until": at(5),
    }
    status(status_payload)
    cart_payload = _cart()
    cart(cart_payload)
    receipt_payload = _receipt(cart_payload, mode)
    receipt(receipt_payload)
    approval_payload = _approval(cart_payload)
    approval(approval_payload)

    def sign(payload: Payload, kind: str) -> str:
        return sign_compact(payload, KEYS[SIGNER[kind]], typ=TYPS[kind])

    db = Database("sqlite://")
    db.create_all()
    try:
        clock = FixedClock(T0)
        log = TransparencyLog(db, KEYS["log"], IDS["log"], clock)
        counter = iter(range(1, 1_000_000))
        service = AttestationService(log, clock, lambda n: next(counter).to_bytes(n, "big"))
        base = Chain("int_1")
        with_dlg = Chain("int_1", "dlg_1")
        with_order = Chain("int_1", "dlg_1", "ord_1")
        paid = Chain("int_1", "dlg_1", "ord_1", "tr_1")
        plan: list[tuple[EventType, Chain, str, float, Mapping[str, Any]]] = [
            (EventType.INTENT_CREATED, base, "agent", 0.0, {"input_mode": ["TEXT"]}),
            (
                EventType.DELEGATION_ISSUED,
                with_dlg,
                "delegator",
                0.5,
                {"max_total_amount": cny("80.00"), "iac_digest": jcs_digest(iac_payload)},
            ),
            (
                EventType.CART_CONFIRMED,
                with_order,
                "merchant",
                3.0,
                {"cart_digest": jcs_digest(cart_payload), "total": cny("19.00")},
            ),
            (
                EventType.TRANSACTION_COMPLETED,
                paid,
                "psp",
                4.5,
                {"amount": cny("19.00"), "status": "SUCCESS"},
            ),
            *[(kind, chain, role, minutes, {}) for kind, chain, role, minutes in extra_events],
        ]
        events = []
        for kind, chain, role, minutes, body in plan:
            clock.set(T0 + timedelta(minutes=minutes))
            others = [_participant(r) for r in ("agent", "delegator") if r != role]
            events.append(
                service.record(kind, chain, [_participant(role), *others], body, KEYS[role])
            )
        clock.set(T0 + timedelta(minutes=10))
        return build_purchase_bundle(
            keys=[BundleKey(KEYS[role].public, role, IDS[role]) for role in KEYS],
            isr=isr_payload,
            iac=sign(iac_payload, "iac"),
            status=sign(status_payload, "status"),
            cart=sign(cart_payload, "cart"),
            approval=sign(approval_payload, "approval") if mode == "L1" else None,
            receipt=sign(receipt_payload, "receipt"),
            events=events,
            log=log,
            now=T0 + timedelta(minutes=10),
        )
    finally:
        db.dispose()


@cache
def _valid() -> str:
    return json.dumps(build_bundle())


def valid_bundle() -> Payload:
    result: Payload = json.loads(_valid())
    return result


def assert_fails(bundle: Any, **kwargs: Any) -> VerificationReport:
    kwargs.setdefault("anchors", ANCHORS)
    report = verify_bundle(bundle, **kwargs)
    assert not report.ok, "tampered bundle verified"
    assert report.first_failure is not None, "no check failed"
    assert report.reason
    return report


# -- the valid bundle -------------------------------------------------------------------------
