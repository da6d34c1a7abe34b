"""The root of trustcart's exception trees.

    TrustcartError
    ├── ValidationError        bad input, found when a value object is built
    │   └── MoneyError         amounts and currencies
    ├── core.problem.ProblemError   an error that an HTTP shell renders as problem+json
    └── one subtree per package (crypto.CryptoError, delegation.DelegationError, ...)

Each package draws its own subtree in its ``errors`` module and wraps foreign exceptions at
its boundary with ``raise ... from e``.
"""


class TrustcartError(Exception):
    """Base class of every error trustcart raises on purpose."""


class ValidationError(TrustcartError, ValueError):
    """A value failed validation while being built or parsed."""


class MoneyError(ValidationError):
    """An amount or currency is invalid, or two currencies were mixed."""
