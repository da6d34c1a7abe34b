"""AP2 v0.2 mandates accepted by the PSP: ``POST /ap2/payments`` (phase 1, then the same commit).

Strategy: an AP2 payment is an ACT L1 payment whose approval is an AP2 closed payment mandate.
The agent sends, RFC 9421-signed with an ``Idempotency-Key``:

    {"payment_token": "ptk_...", "iac": "<IAC JWS>", "request_id": "req_...",
     "checkout_mandate": "<SD-JWT+KB>", "payment_mandate": "<SD-JWT+KB>"}

and the PSP runs, in order, refusing at the first failure and writing nothing:

1. the ACT credential checks every level runs (``payment_admission.bound_credential``): the
   token is live and this agent's, bound to this IAC, which verifies with the account's
   delegator key, is in its window, pays in L1, and is Active now (status service);
2. both mandates verify (``delegation.ap2``): ES256 SD-JWTs signed by a key the directory
   publishes for the account's *delegator identity* (role ``delegator``), schema-valid,
   unexpired, each with a KB-JWT from the key in its ``cnf`` (the agent's): the checkout
   mandate for the merchant (``aud`` = merchant id, ``nonce`` = its order number), the payment
   mandate for this PSP (``aud`` = psp id, ``nonce`` = ``request_id``);
3. ``checkout_hash`` is the hash of the ``checkout_jwt``, and the payment mandate's
   ``transaction_id`` is that hash; the checkout JWT is the merchant-signed ACT cart and must
   verify like any cart, for this delegation, still price-locked;
4. the payment mandate pays that cart's merchant its total by its method, and asks nothing the
   IAC does not grant (``iac_fit``); then the IAC's own constraints and the token's limits.

The result is a ``CheckedPayment`` in mode L1, committed by the same ``PaymentCommit`` as every
payment (same ledger, budget, receipt, log record, merchant notice). The answer adds an AP2
payment receipt (``ap2_payment_receipt``, a JWS by the PSP's key over a schema-valid
``payment_receipt.json`` object whose ``reference`` is the payment mandate's digest); a refusal
is ``ap2-mandate-refused`` with the AP2 ``reason`` and an Error receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.core.payment import PaymentMode
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2 import dsdjwt, schemas, sdjwt
from trustcart.delegation.ap2.errors import MandateRefused
from trustcart.delegation.ap2.mandates import (
    CheckoutMandate,
    PaymentMandate,
)
from trustcart.delegation.ap2.schemas import AP2Schema
from trustcart.payments import ap2_open_payments, checks, holds, levels
from trustcart.payments.ap2_fit import check_mandates_fit_cart
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.modes import PaymentRequest
from trustcart.payments.outcomes import PaymentOutcome
from trustcart.payments.payment_admission import CheckedPayment, StatusCheck, bound_credential
from trustcart.store.db import Database
from trustcart.trust.directory import KeyDirectory, usable_key

_P = PaymentProblem
RECEIPT_TYP = "ap2-payment-receipt+jwt"
FIELDS = ("payment_token", "iac", "request_id", "checkout_mandate", "payment_mandate")


def _strings(raw: Mapping[str, Any]) -> dict[str, str]:
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise PaymentRefused(_P.REQUEST_INVALID, f"unknown fields {sorted(unknown)}")
    for name in FIELDS:
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise PaymentRefused(_P.REQUEST_INVALID, f"{name} must be a non-empty string")
    return {name: raw[name] for name in FIELDS}


def sign_payment_receipt(receipt: dict[str, Any], key: SigningKey) -> str:
    """Validate ``receipt`` against AP2's ``payment_receipt.json``, then sign it (JWS)."""
    schemas.validate(AP2Schema.PAYMENT_RECEIPT, receipt)
    return sign_compact(receipt, key, typ=RECEIPT_TYP)


def error_receipt(
    refusal: MandateRefused, *, reference: str, payment_id: str, psp_id: str, now: datetime
) -> dict[str, Any]:
    """The AP2 Error receipt for a refused mandate."""
    return {
        "status": "Error",
        "iss": psp_id,
        "iat": int(now.timestamp()),
        "reference": reference,
        "payment_id": payment_id,
        "error": refusal.code.value,
        "error_description": str(refusal),
    }


def success_receipt(body: Mapping[str, Any], *, reference: str, psp_id: str) -> dict[str, Any]:
    """The AP2 Success receipt for a committed payment (``body``: the PSP's answer); issued
    at ``paid_at``, so a replayed answer carries the same receipt."""
    trade_no = str(body["trade_no"])
    return {
        "status": "Success",
        "iss": psp_id,
        "iat": int(parse_instant(body["paid_at"]).timestamp()),
        "reference": reference,
        "payment_id": trade_no,
        "psp_confirmation_id": trade_no,
        # No card network is involved: the PSP's own ledger settles (docs/ap2.md).
        "network_confirmation_id": f"{psp_id}:ledger:{trade_no}",
    }


