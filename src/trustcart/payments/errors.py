"""Exception tree of ``trustcart.payments``.

    TrustcartError
    ├── ValidationError
    │   ├── UnbalancedEntry      a journal entry whose postings do not sum to zero per currency
    │   └── RiskConfigError      the deployment's risk.toml is wrong (the PSP does not start)
    └── PaymentError
        ├── LedgerError          the stored ledger is inconsistent (invariant check failed)
        ├── NotificationFailed   a merchant payment notice could not be delivered (retried later)
        └── PaymentRefused       also a core.problem.ProblemError: a refusal with a stable
                                 ``PaymentProblem`` code, rendered as problem+json

Every refusal is raised *before* anything is written to the ledger, or inside the one
transaction that would have written it (which then rolls back): a refused payment never moves
money. ``PAYMENT_PROBLEM_STATUS`` gives each code its HTTP status.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from trustcart.core.errors import TrustcartError, ValidationError
from trustcart.core.problem import ProblemError


class PaymentError(TrustcartError):
    """Base of payment errors."""


class UnbalancedEntry(ValidationError, PaymentError):
    """A journal entry does not balance; it cannot be built."""


class RiskConfigError(ValidationError, PaymentError):
    """The risk configuration (``risk.toml``) is invalid; the PSP refuses to start on it."""


class LedgerError(PaymentError):
    """The stored ledger broke an invariant (a bug or tampering, never a user error)."""


class NotificationFailed(PaymentError):
    """A payment notice could not be delivered to the merchant; the outbox keeps it."""


class PaymentProblem(StrEnum):
    """Stable problem codes of the payment service (documented in docs/errors.md)."""

    REQUEST_INVALID = "payment-request-invalid"
    AGENT_MISMATCH = "agent-mismatch"
    ROLE_NOT_ALLOWED = "role-not-allowed"
    TOKEN_INVALID = "token-invalid"  # noqa: S105 - a problem code, not a secret
    TOKEN_AGENT_MISMATCH = "token-agent-mismatch"  # noqa: S105 - a problem code, not a secret
    TOKEN_DELEGATION_MISMATCH = "token-delegation-mismatch"  # noqa: S105 - a problem code, not a secret
    BINDING_REFUSED = "binding-refused"
    UNKNOWN_ACCOUNT = "unknown-account"
    APPROVAL_MISSING = "approval-missing"
    APPROVAL_INVALID = "approval-invalid"
    APPROVAL_MISMATCH = "approval-mismatch"
    CART_INVALID = "cart-invalid"
    CART_EXPIRED = "cart-expired"
    AMOUNT_MISMATCH = "amount-mismatch"
    CURRENCY_MISMATCH = "currency-mismatch"
    OVER_BUDGET = "over-budget"
    OVER_SINGLE_LIMIT = "over-single-limit"
    UNDER_SINGLE_MINIMUM = "under-single-minimum"
    OVER_QUANTITY = "over-quantity"
    OVER_PERIOD_CAP = "over-period-cap"
    MERCHANT_NOT_ALLOWED = "merchant-not-allowed"
    CATEGORY_NOT_ALLOWED = "category-not-allowed"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    CONSTRAINT_VIOLATED = "constraint-violated"
    MODE_NOT_ALLOWED = "mode-not-allowed"
    AUP_NOT_BOUNDED = "aup-not-bounded"
    IAC_INVALID = "iac-invalid"
    IAC_SUSPENDED = "iac-suspended"
    IAC_REVOKED = "iac-revoked"
    IAC_EXPIRED = "iac-expired"
    IAC_NOT_YET_VALID = "iac-not-yet-valid"
    STATUS_UNAVAILABLE = "status-unavailable"
    PAYMENT_HELD = "payment-held"
    INSUFFICIENT_FUNDS = "insufficient-funds"
    ALREADY_PAID = "already-paid"
    IDEMPOTENCY_KEY_MISSING = "idempotency-key-missing"
    IDEMPOTENCY_CONFLICT = "idempotency-conflict"
    IDEMPOTENCY_IN_FLIGHT = "idempotency-in-flight"
    UNKNOWN_PAYMENT = "unknown-payment"
    REFUND_EXCEEDS_PAYMENT = "refund-exceeds-payment"
    NOT_PAYMENT_MERCHANT = "not-payment-merchant"
    AP2_MANDATE_REFUSED = "ap2-mandate-refused"  # the AP2 reason is in ``reason``
    BASKET_INVALID = "basket-invalid"
    RISK_REFUSED = "risk-refused"
    RISK_STEP_UP_REQUIRED = "risk-step-up-required"


_P = PaymentProblem
PAYMENT_PROBLEM_STATUS: dict[PaymentProblem, int] = {
    _P.REQUEST_INVALID: 400,
    _P.IDEMPOTENCY_KEY_MISSING: 400,
    _P.AGENT_MISMATCH: 403,
    _P.ROLE_NOT_ALLOWED: 403,
    _P.TOKEN_INVALID: 403,
    _P.TOKEN_AGENT_MISMATCH: 403,
    _P.TOKEN_DELEGATION_MISMATCH: 403,
    _P.BINDING_REFUSED: 403,
    _P.UNKNOWN_ACCOUNT: 404,
    _P.APPROVAL_MISSING: 403,
    _P.APPROVAL_INVALID: 403,
    _P.APPROVAL_MISMATCH: 403,
    _P.CART_INVALID: 422,
    _P.CART_EXPIRED: 409,
    _P.AMOUNT_MISMATCH: 422,
    _P.CURRENCY_MISMATCH: 422,
    _P.OVER_BUDGET: 403,
    _P.OVER_SINGLE_LIMIT: 403,
    _P.UNDER_SINGLE_MINIMUM: 403,
    _P.OVER_QUANTITY: 403,
    _P.OVER_PERIOD_CAP: 403,
    _P.MERCHANT_NOT_ALLOWED: 403,
    _P.CATEGORY_NOT_ALLOWED: 403,
    _P.METHOD_NOT_ALLOWED: 403,
    _P.CONSTRAINT_VIOLATED: 403,
    _P.MODE_NOT_ALLOWED: 403,
    _P.AUP_NOT_BOUNDED: 403,
    _P.IAC_INVALID: 403,
    _P.IAC_SUSPENDED: 403,
    _P.IAC_REVOKED: 403,
    _P.IAC_EXPIRED: 403,
    _P.IAC_NOT_YET_VALID: 403,
    _P.STATUS_UNAVAILABLE: 503,
    _P.PAYMENT_HELD: 503,
    _P.INSUFFICIENT_FUNDS: 402,
    _P.ALREADY_PAID: 409,
    _P.IDEMPOTENCY_CONFLICT: 422,
    _P.IDEMPOTENCY_IN_FLIGHT: 409,
    _P.UNKNOWN_PAYMENT: 404,
    _P.REFUND_EXCEEDS_PAYMENT: 422,
    _P.NOT_PAYMENT_MERCHANT: 404,
    _P.AP2_MANDATE_REFUSED: 403,
    _P.BASKET_INVALID: 422,
    _P.RISK_REFUSED: 403,
    _P.RISK_STEP_UP_REQUIRED: 403,
}


class PaymentRefused(ProblemError, PaymentError):
    """A payment, binding or refund was refused; nothing was written to the ledger."""

    def __init__(self, code: PaymentProblem, detail: str = "", **extra: Any) -> None:
        super().__init__(code, PAYMENT_PROBLEM_STATUS[code], detail, **extra)
        self.payment_problem = code
