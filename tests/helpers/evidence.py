"""Build a complete, internally consistent purchase bundle with whatever keys play each role.

The payloads follow docs/wire-formats.md; every role's signer is the key given for it, and the
bundle lists that key with the party id given for it, which is also the identity the payloads
name (the IAC's ``delegator_identity``, the cart's ``merchant_id``, the tree head's ``log_id``).
So the bundle agrees with itself whoever holds the keys: that is the point of the tests that
use it, which show that only trust anchors tell a genuine bundle from a forged one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from trustcart.core.clock import FixedClock, format_instant
from trustcart.core.money import Money
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.store.db import Database
from trustcart.trust.anchors import Anchor, TrustAnchors
from trustcart.trust.attestations import AttestationService
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.evidence import BundleKey, build_purchase_bundle
from trustcart.trust.log import TransparencyLog

ROLES = ("delegator", "status", "merchant", "psp", "log", "agent")
GENUINE_IDS = {
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
}


def anchors_for(keys: Mapping[str, SigningKey], ids: Mapping[str, str]) -> TrustAnchors:
    """Anchors that bind ``keys[role]`` to ``ids[role]`` in ``role`` (what the verifier knows)."""
    return TrustAnchors(tuple(Anchor(keys[r].public, ids[r], (r,)) for r in keys))


def purchase_bundle(
    keys: Mapping[str, SigningKey],
    ids: Mapping[str, str],
    *,
    start: datetime,
    total: str = "19.00",
    category: str = "drinks/milk-tea",
) -> dict[str, Any]:
    """An L1 purchase of one item for ``total`` CNY, signed by ``keys`` as ``ids``."""

    def at(minutes: float) -> str:
        return format_instant(start + timedelta(minutes=minutes))

    price = Money.parse(total, "CNY").to_json()
    limit = Money.parse(total, "CNY")
    limit = limit + Money.parse("1.00", "CNY")
    isr = {
        "intent_id": "int_1",
        "agent_id": ids["agent"],
        "delegation_mode": "SPECIFIED",
        "conversation_history": {"user_intent_raw": "buy it", "input_mode": ["TEXT"]},
        "validity_start_time": at(0),
        "validity_end_time": at(60),
        "max_total_amount": limit.to_json()["amount"],
        "currency": "CNY",
    }
    iac = {
        "delegation_id": "dlg_1",
        "intent_id": "int_1",
        "delegator_identity": ids["delegator"],
        "agent_id": ids["agent"],
        "delegation_mode": "SPECIFIED",
        "validity_start_time": at(0),
        "validity_end_time": at(60),
        "max_total_amount": limit.to_json()["amount"],
        "currency": "CNY",
        "allowed_payment_methods": ["trustcart-balance"],
        "source_isr_digest": jcs_digest(isr),
        "iat": at(0),
        "ext": {"commerce": {"allowed_categories": [category]}},
    }
    status = {
        "delegation_id": "dlg_1",
        "status": "Active",
        "checked_at": at(4),
        "valid_until": at(5),
    }
    cart = {
        "out_trade_no": "ord_1",
        "merchant_id": ids["merchant"],
        "items": [
            {
                "product_id": "p_1",
                "title": "the item",
                "category": category,
                "quantity": 1,
                "unit_price": price,
                "line_total": price,
            }
        ],
        "subtotal": price,
        "discount": Money.zero("CNY").to_json(),
        "shipping": Money.zero("CNY").to_json(),
        "total": price,
        "intent_id": "int_1",
        "delegation_id": "dlg_1",
        "agent_id": ids["agent"],
        "payment": {"method_id": "trustcart-balance", "psp_id": ids["psp"], "endpoint": "x"},
        "confirmed_at": at(3),
        "price_locked_until": at(13),
    }
    receipt = {
        "trade_no": "tr_1",
        "out_trade_no": "ord_1",
        "merchant_id": ids["merchant"],
        "amount": price,
        "mode": "L1",
        "delegation_id": "dlg_1",
        "agent_id": ids["agent"],
        "cart_digest": jcs_digest(cart),
        "status": "SUCCESS",
        "paid_at": at(4.5),
        "budget": {
            "spent": price,
            "remaining": Money.parse("1.00", "CNY").to_json(),
            "count": 1,
            "quantity": 1,
        },
    }
    approval = {
        key: receipt[key]
        for key in ("out_trade_no", "merchant_id", "cart_digest", "amount", "delegation_id")
    }
    approval.update(agent_id=ids["agent"], approved_at=at(4))
    signed = {
        "iac": sign_compact(iac, keys["delegator"], typ=TYPS["iac"]),
        "status": sign_compact(status, keys["status"], typ=TYPS["status"]),
        "cart": sign_compact(cart, keys["merchant"], typ=TYPS["cart"]),
        "approval": sign_compact(approval, keys["delegator"], typ=TYPS["approval"]),
        "receipt": sign_compact(receipt, keys["psp"], typ=TYPS["receipt"]),
    }
    db = Database("sqlite://")
    db.create_all()
    try:
        clock = FixedClock(start)
        log = TransparencyLog(db, keys["log"], ids["log"], clock)
        service = AttestationService(log, clock)
        plan = [
            (EventType.INTENT_CREATED, Chain("int_1"), "agent", 0.0),
            (EventType.DELEGATION_ISSUED, Chain("int_1", "dlg_1"), "delegator", 0.5),
            (EventType.CART_CONFIRMED, Chain("int_1", "dlg_1", "ord_1"), "merchant", 3.0),
            (
                EventType.TRANSACTION_COMPLETED,
                Chain("int_1", "dlg_1", "ord_1", "tr_1"),
                "psp",
                4.5,
            ),
        ]
        events = []
        for kind, chain, role, minutes in plan:
            clock.set(start + timedelta(minutes=minutes))
            me = Participant(role, ids[role], keys[role].kid)
            events.append(service.record(kind, chain, [me], {"step": kind.value}, keys[role]))
        clock.set(start + timedelta(minutes=10))
        return build_purchase_bundle(
            keys=[BundleKey(keys[r].public, r, ids[r]) for r in ROLES if r != "log"],
            isr=isr,
            events=events,
            log=log,
            now=start + timedelta(minutes=10),
            **signed,
        )
    finally:
        db.dispose()
