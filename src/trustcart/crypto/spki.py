"""Ed25519 public keys as PEM SubjectPublicKeyInfo (RFC 8410), as TSD-CRD reference-v1 carries
them (``"format": "pem-spki"``).

Only the encoding is converted here; the key itself becomes an ordinary ``PublicKey`` (JWK,
RFC 7638 thumbprint) and is verified by ``PublicKey.verify`` like every other key. Any PEM that
is not one Ed25519 SPKI key is refused with ``KeyFormatError``.

>>> from trustcart.crypto.keys import SigningKey
>>> key = SigningKey.generate()
>>> public_key_from_pem(public_key_to_pem(key.public)) == key.public
True
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from trustcart.crypto.errors import KeyFormatError
from trustcart.crypto.keys import PublicKey


def public_key_from_pem(text: str) -> PublicKey:
    """Read one Ed25519 public key from PEM SPKI text; raise KeyFormatError otherwise."""
    if not isinstance(text, str):
        raise KeyFormatError("a PEM public key must be a string")
    try:
        loaded = load_pem_public_key(text.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as e:
        raise KeyFormatError("not a PEM SubjectPublicKeyInfo") from e
    if not isinstance(loaded, ed25519.Ed25519PublicKey):
        raise KeyFormatError("only Ed25519 public keys are accepted here")
    raw = loaded.public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": x})


def public_key_to_pem(key: PublicKey) -> str:
    """The PEM SPKI text of an Ed25519 ``PublicKey``."""
    public = key.as_joserfc().public_key
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise KeyFormatError("only Ed25519 public keys are written as pem-spki here")
    return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
