"""Signed payment receipts (``typ: act-payment-receipt+jwt``), signed by the PSP's key.

The payload is exactly the wire-format profile's (docs/wire-formats.md, "Payment receipt"),
including the delegation's cumulative budget *after* this payment, so that the agent, the
merchant and a dispute reviewer can each check what was spent without asking the PSP.

>>> # token = sign_receipt(facts, psp_key); verify_receipt(token, {psp_key.kid: psp_key.public})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.core.money import Money
from trustcart.core.payment import PaymentStatus
from trustcart.core.typs import RECEIPT_TYP
from trustcart.crypto.jws import sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.constraints import SpendSoFar


@dataclass(frozen=True)
class ReceiptFacts:
    trade_no: str
    out_trade_no: str
    merchant_id: str
    amount: Money
    mode: str
    delegation_id: str
    agent_id: str
    cart_digest: str
    paid_at: datetime
    spent: SpendSoFar  # after this payment
    max_total: Money


def receipt_payload(facts: ReceiptFacts) -> dict[str, Any]:
    remaining = facts.max_total - facts.spent.total
    if remaining.is_negative():  # cannot happen after a successful check; never sign a lie
        raise ValueError("spend exceeds the delegation's total")
    return {
        "trade_no": facts.trade_no,
        "out_trade_no": facts.out_trade_no,
        "merchant_id": facts.merchant_id,
        "amount": facts.amount.to_json(),
        "mode": facts.mode,
        "delegation_id": facts.delegation_id,
        "agent_id": facts.agent_id,
        "cart_digest": facts.cart_digest,
        "status": PaymentStatus.SUCCESS.value,
        "paid_at": format_instant(facts.paid_at),
        "budget": {
            "spent": facts.spent.total.to_json(),
            "remaining": remaining.to_json(),
            "count": facts.spent.count,
            "quantity": facts.spent.quantity,
        },
    }


def sign_receipt(facts: ReceiptFacts, key: SigningKey) -> str:
    return sign_compact(receipt_payload(facts), key, typ=RECEIPT_TYP)


def verify_receipt(
    token: str, keys: Mapping[str, PublicKey] | Callable[[str], PublicKey | None]
) -> dict[str, Any]:
    """Verify a receipt's PSP signature and return its payload; raise InvalidSignature."""
    return verify_compact(token, keys, typ=RECEIPT_TYP).payload
