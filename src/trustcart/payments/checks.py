"""The payment provider's pure checks: cart, approval, binding request, status and limits.

Each function takes values (tokens, keys, ``now``) and returns a parsed value or raises
``PaymentRefused`` with a stable ``PaymentProblem`` code. Nothing here touches the store, so
every refusal happens before a transaction that could write to the ledger begins.

Signature failures stay opaque (one code per signed object: ``cart-invalid``,
``approval-invalid``, ``binding-refused``, ``iac-invalid``); policy failures say which rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.typs import APPROVAL_TYP, BINDING_TYP, CART_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_header, verify_compact
from trustcart.crypto.keys import PublicKey
from trustcart.delegation.constraints import ConstraintReason, ConstraintResult
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.iac import IAC, verify_iac
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import StatusAttestation
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.trust.directory import KeyDirectory, usable_key

# How far a signed request's own timestamp may be from the PSP's clock.
CLOCK_SKEW = timedelta(minutes=5)

_P = PaymentProblem


@dataclass(frozen=True)
class CartLine:
    product_id: str
    category: str
    quantity: int
    line_total: Money


@dataclass(frozen=True)
class ConfirmedCart:
    """A merchant-signed confirmed cart (CID-CART-CFM) that verified and adds up."""

    out_trade_no: str
    merchant_id: str
    lines: tuple[CartLine, ...]
    total: Money
    intent_id: str
    delegation_id: str
    agent_id: str
    method_id: str
    psp_id: str
    confirmed_at: datetime
    price_locked_until: datetime
    digest: str  # cart_digest = jcs_digest(payload)
    token: str

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(line.category for line in self.lines))

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def _cart_money(obj: Any, name: str) -> Money:
    try:
        return Money.from_json(obj)
    except (ValidationError, TypeError) as e:
        raise PaymentRefused(_P.CART_INVALID, f"cart {name} is not a valid amount") from e


def _text(payload: Mapping[str, Any], name: str, code: PaymentProblem) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise PaymentRefused(code, f"{name} is missing")
    return value


def verify_cart(
    token: str, directory: KeyDirectory, *, psp_id: str, now: datetime
) -> ConfirmedCart:
    """Verify the merchant's signature (key role ``merchant``, owned by ``merchant_id``) and
    that the cart adds up: line totals, subtotal, discount, shipping and total, one currency."""
    try:
        kid = peek_header(token).get("kid")
        entry = (
            usable_key(directory, kid, now, roles=("merchant",)) if isinstance(kid, str) else None
        )
        if entry is None:
            raise InvalidSignature
        payload = verify_compact(token, {entry.kid: entry.public_key}, typ=CART_TYP).payload
    except InvalidSignature as e:
        raise PaymentRefused(_P.CART_INVALID, "the cart's signature does not verify") from e
    merchant_id = _text(payload, "merchant_id", _P.CART_INVALID)
    if entry.party_id != merchant_id:
        raise PaymentRefused(_P.CART_INVALID, "the cart was signed by another merchant's key")
    items = payload.get("items")
    if not isinstance(items, list) or not items:
        raise PaymentRefused(_P.CART_INVALID, "the cart has no items")
    lines = []
    for item in items:
        if not isinstance(item, dict):
            raise PaymentRefused(_P.CART_INVALID, "a cart item is not an object")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise PaymentRefused(_P.CART_INVALID, "a cart item has an invalid quantity")
        unit = _cart_money(item.get("unit_price"), "unit_price")
        line_total = _cart_money(item.get("line_total"), "line_total")
        if unit.currency != line_total.currency or unit * quantity != line_total:
            raise PaymentRefused(_P.CART_INVALID, "a cart line total is not price x quantity")
        lines.append(
            CartLine(
                _text(item, "product_id", _P.CART_INVALID),
                _text(item, "category", _P.CART_INVALID),
                quantity,
                line_total,
            )
        )
    total = _cart_money(payload.get("total"), "total")
    zero = {"amount": Money.zero(total.currency).amount_str(), "currency": total.currency}
    subtotal = _cart_money(payload.get("subtotal"), "subtotal")
    discount = _cart_money(payload.get("discount", zero), "discount")
    shipping = _cart_money(payload.get("shipping", zero), "shipping")
    try:
        if sum((line.line_total for line in lines), Money.zero(total.currency)) != subtotal or (
            subtotal - discount + shipping != total
        ):
            raise PaymentRefused(_P.CART_INVALID, "the cart's amounts do not add up")
    except ValidationError as e:  # mixed currencies
        raise PaymentRefused(_P.CART_INVALID, "the cart mixes currencies") from e
    if total.minor <= 0 or discount.is_negative() or shipping.is_negative():
        raise PaymentRefused(_P.CART_INVALID, "the cart's total must be positive")
    payment = payload.get("payment")
    if not isinstance(payment, dict):
        raise PaymentRefused(_P.CART_INVALID, "the cart names no payment method")
    cart_psp = _text(payment, "psp_id", _P.CART_INVALID)
    if cart_psp != psp_id:
        raise PaymentRefused(_P.CART_INVALID, f"the cart is payable at {cart_psp}, not here")
    try:
        confirmed_at = parse_instant(payload.get("confirmed_at"))  # type: ignore[arg-type]
        locked_until = parse_instant(payload.get("price_locked_until"))  # type: ignore[arg-type]
    except ValidationError as e:
        raise PaymentRefused(_P.CART_INVALID, "the cart's times are invalid") from e
    return ConfirmedCart(
        out_trade_no=_text(payload, "out_trade_no", _P.CART_INVALID),
        merchant_id=merchant_id,
        lines=tuple(lines),
        total=total,
        intent_id=str(payload.get("intent_id", "")),
        delegation_id=_text(payload, "delegation_id", _P.CART_INVALID),
        agent_id=_text(payload, "agent_id", _P.CART_INVALID),
        method_id=_text(payment, "method_id", _P.CART_INVALID),
        psp_id=cart_psp,
        confirmed_at=confirmed_at,
        price_locked_until=locked_until,
        digest=jcs_digest(payload),
        token=token,
    )


def check_cart_against(cart: ConfirmedCart, iac: IAC, now: datetime) -> None:
    """The cart must be for this delegation, intent and agent, in its currency, still locked."""
    if (
        cart.delegation_id != iac.delegation_id
        or cart.agent_id != iac.agent_id
        or (
            cart.intent_id != iac.intent_id  # else the purchase's evidence could never verify
        )
    ):
        raise PaymentRefused(_P.CART_INVALID, "the cart was confirmed for another delegation")
    if now >= cart.price_locked_until:
        raise PaymentRefused(_P.CART_EXPIRED, "the cart's price lock has expired")
    if cart.total.currency != iac.currency:
        raise PaymentRefused(_P.CURRENCY_MISMATCH, "the cart is in another currency")


def verify_approval(
    token: str, delegator_key: PublicKey, cart: ConfirmedCart, now: datetime
) -> None:
    """L1: the delegator approved exactly this confirmed cart (digest, order, amount)."""
    try:
        keys = {delegator_key.kid: delegator_key}
        payload = verify_compact(token, keys, typ=APPROVAL_TYP).payload
    except InvalidSignature as e:
        raise PaymentRefused(_P.APPROVAL_INVALID, "the approval signature does not verify") from e
    expected = {
        "out_trade_no": cart.out_trade_no,
        "merchant_id": cart.merchant_id,
        "cart_digest": cart.digest,
        "delegation_id": cart.delegation_id,
        "agent_id": cart.agent_id,
    }
    if any(payload.get(name) != value for name, value in expected.items()):
        raise PaymentRefused(_P.APPROVAL_MISMATCH, "the approval is for another cart")
    try:
        amount = Money.from_json(payload.get("amount"))
        approved_at = parse_instant(payload.get("approved_at"))  # type: ignore[arg-type]
    except ValidationError as e:
        raise PaymentRefused(_P.APPROVAL_INVALID, "the approval is malformed") from e
    if amount != cart.total:
        raise PaymentRefused(_P.AMOUNT_MISMATCH, "the approved amount is not the cart total")
    if approved_at > now + CLOCK_SKEW or approved_at < cart.confirmed_at - CLOCK_SKEW:
        raise PaymentRefused(_P.APPROVAL_INVALID, "the approval's time is implausible")


def verify_delegation_credential(token: str, delegator_key: PublicKey, identity: str) -> IAC:
    """Verify the IAC with the account's registered delegator key and identity."""
    try:
        iac = verify_iac(token, {delegator_key.kid: delegator_key})
    except (InvalidSignature, InvalidCredential) as e:
        raise PaymentRefused(_P.IAC_INVALID, "the IAC does not verify") from e
    if iac.delegator_identity != identity:
        raise PaymentRefused(_P.IAC_INVALID, "the IAC was issued by someone else")
    return iac


