"""Which payment levels an IAC allows: the PSP's table, keyed by the IAC's signed terms.

ACT pairs each payment level with a basis: L1 (``PSD-PAY-INS``) the person confirms the
payment; L2 (``PSD-PAY-DEL``) the agent pays under a valid IAC with an explicit subject. A
trustcart IAC is signed *before* the merchant confirms the cart (the cart names the
delegation), so it cannot name the cart itself. What it can say, in its signed
``delegation_mode``, is whether the person approved a purchase or a standing order:

* ``SPECIFIED`` (a purchase the person chose; ACT's default when the field is absent): its
  explicit subject is the cart the person approves. It pays **only** in L1, each payment with
  the delegator's approval of that exact cart digest, order, merchant and amount. An agent
  holding such an IAC and its payment token cannot pay any other cart, however far inside
  the IAC's limits, because it cannot sign the approval.
* ``BOUNDED`` (a standing order: a goal and limits, the agent choosing): L1, or L2 without a
  per-payment approval, provided the person confirmed the credential
  (``user_confirmation_method``).

Everything else is ``mode-not-allowed``; the table is the rule, nothing else decides it.

>>> allowed_levels(DelegationMode.SPECIFIED, confirmed=True) == {PaymentMode.L1}
True
>>> sorted(allowed_levels(DelegationMode.BOUNDED, confirmed=True))
[<PaymentMode.L1: 'L1'>, <PaymentMode.L2: 'L2'>]
>>> sorted(allowed_levels(DelegationMode.BOUNDED, confirmed=False))
[<PaymentMode.L1: 'L1'>]
"""

from __future__ import annotations

from trustcart.core.payment import PaymentMode
from trustcart.delegation.iac import IAC
from trustcart.delegation.terms import DelegationMode
from trustcart.payments.errors import PaymentProblem, PaymentRefused

# (delegation_mode, the person confirmed the IAC) -> the levels it may pay at.
LEVELS: dict[tuple[DelegationMode, bool], frozenset[PaymentMode]] = {
    (DelegationMode.SPECIFIED, True): frozenset({PaymentMode.L1}),
    (DelegationMode.SPECIFIED, False): frozenset({PaymentMode.L1}),
    (DelegationMode.BOUNDED, True): frozenset({PaymentMode.L1, PaymentMode.L2}),
    (DelegationMode.BOUNDED, False): frozenset({PaymentMode.L1}),
}

_REFUSALS = {
    DelegationMode.SPECIFIED: "a SPECIFIED IAC pays only the cart the person approves (L1)",
    DelegationMode.BOUNDED: "L2 needs a credential the person confirmed",
}


def allowed_levels(mode: DelegationMode, *, confirmed: bool) -> frozenset[PaymentMode]:
    """The payment levels an IAC of ``mode`` allows (``confirmed``: it names how the person
    confirmed it); a mode missing from the table allows nothing."""
    return LEVELS.get((mode, confirmed), frozenset())


def check_level(level: PaymentMode, iac: IAC) -> None:
    """Refuse with ``mode-not-allowed`` unless ``iac`` allows paying at ``level``."""
    confirmed = iac.user_confirmation_method is not None
    if level not in allowed_levels(iac.delegation_mode, confirmed=confirmed):
        detail = _REFUSALS.get(iac.delegation_mode, "this IAC does not allow this payment level")
        raise PaymentRefused(PaymentProblem.MODE_NOT_ALLOWED, detail)
