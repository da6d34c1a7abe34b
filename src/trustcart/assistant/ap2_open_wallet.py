"""The wallet's and the agent's AP2 human-not-present side: open mandates from a BOUNDED IAC,
and the closed mandates the agent derives under them for one merchant-confirmed cart.

Strategy: the person's standing order is the IAC (``delegation_mode`` BOUNDED: a goal and
limits, the agent choosing). The wallet, as AP2's Trusted Surface, turns it into two open
mandates signed with its ES256 mandate key, each naming the agent's ES256 key in ``cnf``:

* ``mandate.checkout.open.1``: ``checkout.line_items`` (the items the agent proposed and the
  person approved, each with its acceptable products) and, when the IAC lists merchants,
  ``checkout.allowed_merchants`` (each merchant a selectively disclosable element);
* ``mandate.payment.open.1``: ``payment.amount_range`` up to the IAC's single limit (or its
  total; from its ``min_single`` when set), ``payment.budget`` equal to the IAC's total (the
  PSP holds the two together: ``open_mandates.check_budget_bound_by_iac``),
  ``payment.allowed_payees`` (the IAC's merchants) and
  ``payment.allowed_payment_instruments`` (its methods) when the IAC lists them, and
  ``payment.reference`` binding it to the open checkout mandate.

Every constraint is derived from the IAC, never wider (``check_open_within_iac`` runs on the
result before it is returned), both contents are schema-checked before they are signed, and
both expire with the IAC at the latest. An IAC that is not BOUNDED is refused: a SPECIFIED one
pays only the cart the person approves (human present, ``ap2_wallet``).

Later, for a cart the merchant confirmed, the agent closes both (``close_mandates``) with its
own key: a closed checkout mandate (``aud`` the merchant, ``nonce`` the order number) and a
closed payment mandate (``aud`` the PSP, ``nonce`` the request id), each chained to its open
mandate (``dsdjwt``), disclosing only the merchant, payee, instrument and items this cart needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.core.money import Money
from trustcart.core.typs import CART_TYP
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2 import dsdjwt, schemas
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.mandates import (
    MandateType,
    checkout_mandate_claims,
    payment_mandate_claims,
)
from trustcart.delegation.ap2.open_checkout import OpenCheckoutMandate
from trustcart.delegation.ap2.open_mandates import OpenPaymentMandate, check_open_within_iac
from trustcart.delegation.ap2.schemas import AP2Schema
from trustcart.delegation.iac import IAC
from trustcart.delegation.terms import DelegationMode

OPEN_LIFETIME = timedelta(days=1)  # at most; never past the IAC (AP2: the smallest that works)
CLOSED_LIFETIME = timedelta(minutes=15)
INSTRUMENT_TYPE = "trustcart.psp_account"


@dataclass(frozen=True)
class LineItem:
    """One line the person approves: ``quantity`` of exactly one of ``acceptable`` products
    (``(product id, title)`` pairs)."""

    requirement_id: str
    acceptable: tuple[tuple[str, str], ...]
    quantity: int


@dataclass(frozen=True)
class OpenMandates:
    """The wallet's two open mandates (issuer-signed, every disclosure, no key binding)."""

    checkout: str
    payment: str


@dataclass(frozen=True)
class ClosedMandates:
    """The two chains the agent sends (open mandate ~~ closed mandate)."""

    checkout: str
    payment: str


def _cnf(agent_key: PublicKey) -> dict[str, Any]:
    return {"jwk": dict(agent_key.jwk)}


def _merchant(merchant_id: str) -> dict[str, str]:
    return {"id": merchant_id, "name": merchant_id}


def _checkout_content(
    iac: IAC, items: Sequence[LineItem], agent_key: PublicKey, iat: int, exp: int
) -> tuple[dict[str, Any], list[str]]:
    disclosures: list[str] = []
    requirements = []
    for item in items:
        concealed, more = dsdjwt.conceal_elements(
            [{"id": pid, "title": title} for pid, title in item.acceptable]
        )
        disclosures += more
        requirements.append(
            {"id": item.requirement_id, "acceptable_items": concealed, "quantity": item.quantity}
        )
    constraints: list[dict[str, Any]] = [{"type": "checkout.line_items", "items": requirements}]
    if iac.commerce.allowed_merchants:
        concealed, more = dsdjwt.conceal_elements(
            [_merchant(m) for m in iac.commerce.allowed_merchants]
        )
        disclosures += more
        constraints.append({"type": "checkout.allowed_merchants", "allowed": concealed})
    content = {
        "vct": MandateType.OPEN_CHECKOUT.value,
        "constraints": constraints,
        "cnf": _cnf(agent_key),
        "iat": iat,
        "exp": exp,
    }
    return content, disclosures


