"""The wallet's AP2 side: closed AP2 v0.2 mandates for one merchant-confirmed cart.

Strategy: for a cart the person confirmed (the merchant-signed ``act-cart+jwt``, which is the
AP2 "merchant-signed checkout JWT"), the wallet, as AP2's Trusted Surface, signs two SD-JWTs
with its ES256 mandate key, both bound (``cnf``) to the agent's ES256 key:

* a checkout mandate (``mandate.checkout.1``): ``checkout_jwt`` (selectively disclosable) and
  its ``checkout_hash``;
* a payment mandate (``mandate.payment.1``): ``transaction_id`` = that hash, the payee (the
  cart's merchant), ``payment_amount`` (the cart total in minor units) and the instrument
  (the cart's payment method).

Both are validated against the pinned AP2 schemas before they are signed (``mandates``), and
expire after ``lifetime``, with the cart's price lock, or with the IAC, whichever is first.
The agent then presents each with a key-binding JWT (``present_mandates``): the checkout
mandate to the merchant (nonce: the merchant's order number), the payment mandate to the PSP
(nonce: the payment's request id). Everything is pure: keys and time are passed in.

UCP's AP2 extension (``issue_ucp_checkout_mandate``): a UCP business signs the checkout
itself (``ap2.merchant_authorization``, a detached JWS over the checkout without ``ap2``).
The wallet verifies that signature with the business's published keys, re-attaches it to the
checkout (``crypto.detached_jws.attach``: a compact JWS, the AP2 merchant-signed checkout JWT)
and signs a closed checkout mandate over it, with the same lifetime rule (never past the
IAC). The agent presents it to the business (``aud`` its endpoint, ``nonce`` the session id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.core.money import Money
from trustcart.core.typs import CART_TYP
from trustcart.crypto.detached_jws import attach, verify_detached
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2 import sdjwt
from trustcart.delegation.ap2.mandates import (
    DISCLOSABLE,
    MandateType,
    checkout_mandate_claims,
    payment_mandate_claims,
)
from trustcart.delegation.iac import IAC

MANDATE_LIFETIME = timedelta(minutes=15)  # at most; never past the price lock or the IAC


@dataclass(frozen=True)
class AP2Mandates:
    """The wallet's two issued SD-JWTs (no key binding yet) and the order they are for."""

    checkout: str
    payment: str
    out_trade_no: str
    merchant_id: str


@dataclass(frozen=True)
class PresentedMandates:
    """The two mandates as the agent presents them (SD-JWT+KB)."""

    checkout: str
    payment: str


def issue_mandates(
    cart_token: str,
    merchant_keys: Mapping[str, PublicKey],
    *,
    iac: IAC,
    mandate_key: SigningKey,
    agent_key: PublicKey,
    now: datetime,
    payee_name: str | None = None,
    lifetime: timedelta = MANDATE_LIFETIME,
) -> AP2Mandates:
    """Verify the merchant's cart, then issue the closed checkout and payment mandates for it.

    ``mandate_key``: the wallet's ES256 key, published for the delegator's identity;
    ``agent_key``: the agent's ES256 key that will present them (``cnf``).
    """
    cart = verify_compact(cart_token, merchant_keys, typ=CART_TYP).payload
    expires_at = min(now + lifetime, parse_instant(cart["price_locked_until"]), iac.validity_end)
    total = Money.from_json(cart["total"])
    merchant_id = str(cart["merchant_id"])
    method = cart["payment"]["method_id"]
    checkout_claims = checkout_mandate_claims(cart_token, issued_at=now, expires_at=expires_at)
    payment_claims = payment_mandate_claims(
        checkout_jwt=cart_token,
        payee={"id": merchant_id, "name": payee_name or merchant_id},
        amount=total,
        instrument={"id": method, "type": "trustcart.psp_account"},
        issued_at=now,
        expires_at=expires_at,
    )

    def sign(claims: dict[str, object], kind: MandateType) -> str:
        return sdjwt.issue(
            claims, disclosable=DISCLOSABLE[kind], issuer_key=mandate_key, holder=agent_key
        )

    return AP2Mandates(
        checkout=sign(checkout_claims, MandateType.CHECKOUT),
        payment=sign(payment_claims, MandateType.PAYMENT),
        out_trade_no=str(cart["out_trade_no"]),
        merchant_id=merchant_id,
    )


def present_mandates(
    mandates: AP2Mandates,
    *,
    agent_key: SigningKey,
    psp_id: str,
    request_id: str,
    now: datetime,
) -> PresentedMandates:
    """The agent's key binding: checkout to the merchant, payment to the PSP (module doc)."""
    return PresentedMandates(
        checkout=sdjwt.present(
            mandates.checkout,
            holder_key=agent_key,
            audience=mandates.merchant_id,
            nonce=mandates.out_trade_no,
            now=now,
        ),
        payment=sdjwt.present(
            mandates.payment, holder_key=agent_key, audience=psp_id, nonce=request_id, now=now
        ),
    )


def issue_ucp_checkout_mandate(
    checkout: Mapping[str, Any],
    business_keys: Mapping[str, PublicKey],
    *,
    iac: IAC,
    mandate_key: SigningKey,
    agent_key: PublicKey,
    now: datetime,
    lifetime: timedelta = MANDATE_LIFETIME,
) -> str:
    """Verify ``checkout``'s ``ap2.merchant_authorization`` with ``business_keys``, then issue
    a closed checkout mandate over that exact checkout (module doc); no key binding yet.

    Raises ``InvalidSignature`` when the authorization is missing or does not verify.
    """
    ap2 = checkout.get("ap2")
    authorization = ap2.get("merchant_authorization") if isinstance(ap2, Mapping) else None
    signed = {name: value for name, value in checkout.items() if name != "ap2"}
    if not isinstance(authorization, str):
        raise InvalidSignature
    verify_detached(authorization, signed, business_keys)
    checkout_jwt = attach(authorization, signed)
    expires_at = min(now + lifetime, iac.validity_end)
    claims = checkout_mandate_claims(checkout_jwt, issued_at=now, expires_at=expires_at)
    return sdjwt.issue(
        claims,
        disclosable=DISCLOSABLE[MandateType.CHECKOUT],
        issuer_key=mandate_key,
        holder=agent_key,
    )


@dataclass(frozen=True)
class UcpCheckoutMandates:
    """The wallet and agent keys that make UCP checkout mandates (``assistant.ucp.shops``):
    the wallet's ES256 mandate key (a delegator key of the person) issues, the agent's ES256
    key (``cnf``) presents."""

    mandate_key: SigningKey
    agent_key: SigningKey

    def checkout_mandate(
        self,
        checkout: Mapping[str, Any],
        business_keys: Mapping[str, PublicKey],
        *,
        iac: IAC,
        audience: str,
        now: datetime,
    ) -> str:
        """The SD-JWT+KB for ``checkout`` (``aud`` the business, ``nonce`` the session id)."""
        issued = issue_ucp_checkout_mandate(
            checkout,
            business_keys,
            iac=iac,
            mandate_key=self.mandate_key,
            agent_key=self.agent_key.public,
            now=now,
        )
        return sdjwt.present(
            issued,
            holder_key=self.agent_key,
            audience=audience,
            nonce=str(checkout["id"]),
            now=now,
        )
