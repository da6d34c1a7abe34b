"""Exception tree and refusal codes of ``trustcart.delegation.ap2`` (AP2 v0.2 mandates).

    TrustcartError
    └── AP2Error
        ├── AP2Unavailable      the pinned AP2 schemas cannot be read (fail closed: nothing
        │                       is accepted or issued without them)
        └── MandateRefused      a mandate (or its checkout, or its fit to the IAC) is refused;
                                ``code`` is an ``AP2Refusal``

Signature failures are opaque (STYLE 9): every bad signature, on the SD-JWT or on its KB-JWT,
is ``mandate-signature-invalid``; the detail stays in the message for the audit log.
"""

from __future__ import annotations

from enum import StrEnum

from trustcart.core.errors import TrustcartError


class AP2Refusal(StrEnum):
    """Stable refusal codes (documented in docs/errors.md)."""

    MALFORMED = "ap2-mandate-malformed"  # not an SD-JWT+KB, or a disclosure that does not parse
    SCHEMA_INVALID = "ap2-mandate-schema-invalid"  # fails the AP2 v0.2.0 JSON Schema
    WRONG_TYPE = "ap2-mandate-wrong-type"  # vct is not the mandate type expected here
    ISSUER_UNKNOWN = "ap2-mandate-issuer-unknown"  # kid not trusted for this delegator
    SIGNATURE_INVALID = "ap2-mandate-signature-invalid"  # SD-JWT or KB-JWT does not verify
    KEY_BINDING_INVALID = "ap2-mandate-key-binding-invalid"  # KB aud/nonce/iat/cnf wrong
    EXPIRED = "ap2-mandate-expired"  # exp passed, iat in the future, or no exp at all
    CHECKOUT_HASH_MISMATCH = "ap2-checkout-hash-mismatch"  # hash(checkout_jwt) differs
    CHECKOUT_MISMATCH = "ap2-checkout-mismatch"  # payee/amount differ from the checkout
    CONSTRAINT_UNKNOWN = "ap2-constraint-unknown"  # an open-mandate constraint we cannot judge
    CONSTRAINT_UNMET = "ap2-constraint-unmet"  # the closed mandate breaks an open constraint
    WIDER_THAN_IAC = "ap2-mandate-wider-than-iac"  # asks for more than the IAC grants


class AP2Error(TrustcartError):
    """Base of AP2 errors."""


class AP2Unavailable(AP2Error):
    """The AP2 schemas are missing or differ from their pins."""


class MandateRefused(AP2Error):
    """A mandate is refused; ``code`` says why (stable), the message is for people."""

    def __init__(self, code: AP2Refusal, message: str) -> None:
        super().__init__(message)
        self.code = code