def refused(
    e: MandateRefused, fields: Mapping[str, Any], *, key: SigningKey, psp_id: str, now: datetime
) -> PaymentRefused:
    """The PSP's refusal for an AP2 refusal, carrying its reason and a signed Error receipt."""
    mandate = fields.get("payment_mandate")
    reference = (
        dsdjwt.chain_reference(mandate) if isinstance(mandate, str) and mandate.isascii() else ""
    )
    receipt = error_receipt(
        e, reference=reference, payment_id=str(fields.get("request_id", "")), psp_id=psp_id, now=now
    )
    return PaymentRefused(
        _P.AP2_MANDATE_REFUSED,
        str(e),
        reason=e.code.value,
        ap2_payment_receipt=sign_payment_receipt(receipt, key),
    )


def with_receipt(
    outcome: PaymentOutcome, raw: Mapping[str, Any], *, key: SigningKey, psp_id: str
) -> PaymentOutcome:
    """A successful answer with its AP2 payment receipt added (refusals carry theirs)."""
    if not outcome.ok:
        return outcome
    reference = dsdjwt.chain_reference(str(raw["payment_mandate"]))
    receipt = sign_payment_receipt(
        success_receipt(outcome.body, reference=reference, psp_id=psp_id), key
    )
    return replace(outcome, body={**outcome.body, "ap2_payment_receipt": receipt})


def admit(
    db: Database,
    agent_id: str,
    raw: Mapping[str, Any],
    now: datetime,
    *,
    directory: KeyDirectory,
    psp_id: str,
    check_status: StatusCheck,
    key: SigningKey,
) -> CheckedPayment:
    """``check_ap2_payment`` with an AP2 refusal turned into the PSP's (``refused``)."""
    try:
        checked, _ = check_ap2_payment(
            db, agent_id, raw, now, directory=directory, psp_id=psp_id, check_status=check_status
        )
    except MandateRefused as e:
        raise refused(e, raw, key=key, psp_id=psp_id, now=now) from e
    return checked


def _delegator_keys(directory: KeyDirectory, identity: str, now: datetime) -> sdjwt.IssuerKeys:
    def lookup(kid: str) -> PublicKey | None:
        entry = usable_key(directory, kid, now, roles=("delegator",))
        return entry.public_key if entry is not None and entry.party_id == identity else None

    return lookup


def check_ap2_payment(
    db: Database,
    agent_id: str,
    raw: Mapping[str, Any],
    now: datetime,
    *,
    directory: KeyDirectory,
    psp_id: str,
    check_status: StatusCheck,
) -> tuple[CheckedPayment, PaymentMandate]:
    """Run every phase-1 check of an AP2 payment (module doc); write nothing.

    Raises ``PaymentRefused`` for the ACT checks and ``MandateRefused`` for the AP2 ones.
    """
    fields = _strings(raw)
    if dsdjwt.is_chain(fields["payment_mandate"]) or dsdjwt.is_chain(fields["checkout_mandate"]):
        # Human not present: open mandates chained to the agent's closed ones (L2).
        return ap2_open_payments.check_open_ap2_payment(
            db,
            agent_id,
            fields,
            now,
            issuer_for=lambda identity: _delegator_keys(directory, identity, now),
            directory=directory,
            psp_id=psp_id,
            check_status=check_status,
        )
    request = PaymentRequest(
        mode=PaymentMode.L1,
        payment_token=fields["payment_token"],
        iac=fields["iac"],
        cart="",  # the checkout mandate's checkout_jwt, read below
        request_id=fields["request_id"],
    )
    token, account, spent, iac = bound_credential(db, request, agent_id, now)
    checks.check_window(iac, now)
    levels.check_level(PaymentMode.L1, iac)
    status = check_status(iac, now)
    issuer = _delegator_keys(directory, account.delegator_identity, now)
    payment = PaymentMandate.from_presentation(
        sdjwt.verify_presentation(
            fields["payment_mandate"],
            issuer_key=issuer,
            audience=psp_id,
            nonce=fields["request_id"],
            now=now,
        ),
        now,
    )
    # The checkout mandate is for the merchant, whose order number is its nonce: read the
    # merchant and order from the cart it carries, then verify it against exactly those.
    cart = checks.verify_cart(
        _checkout_jwt(fields["checkout_mandate"]), directory, psp_id=psp_id, now=now
    )
    checkout = CheckoutMandate.from_presentation(
        sdjwt.verify_presentation(
            fields["checkout_mandate"],
            issuer_key=issuer,
            audience=cart.merchant_id,
            nonce=cart.out_trade_no,
            now=now,
        ),
        now,
    )
    check_mandates_fit_cart(payment, checkout, cart, iac, now)
    checked = CheckedPayment(PaymentMode.L1, token, account, iac, cart, status.token)
    checked.check_limits(spent, now)  # early answer; re-checked under lock
    if status.from_cache:
        raise holds.held_for_status(status, delegation_id=iac.delegation_id, now=now)
    return checked, payment


def _checkout_jwt(presentation: str) -> str:
    """The ``checkout_jwt`` disclosed in a checkout mandate, before it is verified (it is
    verified right after, and its hash is checked against the signed ``checkout_hash``)."""
    unverified = sdjwt.disclosed_claims_unverified(presentation)
    value = unverified.get("checkout_jwt")
    if not isinstance(value, str):
        raise PaymentRefused(_P.CART_INVALID, "the checkout mandate discloses no checkout_jwt")
    return value
