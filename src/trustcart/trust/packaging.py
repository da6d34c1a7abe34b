"""Package the evidence of one purchase (TSD-ATT-SVF input): artifacts + events + proofs + keys.

The trust service does this, because it holds the log and the key directory: it selects the
events that belong to this purchase (same intent; delegation, order and trade ids either absent
or equal to this purchase's), resolves every key that signed anything in the bundle to its
directory entry (role and party), and attaches inclusion proofs against one fresh tree head.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustcart.crypto.jws import peek_header, peek_payload
from trustcart.trust.attestations import AttestationService, RecordedEvent
from trustcart.trust.directory import KeyDirectory
from trustcart.trust.errors import TrustError
from trustcart.trust.evidence import BundleKey, build_purchase_bundle


def _belongs(event: RecordedEvent, expected: Mapping[str, str]) -> bool:
    chain = peek_payload(event.record_jws).get("chain", {})
    return all(chain.get(name) in (None, value) for name, value in expected.items())


def package_purchase(
    attestations: AttestationService,
    directory: KeyDirectory,
    *,
    isr: Mapping[str, Any],
    iac: str,
    status: str,
    cart: str,
    approval: str | None,
    receipt: str,
    now: datetime,
) -> dict[str, Any]:
    iac_payload, cart_payload = peek_payload(iac), peek_payload(cart)
    receipt_payload = peek_payload(receipt)
    expected = {
        "intent_id": iac_payload["intent_id"],
        "delegation_id": iac_payload["delegation_id"],
        "out_trade_no": cart_payload["out_trade_no"],
        "trade_no": receipt_payload["trade_no"],
    }
    events = [
        e for e in attestations.events_for(intent_id=expected["intent_id"]) if _belongs(e, expected)
    ]
    kids = {
        peek_header(token)["kid"]
        for token in (iac, status, cart, receipt, approval)
        if token is not None
    }
    for event in events:
        kids.add(peek_header(event.record_jws)["kid"])
        kids.update(p["kid"] for p in peek_payload(event.record_jws)["participants"])
    keys = []
    for kid in sorted(kids):
        entry = directory.resolve(kid)
        if entry is None:
            raise TrustError(f"key {kid} is not in the directory")
        if entry.role != "log":
            keys.append(BundleKey(entry.public_key, entry.role, entry.party_id))
    return build_purchase_bundle(
        keys=keys,
        isr=isr,
        iac=iac,
        status=status,
        cart=cart,
        approval=approval,
        receipt=receipt,
        events=events,
        log=attestations.log,
        now=now,
    )
