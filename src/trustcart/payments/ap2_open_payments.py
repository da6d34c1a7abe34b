"""AP2 payments under open mandates (human not present): ``POST /ap2/payments`` with chains.

Strategy: the body is the one of a closed-mandate AP2 payment (``ap2_payments``), but each
mandate is a delegation chain (``<open mandate>~~<closed mandate>``, ``delegation.ap2.dsdjwt``):
the person's wallet signed the open one, the agent (its ``cnf`` key) the closed one. Nobody
approved this very cart, so this is an ACT **L2** payment: the IAC must be BOUNDED and
confirmed (``levels``). The PSP runs, in order, refusing at the first failure, writing nothing:

1. the credential checks every payment runs: token, IAC, window, level L2, status;
2. the payment chain verifies: the open mandate by a ``delegator`` key the directory publishes
   for the account's delegator identity, the closed one by the open one's ``cnf`` key, bound
   to this PSP (``aud``) and this ``request_id`` (``nonce``), fresh, ``sd_hash`` over the open
   part; the checkout chain likewise, for the cart's merchant and order number; both open
   mandates by the same wallet key and bound to the same agent key;
3. the closed mandates as in the human-present case: ``checkout_hash`` recomputed, the
   payment's ``transaction_id`` that hash, payee / amount / instrument the cart's, the cart
   merchant-signed for this delegation and price-locked;
4. every constraint of both open mandates met (unknown ones refused: ``ap2-constraint-unknown``),
   ``payment.reference`` naming this open checkout mandate, every claim the open mandate
   pre-sets unchanged; both open mandates and the closed payment inside the IAC; a
   ``payment.budget`` equal to the IAC's total (``check_budget_bound_by_iac``: the IAC's budget
   ledger, locked per payment, then holds both);
5. the IAC's own constraints and the token's limits.

The result is a ``CheckedPayment`` in mode L2, committed by the same ``PaymentCommit`` as every
payment (ledger, budget row under lock, receipt, log record, merchant notice). A replayed chain
finds its order paid (``already-paid``) or its key binding stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from trustcart.core.payment import PaymentMode
from trustcart.delegation.ap2 import dsdjwt, sdjwt
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.mandates import (
    CheckoutMandate,
    PaymentMandate,
)
from trustcart.delegation.ap2.open_checkout import OpenCheckoutMandate
from trustcart.delegation.ap2.open_mandates import (
    OpenPaymentMandate,
    check_budget_bound_by_iac,
    check_closed_meets_open,
    check_open_claims_kept,
    check_open_within_iac,
)
from trustcart.payments import checks, holds, levels
from trustcart.payments.ap2_fit import check_mandates_fit_cart
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.modes import PaymentRequest
from trustcart.payments.payment_admission import CheckedPayment, StatusCheck, bound_credential
from trustcart.store.db import Database
from trustcart.trust.directory import KeyDirectory

_P = PaymentProblem


def _closed(chain: dsdjwt.VerifiedChain) -> sdjwt.VerifiedPresentation:
    """The closed mandate as the closed-mandate values read it. AP2's own examples close an
    open mandate without ``exp``: such a closed mandate lives as long as its open one (and its
    key binding is fresh), so it takes the open one's ``exp``; one that names its own is held
    to it (and may not outlive the open one)."""
    claims = dict(chain.closed_claims)
    if "exp" not in claims and "exp" in chain.open_claims:
        claims["exp"] = chain.open_claims["exp"]
    return sdjwt.VerifiedPresentation(claims, chain.agent_key.kid, chain.kb_iat, chain.digest)


def _checkout_jwt(chain: str) -> str:
    """The ``checkout_jwt`` in a checkout chain's closed part, before it is verified (it is
    verified right after, for the merchant and order it names)."""
    _, closed = dsdjwt.split_chain(chain)
    try:
        for disclosure in closed.rstrip("~").split("~")[1:]:
            value = dsdjwt.decoded(disclosure)[-1]
            if isinstance(value, dict) and isinstance(value.get("checkout_jwt"), str):
                return str(value["checkout_jwt"])
    except (ValueError, UnicodeError) as e:
        raise MandateRefused(AP2Refusal.MALFORMED, f"not a dSD-JWT: {e}") from e
    raise PaymentRefused(_P.CART_INVALID, "the checkout mandate discloses no checkout_jwt")


def _same_parties(payment: dsdjwt.VerifiedChain, checkout: dsdjwt.VerifiedChain) -> None:
    if payment.issuer_kid != checkout.issuer_kid or payment.agent_key != checkout.agent_key:
        raise MandateRefused(
            AP2Refusal.KEY_BINDING_INVALID, "the two open mandates are for different parties"
        )


def check_open_ap2_payment(
    db: Database,
    agent_id: str,
    fields: Mapping[str, str],
    now: datetime,
    *,
    issuer_for: Callable[[str], sdjwt.IssuerKeys],
    directory: KeyDirectory,
    psp_id: str,
    check_status: StatusCheck,
) -> tuple[CheckedPayment, PaymentMandate]:
    """Every phase-1 check of an open-mandate AP2 payment (module doc); write nothing.

    ``issuer_for(identity)``: the trusted wallet keys of a delegator identity. Raises
    ``PaymentRefused`` for the ACT checks and ``MandateRefused`` for the AP2 ones.
    """
    if not (
        dsdjwt.is_chain(fields["payment_mandate"]) and dsdjwt.is_chain(fields["checkout_mandate"])
    ):
        raise MandateRefused(AP2Refusal.MALFORMED, "send both mandates as chains, or neither")
    request = PaymentRequest(
        mode=PaymentMode.L2,
        payment_token=fields["payment_token"],
        iac=fields["iac"],
        cart="",  # the closed checkout mandate's checkout_jwt, read below
        request_id=fields["request_id"],
    )
    token, account, spent, iac = bound_credential(db, request, agent_id, now)
    checks.check_window(iac, now)
    levels.check_level(PaymentMode.L2, iac)
    status = check_status(iac, now)
    issuer = issuer_for(account.delegator_identity)
    payment_chain = dsdjwt.verify_chain(
        fields["payment_mandate"],
        issuer_key=issuer,
        audience=psp_id,
        nonce=fields["request_id"],
        now=now,
    )
    cart = checks.verify_cart(
        _checkout_jwt(fields["checkout_mandate"]), directory, psp_id=psp_id, now=now
    )
    checkout_chain = dsdjwt.verify_chain(
        fields["checkout_mandate"],
        issuer_key=issuer,
        audience=cart.merchant_id,
        nonce=cart.out_trade_no,
        now=now,
    )
    _same_parties(payment_chain, checkout_chain)
    payment = PaymentMandate.from_presentation(_closed(payment_chain), now)
    checkout = CheckoutMandate.from_presentation(_closed(checkout_chain), now)
    check_mandates_fit_cart(payment, checkout, cart, iac, now)
    open_checkout = OpenCheckoutMandate.from_claims(checkout_chain.open_claims, now)
    open_checkout.check_within_iac(iac)
    open_checkout.check_closed(checkout)
    open_checkout.check_checkout(
        cart.merchant_id, [(line.product_id, line.quantity) for line in cart.lines]
    )
    open_payment = OpenPaymentMandate.from_claims(payment_chain.open_claims, now)
    check_open_within_iac(open_payment, iac)
    check_budget_bound_by_iac(open_payment, iac)
    check_open_claims_kept(payment_chain.open_claims, payment_chain.closed_claims)
    check_open_claims_kept(checkout_chain.open_claims, checkout_chain.closed_claims)
    check_closed_meets_open(payment, open_payment, checkout_reference=checkout_chain.open_reference)
    checked = CheckedPayment(PaymentMode.L2, token, account, iac, cart, status.token)
    checked.check_limits(spent, now)  # early answer; re-checked under lock
    if status.from_cache:
        raise holds.held_for_status(status, delegation_id=iac.delegation_id, now=now)
    return checked, payment
