"""How an ACP checkout is paid: the vault for ordinary ACP, the ACT provider path under an IAC.

Strategy: one ``PaymentGateway`` (``commerce.checkout_payment``) that chooses by what the
completing session carries, never by what the platform asks for:

* no ACT intent credential: an ordinary ACP checkout. The delegated vault token is charged
  against its allowance (``payments.vault.VaultService.charge``); no ACT record, no bundle.
* bound to an IAC: the payment goes through the payment provider's ACT path, exactly as an ACT
  purchase (``commerce.ucp.payment.ProviderGateway``: an L2 payment of the merchant-signed cart
  with the IAC and the restricted payment token bound to it). The provider checks the token,
  the IAC's signature, window, level and status, the cart and the cumulative budget, signs the
  ACT receipt and records ``transaction-completed``; so an ACP order under an IAC leaves the
  same events and the same evidence bundle as any ACT purchase.

Rule kept (fail closed): a session bound to an IAC is never charged to a vault token. A vault
token (``vt_...``) presented for such a session is declined (``act-token-required``) before
anything is asked of the vault, so an ACT-bound order cannot be paid outside the budget, the
status check and the log.
"""

from __future__ import annotations

from trustcart.commerce.checkout_payment import ChargeRequest, ChargeResult, PaymentGateway

ACT_TOKEN_REQUIRED = "act-token-required"  # noqa: S105 - a decline code, not a secret
VAULT_TOKEN_PREFIX = "vt_"  # noqa: S105 - payments.vault.TOKEN_PREFIX (commerce may not import it)


class AcpPaymentRouter:
    """Pay an ACP checkout through ``vault`` (no IAC) or ``act`` (bound to an IAC)."""

    def __init__(self, vault: PaymentGateway, act: PaymentGateway) -> None:
        self._vault = vault
        self._act = act

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge ``request`` through the gateway its session calls for (module doc).

        >>> class Never:
        ...     def charge(self, request):
        ...         raise AssertionError("not asked")
        >>> from trustcart.core.money import Money
        >>> request = ChargeRequest("vt_x", "m", "cs", "o", Money(100, "CNY"), "k", iac="jws")
        >>> AcpPaymentRouter(Never(), Never()).charge(request).decline_code
        'act-token-required'
        """
        if request.iac is None:
            return self._vault.charge(request)
        if request.token.startswith(VAULT_TOKEN_PREFIX):
            return ChargeResult(
                approved=False,
                decline_code=ACT_TOKEN_REQUIRED,
                message=(
                    "a checkout bound to an ACT intent credential is paid with the restricted "
                    "payment token bound to that credential, not a vault token"
                ),
            )
        return self._act.charge(request)
