"""Payment vocabulary every party shares on the wire: the payment mode and the payment status.

The payment provider, the merchant (reading payment notices), the buyer agent and the evidence
verifier all read these values, so they live in the core rather than in any one party.
"""

from __future__ import annotations

from enum import StrEnum


class PaymentMode(StrEnum):
    """ACT's payment levels as the payment request names them."""

    L1 = "L1"  # PSD-PAY-INS: the person approves this exact cart
    L2 = "L2"  # PSD-PAY-DEL: the agent pays within the IAC without asking
    L3 = "L3"  # PSD-PAY-AUP: autonomous payments under a BOUNDED IAC (payments.aup)


class PaymentStatus(StrEnum):
    """The state of a payment as receipts, notices and the ledger record it."""

    SUCCESS = "SUCCESS"
    REFUNDED = "REFUNDED"
