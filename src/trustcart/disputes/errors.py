"""The disputes package's exceptions and stable problem codes.

TrustcartError
└── DisputeError                 (code: a ``DisputeProblem``)
    ├── DisputeNotFound          no such dispute, or no such paid order
    ├── DisputeForbidden         the caller is neither the payer nor the paid merchant
    ├── DisputeConflict          the order already has a dispute
    └── IllegalDisputeTransition the lifecycle table has no such move (nothing changed)
"""

from __future__ import annotations

from enum import StrEnum

from trustcart.core.errors import TrustcartError


class DisputeProblem(StrEnum):
    """Stable codes (docs/errors.md)."""

    NOT_FOUND = "dispute-not-found"
    ORDER_NOT_PAID = "dispute-order-not-paid"
    FORBIDDEN = "dispute-forbidden"
    ALREADY_OPEN = "dispute-already-open"
    ILLEGAL_TRANSITION = "dispute-illegal-transition"
    REQUEST_INVALID = "dispute-request-invalid"


class DisputeError(TrustcartError):
    """Base of the disputes package's errors; ``code`` is stable, ``status`` the HTTP one."""

    status = 400

    def __init__(self, code: DisputeProblem, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class DisputeNotFound(DisputeError):
    status = 404


class DisputeForbidden(DisputeError):
    status = 403


class DisputeConflict(DisputeError):
    status = 409


class IllegalDisputeTransition(DisputeError):
    status = 409

    def __init__(self, state: str, event: str) -> None:
        super().__init__(
            DisputeProblem.ILLEGAL_TRANSITION, f"a dispute in state {state} cannot {event}"
        )
        self.state = state
        self.event = event