def _payment_content(
    iac: IAC, reference: str, agent_key: PublicKey, iat: int, exp: int
) -> tuple[dict[str, Any], list[str]]:
    commerce, disclosures = iac.commerce, list[str]()
    ceiling = (
        iac.max_total if commerce.max_single is None else min(iac.max_total, commerce.max_single)
    )
    amount_range: dict[str, Any] = {
        "type": "payment.amount_range",
        "currency": iac.currency,
        "max": ceiling.minor,
    }
    if commerce.min_single is not None:
        amount_range["min"] = commerce.min_single.minor
    constraints: list[dict[str, Any]] = [
        amount_range,
        {"type": "payment.budget", "currency": iac.currency, "max": iac.max_total.minor},
        {"type": "payment.reference", "conditional_transaction_id": reference},
    ]
    if commerce.allowed_merchants:
        concealed, disclosures = dsdjwt.conceal_elements(
            [_merchant(m) for m in commerce.allowed_merchants]
        )
        constraints.append({"type": "payment.allowed_payees", "allowed": concealed})
    if iac.allowed_payment_methods:
        concealed, more = dsdjwt.conceal_elements(
            [{"id": m, "type": INSTRUMENT_TYPE} for m in iac.allowed_payment_methods]
        )
        disclosures = [*disclosures, *more]
        constraints.append({"type": "payment.allowed_payment_instruments", "allowed": concealed})
    content = {
        "vct": MandateType.OPEN_PAYMENT.value,
        "constraints": constraints,
        "cnf": _cnf(agent_key),
        "iat": iat,
        "exp": exp,
    }
    return content, disclosures


def _resolved(content: Mapping[str, Any], disclosures: Sequence[str]) -> dict[str, Any]:
    """``content`` with every concealed element revealed: what the schema and the IAC judge."""
    by_digest = {dsdjwt.sha256_b64url(d): dsdjwt.decoded(d)[1] for d in disclosures}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [
                by_digest[e["..."]] if isinstance(e, dict) and set(e) == {"..."} else walk(e)
                for e in node
            ]
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        return node

    return walk(content)  # type: ignore[no-any-return]


def issue_open_mandates(
    iac: IAC,
    items: Sequence[LineItem],
    *,
    mandate_key: SigningKey,
    agent_key: PublicKey,
    now: datetime,
    lifetime: timedelta = OPEN_LIFETIME,
) -> OpenMandates:
    """The open checkout and payment mandates for a BOUNDED ``iac`` (module doc)."""
    if iac.delegation_mode is not DelegationMode.BOUNDED:
        raise MandateRefused(AP2Refusal.WIDER_THAN_IAC, "open mandates need a BOUNDED IAC")
    if not items:
        raise MandateRefused(AP2Refusal.SCHEMA_INVALID, "an open checkout names its line items")
    iat, exp = int(now.timestamp()), int(min(now + lifetime, iac.validity_end).timestamp())
    checkout, checkout_disclosures = _checkout_content(iac, items, agent_key, iat, exp)
    revealed = _resolved(checkout, checkout_disclosures)
    OpenCheckoutMandate.from_claims(revealed, now).check_within_iac(iac)
    open_checkout = dsdjwt.issue_open(
        checkout, checkout_disclosures, issuer_key=mandate_key, now=now
    )
    reference = dsdjwt.sha256_b64url(open_checkout.split("~", maxsplit=1)[0])
    payment, payment_disclosures = _payment_content(iac, reference, agent_key, iat, exp)
    check_open_within_iac(
        OpenPaymentMandate.from_claims(_resolved(payment, payment_disclosures), now), iac
    )
    open_payment = dsdjwt.issue_open(payment, payment_disclosures, issuer_key=mandate_key, now=now)
    return OpenMandates(open_checkout, open_payment)


def close_mandates(
    mandates: OpenMandates,
    cart_token: str,
    merchant_keys: Mapping[str, PublicKey],
    *,
    agent_key: SigningKey,
    psp_id: str,
    request_id: str,
    now: datetime,
) -> ClosedMandates:
    """The agent's closed mandates for a merchant-confirmed cart, chained to the open ones."""
    cart = verify_compact(cart_token, merchant_keys, typ=CART_TYP).payload
    merchant_id, method = str(cart["merchant_id"]), str(cart["payment"]["method_id"])
    products = {str(line["product_id"]) for line in cart["items"]}
    expires_at = min(now + CLOSED_LIFETIME, parse_instant(cart["price_locked_until"]))
    checkout = checkout_mandate_claims(cart_token, issued_at=now, expires_at=expires_at)
    payment = payment_mandate_claims(
        checkout_jwt=cart_token,
        payee=_merchant(merchant_id),
        amount=Money.from_json(cart["total"]),
        instrument={"id": method, "type": INSTRUMENT_TYPE},
        issued_at=now,
        expires_at=expires_at,
    )
    schemas.validate(AP2Schema.PAYMENT_MANDATE, payment)

    def needed_for_checkout(value: Any) -> bool:
        return isinstance(value, dict) and value.get("id") in products | {merchant_id}

    def needed_for_payment(value: Any) -> bool:
        return isinstance(value, dict) and value.get("id") in (merchant_id, method)

    return ClosedMandates(
        checkout=dsdjwt.close(
            dsdjwt.select(mandates.checkout, needed_for_checkout),
            checkout,
            agent_key=agent_key,
            audience=merchant_id,
            nonce=str(cart["out_trade_no"]),
            now=now,
        ),
        payment=dsdjwt.close(
            dsdjwt.select(mandates.payment, needed_for_payment),
            payment,
            agent_key=agent_key,
            audience=psp_id,
            nonce=request_id,
            now=now,
        ),
    )
