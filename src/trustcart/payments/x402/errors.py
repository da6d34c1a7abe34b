"""Exceptions of x402 v2.

    TrustcartError
    └── X402Error            a payment is refused; ``reason`` is an ``X402Reason``

Every refusal leaves the ledger as it was; the reason is what the 402 body and the
``PAYMENT-RESPONSE`` ``errorReason`` name.
"""

from __future__ import annotations

from enum import StrEnum

from trustcart.core.errors import TrustcartError


class X402Reason(StrEnum):
    HEADER_INVALID = "x402-header-invalid"
    VERSION_UNSUPPORTED = "x402-version-unsupported"
    SCHEME_UNSUPPORTED = "x402-scheme-unsupported"
    UNKNOWN_ORDER = "x402-unknown-order"
    REQUIREMENTS_MISMATCH = "x402-requirements-mismatch"
    RESOURCE_MISMATCH = "x402-resource-mismatch"
    SIGNATURE_INVALID = "x402-signature-invalid"
    RECIPIENT_MISMATCH = "x402-recipient-mismatch"
    AMOUNT_MISMATCH = "x402-amount-mismatch"
    NOT_YET_VALID = "x402-not-yet-valid"
    EXPIRED = "x402-expired"
    NONCE_USED = "x402-nonce-used"
    UNKNOWN_PAYER = "x402-unknown-payer"
    INSUFFICIENT_FUNDS = "x402-insufficient-funds"
    ORDER_CLOSED = "x402-order-closed"


class X402Error(TrustcartError):
    """An x402 payment was refused for ``reason``; nothing was charged."""

    def __init__(self, reason: X402Reason, detail: str = "") -> None:
        super().__init__(detail or str(reason))
        self.reason = reason
        self.detail = detail or str(reason)
