"""Exception tree of ``trustcart.payments.a402``.

    TrustcartError
    └── A402Error                   every error carries an ACT-A402 ``code`` and an error body
        ├── HeaderRefused           a header value that is not well-formed A402 (``defect``);
        │                           also a ValidationError
        ├── ProofRefused            the seller's proof validation failed (``reason``)
        ├── RequirementConflict     an order number reused with other terms: a changed amount,
        │                           order or resource needs a new requirement
        └── IllegalTransactionTransition   a state change the A402 table does not allow

The package is rooted at ``TrustcartError`` rather than ``payments.errors.PaymentError`` on
purpose: the A402 core is the wire protocol both parties speak (the seller and the buyer agent),
and it imports nothing from the payment provider, so it can be used, or moved, on either side.
Only the documented errors escape the decoders: foreign exceptions are wrapped with ``from``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from trustcart.core.errors import TrustcartError, ValidationError
from trustcart.payments.a402.body import ErrorBody, error_body
from trustcart.payments.a402.codes import (
    HEADER_DEFECT_CODES,
    PROOF_REJECTION_CODES,
    A402Code,
    HeaderDefect,
    ProofRejection,
)


class A402Error(TrustcartError):
    """Base of A402 errors: ``code`` is the ACT-A402 error id a peer is told."""

    def __init__(self, code: A402Code, detail: str = "", reason: StrEnum | None = None) -> None:
        super().__init__(detail or str(code))
        self.code = code
        self.detail = detail
        self.reason = reason

    def body(self) -> ErrorBody:
        """The ``error.schema.json`` body for this error; ``details.reason`` names the rule."""
        details: dict[str, Any] | None = None
        if self.reason is not None:
            details = {"reason": str(self.reason)}
        return error_body(self.code, details=details)


class HeaderRefused(ValidationError, A402Error):
    """A Payment-Needed / Payment-Proof / Payment-Validation value was refused."""

    def __init__(self, defect: HeaderDefect, detail: str = "") -> None:
        A402Error.__init__(self, HEADER_DEFECT_CODES[defect], detail or str(defect), defect)
        self.defect = defect


class ProofRefused(A402Error):
    """The seller refused a payment proof; nothing is delivered."""

    def __init__(self, reason: ProofRejection, detail: str = "") -> None:
        super().__init__(PROOF_REJECTION_CODES[reason], detail or str(reason), reason)
        self.rejection = reason


class RequirementConflict(A402Error):
    """An ``out_trade_no`` was issued again with other terms; issue a new requirement."""

    def __init__(self, detail: str) -> None:
        super().__init__(A402Code.REQUEST_INVALID, detail)


class IllegalTransactionTransition(A402Error):
    """The transaction table does not allow this event in this state; nothing changed."""

    def __init__(self, detail: str) -> None:
        super().__init__(A402Code.STATE_CONFLICT, detail)
