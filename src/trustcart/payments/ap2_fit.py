"""What every AP2 payment checks of its closed mandates: they bind the signed cart, fit the IAC.

The human-present form (``ap2_payments``) and the chained open form (``ap2_open_payments``)
read their mandates differently, then make the same five checks, in this order: the checkout
mandate carries exactly the merchant-signed cart presented, the payment mandate names that
checkout, the cart is this delegation's and still locked, the payment pays that cart's payee,
total and method, and the payment fits the IAC.
"""

from __future__ import annotations

from datetime import datetime

from trustcart.delegation.ap2.iac_fit import (
    check_payment_matches_checkout,
    check_payment_within_iac,
)
from trustcart.delegation.ap2.mandates import (
    CheckoutMandate,
    PaymentMandate,
    bind_payment_to_checkout,
)
from trustcart.delegation.iac import IAC
from trustcart.payments import checks
from trustcart.payments.checks import ConfirmedCart
from trustcart.payments.errors import PaymentProblem, PaymentRefused


def check_mandates_fit_cart(
    payment: PaymentMandate, checkout: CheckoutMandate, cart: ConfirmedCart, iac: IAC, now: datetime
) -> None:
    """Raise ``PaymentRefused`` or ``MandateRefused`` unless they bind ``cart`` within ``iac``."""
    if checkout.checkout_jwt != cart.token:  # pragma: no cover - the same disclosure
        raise PaymentRefused(PaymentProblem.CART_INVALID, "the checkout is not the cart")
    bind_payment_to_checkout(payment, checkout)
    checks.check_cart_against(cart, iac, now)
    check_payment_matches_checkout(
        payment, merchant_id=cart.merchant_id, total=cart.total, method_id=cart.method_id
    )
    check_payment_within_iac(payment, iac, now)