def check_window(iac: IAC, now: datetime) -> None:
    if now < iac.validity_start:
        raise PaymentRefused(_P.IAC_NOT_YET_VALID, "the IAC is not valid yet")
    if now >= iac.validity_end:
        raise PaymentRefused(_P.IAC_EXPIRED, "the IAC has expired")


_STATUS_PROBLEM = {
    CredentialStatus.SUSPENDED: _P.IAC_SUSPENDED,
    CredentialStatus.REVOKED: _P.IAC_REVOKED,
    CredentialStatus.EXPIRED: _P.IAC_EXPIRED,
}


def check_status(attestation: StatusAttestation, iac: IAC, now: datetime) -> None:
    """Only a fresh Active attestation about this very delegation lets a payment through."""
    if attestation.delegation_id != iac.delegation_id or not attestation.fresh_at(now):
        raise PaymentRefused(_P.STATUS_UNAVAILABLE, "no fresh status for this delegation")
    if attestation.status is not CredentialStatus.ACTIVE:
        code = _STATUS_PROBLEM.get(attestation.status, _P.STATUS_UNAVAILABLE)
        raise PaymentRefused(code, f"the delegation is {attestation.status.value}")


_REASON_PROBLEM = {
    ConstraintReason.OVER_TOTAL_BUDGET: _P.OVER_BUDGET,
    ConstraintReason.OVER_SINGLE_LIMIT: _P.OVER_SINGLE_LIMIT,
    ConstraintReason.UNDER_SINGLE_MINIMUM: _P.UNDER_SINGLE_MINIMUM,
    ConstraintReason.OVER_QUANTITY: _P.OVER_QUANTITY,
    ConstraintReason.MERCHANT_NOT_ALLOWED: _P.MERCHANT_NOT_ALLOWED,
    ConstraintReason.MERCHANT_FORBIDDEN: _P.MERCHANT_NOT_ALLOWED,
    ConstraintReason.CATEGORY_NOT_ALLOWED: _P.CATEGORY_NOT_ALLOWED,
    ConstraintReason.CATEGORY_FORBIDDEN: _P.CATEGORY_NOT_ALLOWED,
    ConstraintReason.PAYMENT_METHOD_NOT_ALLOWED: _P.METHOD_NOT_ALLOWED,
    ConstraintReason.CURRENCY_MISMATCH: _P.CURRENCY_MISMATCH,
    ConstraintReason.OUTSIDE_VALIDITY_WINDOW: _P.IAC_EXPIRED,
}


