"""Exception tree of ``trustcart.crypto``.

TrustcartError
└── CryptoError
    ├── KeyFormatError     a key could not be loaded, or has the wrong type
    └── InvalidSignature   any failed signature or digest check (deliberately opaque)
        ├── digest.DigestMismatch     Content-Digest missing or wrong
        ├── httpsig.verification.SignatureMissing  no (matching) RFC 9421 signature
        ├── httpsig.verification.SignatureExpired  outside created/expires or lifetime too long
        ├── httpsig.verification.UnknownKey        keyid not usable (unknown, revoked, wrong role)
        └── httpsig.verification.NonceReplayed     the nonce was seen before
"""

from trustcart.core.errors import TrustcartError


class CryptoError(TrustcartError):
    """Base of crypto errors."""


class KeyFormatError(CryptoError):
    """A key could not be parsed, or is of a type trustcart does not accept."""


class InvalidSignature(CryptoError):
    """A signature, MAC or digest did not verify. The reason goes to the audit log only."""
