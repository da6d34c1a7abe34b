"""The record of a basket as a whole (``trustcart-basket/1``), and its offline verification.

Each order of a basket has its own evidence bundle (``trustcart-evidence/1``), which verifies
alone: its receipt is an ordinary L2 payment's under the BOUNDED IAC. What no single bundle
shows is that the person approved the *set* once and that the set stayed within the IAC; the
basket record shows that:

    {"format": "trustcart-basket/1", "created_at": "...Z", "iac": "<IAC JWS>",
     "approval": "<act-basket-approval+jwt>", "carts": ["<cart JWS>", ...],
     "receipts": ["<receipt JWS>", ...]}

``verify_basket_record`` checks, against trust anchors (a key proves only what it is anchored
for): the IAC's signature by a key anchored for its delegator; the approval's signature by a
key anchored for that same delegator; that the approval's ``basket_digest`` is the digest of
exactly these carts (``delegation.basket.basket_digest_of``) with their count, delegation and
agent; each cart's signature by a key anchored for the merchant it names; one receipt per cart,
each signed by a key anchored as a payment provider, naming that cart's digest and order,
under the same delegation; and that the receipts' amounts add up to the approved amount, which
is within the IAC's total. It never raises for a bad record: the report's ``reason`` says the
first check that failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.core.errors import TrustcartError
from trustcart.core.money import Money, sum_money
from trustcart.core.typs import BASKET_APPROVAL_TYP, CART_TYP, RECEIPT_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_header, verify_compact
from trustcart.delegation.basket import BasketApproval, basket_digest_of
from trustcart.delegation.iac import IAC, verify_iac
from trustcart.trust.anchors import TrustAnchors

BASKET_FORMAT = "trustcart-basket/1"


class _Failed(Exception):  # internal control flow: never escapes verify_basket_record
    pass


@dataclass(frozen=True, slots=True)
class BasketReport:
    """The verdict on a basket record: ``ok``, or the first ``reason`` it is not."""

    ok: bool
    reason: str = ""
    total: Money | None = None


def basket_record(
    *, iac: str, approval: str, carts: Sequence[str], receipts: Sequence[str], now: datetime
) -> dict[str, Any]:
    """The basket record for these signed objects (receipts in the carts' order)."""
    return {
        "format": BASKET_FORMAT,
        "created_at": format_instant(now),
        "iac": iac,
        "approval": approval,
        "carts": list(carts),
        "receipts": list(receipts),
    }


def _signed(token: str, anchors: TrustAnchors, role: str, party: str | None, typ: str) -> Any:
    """The payload of ``token`` if a key anchored for ``party`` (any, if None) in ``role``
    signed it."""
    kid = peek_header(token).get("kid")
    anchor = anchors.get(kid) if isinstance(kid, str) else None
    if anchor is None or role not in anchor.roles or (party not in (None, anchor.party_id)):
        raise _Failed(f"a {typ} is not signed by a key anchored for {party or role}")
    try:
        return verify_compact(token, {anchor.key.kid: anchor.key}, typ=typ).payload, anchor
    except InvalidSignature as e:
        raise _Failed(f"a {typ} signature does not verify") from e


def _iac(token: str, anchors: TrustAnchors) -> IAC:
    kid = peek_header(token).get("kid")
    anchor = anchors.get(kid) if isinstance(kid, str) else None
    if anchor is None or "delegator" not in anchor.roles:
        raise _Failed("the IAC is not signed by an anchored delegator key")
    try:
        iac = verify_iac(token, {anchor.key.kid: anchor.key})
    except (InvalidSignature, TrustcartError) as e:
        raise _Failed("the IAC does not verify") from e
    if iac.delegator_identity != anchor.party_id:
        raise _Failed("the IAC's delegator is not the anchored key's party")
    return iac


def _check(record: Mapping[str, Any], anchors: TrustAnchors) -> Money:
    if record.get("format") != BASKET_FORMAT:
        raise _Failed(f"not a {BASKET_FORMAT} record")
    carts, receipts = record.get("carts"), record.get("receipts")
    if not isinstance(carts, list) or not isinstance(receipts, list) or not carts:
        raise _Failed("carts and receipts must be lists")
    if len(carts) != len(receipts):
        raise _Failed("one receipt per cart")
    iac = _iac(str(record.get("iac", "")), anchors)
    payload, _ = _signed(
        str(record.get("approval", "")),
        anchors,
        "delegator",
        iac.delegator_identity,
        BASKET_APPROVAL_TYP,
    )
    approval = BasketApproval.from_payload(payload)
    cart_payloads = []
    for cart in carts:
        body, anchor = _signed(str(cart), anchors, "merchant", None, CART_TYP)
        if anchor.party_id != body.get("merchant_id"):
            raise _Failed("a cart is signed by another merchant's key")
        cart_payloads.append(body)
    digests = [jcs_digest(body) for body in cart_payloads]
    if approval.basket_digest != basket_digest_of(digests) or approval.cart_count != len(carts):
        raise _Failed("the approval is for another set of carts")
    if approval.delegation_id != iac.delegation_id or approval.agent_id != iac.agent_id:
        raise _Failed("the approval is for another delegation or agent")
    amounts = []
    for digest, body, receipt in zip(digests, cart_payloads, receipts, strict=True):
        paid, _ = _signed(str(receipt), anchors, "psp", None, RECEIPT_TYP)
        if paid.get("cart_digest") != digest or paid.get("out_trade_no") != body["out_trade_no"]:
            raise _Failed("a receipt is for another cart")
        if paid.get("delegation_id") != iac.delegation_id:
            raise _Failed("a receipt is for another delegation")
        amounts.append(Money.from_json(paid.get("amount")))
    total = sum_money(amounts, iac.currency)
    if total != approval.amount:
        raise _Failed(f"the receipts add up to {total}, not the approved {approval.amount}")
    if total > iac.max_total:
        raise _Failed(f"the basket's {total} is over the IAC's {iac.max_total}")
    return total


def verify_basket_record(record: Mapping[str, Any], anchors: TrustAnchors) -> BasketReport:
    """Verify a basket record offline against ``anchors`` (module doc); never raises."""
    try:
        return BasketReport(True, total=_check(record, anchors))
    except _Failed as e:
        return BasketReport(False, str(e))
    except (TrustcartError, KeyError, TypeError, ValueError) as e:
        return BasketReport(False, f"the record is malformed: {e}")
