"""Signing keys as JWK: Ed25519 (``EdDSA``, the default) and P-256 (``ES256``).

Keys are identified by their RFC 7638 JWK thumbprint (``kid``), which is what RFC 9421
``keyid`` and JWS ``kid`` carry everywhere in trustcart. Parsing and thumbprints come from
joserfc; raw signing from pyca/cryptography.

>>> key = SigningKey.generate("EdDSA")
>>> key.public.kid == key.kid
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from trustcart.crypto.errors import InvalidSignature, KeyFormatError

Algorithm = Literal["EdDSA", "ES256"]
ALGORITHMS: tuple[Algorithm, ...] = ("EdDSA", "ES256")
_PUBLIC_FIELDS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}


def _import(jwk: Mapping[str, Any]) -> OKPKey | ECKey:
    if not isinstance(jwk, Mapping):
        raise KeyFormatError("a JWK must be a JSON object")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "OKP" and crv == "Ed25519":
            return OKPKey.import_key(dict(jwk))
        if kty == "EC" and crv == "P-256":
            return ECKey.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError) as e:
        raise KeyFormatError("invalid JWK") from e
    raise KeyFormatError(f"unsupported key type {kty}/{crv}; use Ed25519 or P-256")


@dataclass(frozen=True)
class PublicKey:
    """A verification key. ``jwk`` holds only public members, ``kid`` is its RFC 7638 thumbprint."""

    jwk: Mapping[str, str]
    kid: str
    alg: Algorithm

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        # A private JWK is accepted; only its public members are kept.
        key = _import(jwk)
        public = {name: str(jwk[name]) for name in _PUBLIC_FIELDS[str(jwk["kty"])]}
        alg: Algorithm = "EdDSA" if jwk["kty"] == "OKP" else "ES256"
        if "alg" in jwk and jwk["alg"] not in (alg, "Ed25519"):
            raise KeyFormatError(f"JWK alg {jwk['alg']!r} does not match its key type")
        return cls(jwk=public, kid=key.thumbprint(), alg=alg)

    def to_jwk(self) -> dict[str, str]:
        """The public JWK with ``kid`` and ``alg``, as published in a JWKS."""
        return {**self.jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def verify(self, signature: bytes, data: bytes) -> None:
        """Verify a raw signature (ES256 in JOSE's r||s form); raise InvalidSignature."""
        key = _import(self.jwk)
        try:
            if self.alg == "EdDSA":
                public = key.public_key
                assert isinstance(public, ed25519.Ed25519PublicKey)
                public.verify(signature, data)
            else:
                public_ec = key.public_key
                assert isinstance(public_ec, ec.EllipticCurvePublicKey)
                if len(signature) != 64:
                    raise InvalidSignature
                r = int.from_bytes(signature[:32], "big")
                s = int.from_bytes(signature[32:], "big")
                public_ec.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        except _CryptoInvalidSignature as e:
            raise InvalidSignature from e

    def as_joserfc(self) -> OKPKey | ECKey:
        return _import(self.jwk)


class SigningKey:
    """A private key. Never serialized except by ``to_private_jwk`` for the key store."""

    __slots__ = ("_key", "public")

    def __init__(self, key: OKPKey | ECKey) -> None:
        if not key.is_private:
            raise KeyFormatError("a signing key needs the private member")
        self._key = key
        self.public = PublicKey.from_jwk(key.as_dict(private=False))

    @classmethod
    def generate(cls, alg: Algorithm = "EdDSA") -> SigningKey:
        if alg == "EdDSA":
            return cls(OKPKey.generate_key("Ed25519"))
        if alg == "ES256":
            return cls(ECKey.generate_key("P-256"))
        raise KeyFormatError(f"unsupported algorithm {alg!r}")

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> SigningKey:
        return cls(_import(jwk))

    def to_private_jwk(self) -> dict[str, Any]:
        return dict(self._key.as_dict(private=True))

    @property
    def kid(self) -> str:
        return self.public.kid

    @property
    def alg(self) -> Algorithm:
        return self.public.alg

    def as_joserfc(self) -> OKPKey | ECKey:
        return self._key

    def sign(self, data: bytes) -> bytes:
        """Raw signature over ``data`` (ES256 returned as JOSE's 64-byte r||s)."""
        private = self._key.private_key
        if isinstance(private, ed25519.Ed25519PrivateKey):
            return private.sign(data)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self) -> str:  # never print the private key
        return f"SigningKey(alg={self.alg!r}, kid={self.kid!r})"


def jwks(keys: Iterable[PublicKey]) -> dict[str, list[dict[str, str]]]:
    """A JWK Set document for publication (``/.well-known/jwks.json``)."""
    return {"keys": [key.to_jwk() for key in keys]}


def keys_from_jwks(document: Mapping[str, Any]) -> dict[str, PublicKey]:
    """Parse a JWKS into ``{kid: PublicKey}``; a ``kid`` that is not the thumbprint is refused."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise KeyFormatError("a JWKS needs a 'keys' array")
    found: dict[str, PublicKey] = {}
    for entry in entries:
        key = PublicKey.from_jwk(entry)
        if "kid" in entry and entry["kid"] != key.kid:
            raise KeyFormatError("JWKS kid is not the RFC 7638 thumbprint of its key")
        found[key.kid] = key
    return found