def refuse_unless_allowed(result: ConstraintResult) -> None:
    """Raise for the first violated constraint; every reason travels in ``reasons``."""
    if result.allowed:
        return
    first = result.reasons[0]
    raise PaymentRefused(
        _REASON_PROBLEM.get(first, _P.CONSTRAINT_VIOLATED),
        result.explain(),
        reasons=[str(reason) for reason in result.reasons],
    )


@dataclass(frozen=True)
class BindingRequest:
    account_id: str
    agent_id: str
    iac_token: str
    requested_at: datetime
    digest: str  # of the signed payload: one binding request yields at most one token


def verify_binding_request(
    token: str, delegator_key: PublicKey, account_id: str, now: datetime
) -> BindingRequest:
    """The delegator's own signed request to bind a token for ``agent_id`` under an IAC."""
    try:
        payload = verify_compact(token, {delegator_key.kid: delegator_key}, typ=BINDING_TYP).payload
        requested_at = parse_instant(payload.get("requested_at"))  # type: ignore[arg-type]
    except (InvalidSignature, ValidationError) as e:
        raise PaymentRefused(_P.BINDING_REFUSED, "the binding request does not verify") from e
    if payload.get("account_id") != account_id:
        raise PaymentRefused(_P.BINDING_REFUSED, "the binding request names another account")
    if abs(now - requested_at) > CLOCK_SKEW:
        raise PaymentRefused(_P.BINDING_REFUSED, "the binding request is stale")
    return BindingRequest(
        account_id=account_id,
        agent_id=_text(payload, "agent_id", _P.BINDING_REFUSED),
        iac_token=_text(payload, "iac", _P.BINDING_REFUSED),
        requested_at=requested_at,
        digest=jcs_digest(payload),
    )
