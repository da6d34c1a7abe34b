"""Exception tree of ``trustcart.trust.credit`` (TSD-CRD, credit association).

    TrustcartError
    └── TrustError
        └── CreditError
            ├── InvalidCreditObject      an object breaks its pinned reference-v1 schema or a
            │                            TSD-CRD rule (unknown field, missing binding, leak, ...)
            ├── SchemaUnavailable        the pinned schemas cannot be read, or differ from their
            │                            pins: nothing is validated, so nothing is accepted
            ├── IllegalCreditTransition  a status change TSD-CRD-LCM does not allow
            └── DependencyUnavailable    a status or credit service cannot answer now

Signature failures stay ``trustcart.crypto.errors.InvalidSignature`` (opaque on purpose).
Verification never raises for a bad request: it returns an outcome with a reference-v1
reason code (``reasons.ReasonCode``).
"""

from trustcart.trust.errors import TrustError


class CreditError(TrustError):
    """Base of credit-association errors."""


class InvalidCreditObject(CreditError):
    """A TSD-CRD object failed its schema or a semantic rule; the message says which."""


class SchemaUnavailable(CreditError):
    """The pinned reference-v1 schemas are missing or altered; validation fails closed."""


class IllegalCreditTransition(CreditError):
    """A credential or authorization status change that TSD-CRD-LCM does not allow."""


class DependencyUnavailable(CreditError):
    """A status, credit or key service could not answer; the verdict is INCONCLUSIVE."""
