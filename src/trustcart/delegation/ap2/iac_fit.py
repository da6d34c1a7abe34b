"""An AP2 mandate mapped onto the IAC it is used under: a mandate may narrow, never widen.

Strategy: trustcart decides every payment on the IAC (ACT's Intent Authorization Credential);
an AP2 mandate is a second, narrower statement of the same person's will. So each field of a
mandate that has an IAC counterpart is checked against it, and anything the IAC does not grant
is refused with ``ap2-mandate-wider-than-iac``, never clipped:

    payment_amount.currency      = the IAC's currency
    payment_amount.amount        <= max_single_amount (when set) and <= max_total_amount
    payee.id                     in allowed_merchants (when set), not in forbidden_merchants
    payment_instrument.id        in allowed_payment_methods (when set)
    exp                          <= the IAC's validity end (a mandate may not outlive it)
    execution_date               refused: ACT pays at once, the IAC has no deferred payment

What AP2 does not say (categories, quantities, the task) is still decided by the IAC on the
merchant-signed cart, through the PSP's ordinary checks. The payment's fit to the *checkout*
(``check_payment_matches_checkout``) is separate: same payee, same amount, same method.

>>> from trustcart.core.money import Money
>>> _within_amounts(Money(500, "CNY"), Money(1000, "CNY"), None)
"""

from __future__ import annotations

from datetime import datetime

from trustcart.core.money import Money
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.mandates import PaymentMandate
from trustcart.delegation.iac import IAC

_WIDER = AP2Refusal.WIDER_THAN_IAC


def _within_amounts(amount: Money, max_total: Money, max_single: Money | None) -> None:
    if amount.currency != max_total.currency:
        raise MandateRefused(_WIDER, "the mandate's currency is not the IAC's")
    if amount > max_total or (max_single is not None and amount > max_single):
        raise MandateRefused(_WIDER, "the mandate's amount is above the IAC's limit")


def check_payment_within_iac(payment: PaymentMandate, iac: IAC, now: datetime) -> None:
    """Refuse a payment mandate that asks for anything the IAC does not grant (module doc)."""
    commerce = iac.commerce
    _within_amounts(payment.amount, iac.max_total, commerce.max_single)
    if commerce.allowed_merchants and payment.payee_id not in commerce.allowed_merchants:
        raise MandateRefused(_WIDER, "the payee is not among the IAC's merchants")
    if payment.payee_id in commerce.forbidden_merchants:
        raise MandateRefused(_WIDER, "the IAC forbids this payee")
    if iac.allowed_payment_methods and payment.instrument_id not in iac.allowed_payment_methods:
        raise MandateRefused(_WIDER, "the payment instrument is not among the IAC's methods")
    if payment.expires_at > iac.validity_end:
        raise MandateRefused(_WIDER, "the mandate outlives the IAC")
    if payment.deferred:
        raise MandateRefused(_WIDER, "a deferred execution_date is not in the IAC")
    if not iac.in_window(now):
        raise MandateRefused(_WIDER, "the IAC is not valid now")


def check_payment_matches_checkout(
    payment: PaymentMandate, *, merchant_id: str, total: Money, method_id: str
) -> None:
    """Refuse unless the payment mandate pays the checkout's merchant its total by its method."""
    if payment.payee_id != merchant_id:
        raise MandateRefused(AP2Refusal.CHECKOUT_MISMATCH, "the payee is not the checkout's")
    if payment.amount != total:
        raise MandateRefused(AP2Refusal.CHECKOUT_MISMATCH, "the amount is not the checkout total")
    if payment.instrument_id != method_id:
        raise MandateRefused(AP2Refusal.CHECKOUT_MISMATCH, "the instrument is not the checkout's")
