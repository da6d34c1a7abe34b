"""Exception tree of ``trustcart.delegation``.

    TrustcartError
    └── DelegationError
        ├── InvalidCredential     an ISR or IAC is structurally invalid (missing/ill-typed field)
        ├── IllegalTransition     a lifecycle change ACT does not allow
        ├── UnknownDelegation     no credential with that delegation_id
        └── StatusUnavailable     the status of a credential cannot be established (fail closed)

``DelegationProblem`` lists the stable problem codes the delegation service returns.
"""

from enum import StrEnum

from trustcart.core.errors import TrustcartError


class DelegationError(TrustcartError):
    """Base of delegation errors."""


class InvalidCredential(DelegationError):
    """An ISR or IAC failed structural validation."""


class IllegalTransition(DelegationError):
    """The requested lifecycle transition is not allowed by ACT 2.1."""


class UnknownDelegation(DelegationError):
    """No credential is known under that delegation_id."""


class StatusUnavailable(DelegationError):
    """The credential's status could not be established; payment must be refused."""


class DelegationProblem(StrEnum):
    IAC_INVALID = "iac-invalid"
    IAC_SUSPENDED = "iac-suspended"
    IAC_REVOKED = "iac-revoked"
    IAC_EXPIRED = "iac-expired"
    IAC_NOT_YET_VALID = "iac-not-yet-valid"
    ILLEGAL_TRANSITION = "illegal-transition"
    UNKNOWN_DELEGATION = "unknown-delegation"
    STATUS_UNAVAILABLE = "status-unavailable"
    NOT_AUTHORIZED = "not-authorized"
    DELEGATOR_KEY_UNKNOWN = "delegator-key-unknown"
