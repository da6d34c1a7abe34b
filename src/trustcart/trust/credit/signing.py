"""Detached Ed25519 signatures over canonical JSON projections (reference-v1 "signature
projections"), and the key ring that says which key belongs to whom.

Strategy: a reference-v1 proof signs the RFC 8785 (JCS) bytes of the object *minus* the fields
the profile lists for that proof (``OMIT_*`` below; JCS is ``trustcart.crypto.jcs``, Ed25519 is
``trustcart.crypto.keys``). The signature travels as unpadded base64url. Rules:

* only Ed25519 (``EdDSA`` keys); a P-256 key never verifies a reference-v1 proof;
* the signature text must be canonical base64url of exactly 64 bytes (no padding, no
  ``+``/``/``, no stray characters), so one signature has one spelling;
* a ``keyId`` in an object is only a name: the public key comes from ``CreditKeyRing``, which
  binds each key to one party, and a key is used only for the party the object names;
* every failure is the same opaque ``InvalidSignature``.

>>> from trustcart.crypto.keys import SigningKey
>>> key = SigningKey.generate()
>>> ring = CreditKeyRing().with_key("issuer:example", "issuer:example#1", key.public)
>>> signature = sign_projection({"a": "1"}, {"sig"}, key)
>>> signed = {"a": "1", "sig": signature}
>>> verify_projection(signed, {"sig"}, signed["sig"], ring.keys_for("issuer:example"))
>>> ring.keys_for("relying-party:other", "issuer:example#1")
()
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import canonicalize
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.trust.credit.errors import InvalidCreditObject

SIGNATURE_ALGORITHM = "Ed25519"

# Fields left out before signing, per proof (reference-v1 README, "签名投影").
OMIT_SUBJECT_INNER = frozenset(
    {
        "subjectPublicKey",
        "subjectSignature",
        "subjectSignatureAlgorithm",
        "issuerSignature",
        "issuerSignatureAlgorithm",
        "previousCredentialRef",
    }
)
OMIT_ISSUER_OUTER = frozenset(
    {"issuerSignature", "issuerSignatureAlgorithm", "statusQuery", "previousCredentialRef"}
)
OMIT_AUTHORIZATION_PROOF = frozenset({"authorizationProof", "status"})
OMIT_REQUEST_PROOF = frozenset({"requestProof"})
OMIT_RESPONSE_PROOF = frozenset({"responseProof"})
OMIT_STATUS_PROOF = frozenset({"statusProof"})
# Not listed by reference-v1; trustcart signs assertions the same way (documented).
OMIT_ASSERTION_PROOF = frozenset({"assertionProof"})

_B64URL = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
ED25519_SIGNATURE_BYTES = 64


def encode_signature(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_signature(text: object) -> bytes:
    """Strictly decode a 64-byte Ed25519 signature; raise InvalidSignature otherwise."""
    if not isinstance(text, str) or _B64URL.fullmatch(text) is None:
        raise InvalidSignature
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as e:
        raise InvalidSignature from e
    if len(raw) != ED25519_SIGNATURE_BYTES or encode_signature(raw) != text:
        raise InvalidSignature  # wrong length, or a non-canonical spelling of the same bytes
    return raw


def signing_input(
    obj: Mapping[str, Any], omit: Collection[str], *, override: Mapping[str, Any] | None = None
) -> bytes:
    """The JCS bytes that a proof covers: ``obj`` without ``omit``, with ``override`` applied."""
    projected = {name: value for name, value in obj.items() if name not in omit}
    projected.update(override or {})
    try:
        return canonicalize(projected)
    except ValidationError as e:
        # e.g. a float inside associatedCreditValue: trustcart signs no floats.
        raise InvalidSignature from e


def sign_projection(
    obj: Mapping[str, Any],
    omit: Collection[str],
    key: SigningKey,
    *,
    override: Mapping[str, Any] | None = None,
) -> str:
    """Sign the projection of ``obj`` with an Ed25519 key; return the base64url signature."""
    if key.alg != "EdDSA":
        raise InvalidCreditObject("reference-v1 proofs are Ed25519 only")
    return encode_signature(key.sign(signing_input(obj, omit, override=override)))


def verify_projection(
    obj: Mapping[str, Any],
    omit: Collection[str],
    signature: object,
    keys: Iterable[PublicKey],
    *,
    override: Mapping[str, Any] | None = None,
) -> None:
    """Verify ``signature`` over the projection with any of ``keys``; raise InvalidSignature."""
    raw = decode_signature(signature)
    data = signing_input(obj, omit, override=override)
    for key in keys:
        if key.alg != "EdDSA":
            continue
        try:
            key.verify(raw, data)
        except InvalidSignature:
            continue
        return
    raise InvalidSignature


@dataclass(frozen=True)
class BoundKey:
    """One public key and the party it belongs to (subject, issuer, relying party, ...)."""

    party_id: str
    key_id: str
    public_key: PublicKey

    def __post_init__(self) -> None:
        if not self.party_id or not self.key_id:
            raise InvalidCreditObject("a bound key needs a party id and a key id")
        if self.public_key.alg != "EdDSA":
            raise InvalidCreditObject("reference-v1 keys are Ed25519 only")


@dataclass(frozen=True)
class CreditKeyRing:
    """Which key belongs to which party: the trusted directory reference-v1 asks for.

    A ``keyId`` resolves only to its own party's key; asking for another party's key id gives
    nothing (a key trusted for a relying party proves nothing about a subject).
    """

    entries: tuple[BoundKey, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        ids = [entry.key_id for entry in self.entries]
        if len(ids) != len(set(ids)):
            raise InvalidCreditObject("a key id can belong to one party only")

    def with_key(self, party_id: str, key_id: str, public_key: PublicKey) -> CreditKeyRing:
        """A new ring with one more key."""
        return CreditKeyRing((*self.entries, BoundKey(party_id, key_id, public_key)))

    def keys_for(self, party_id: str, key_id: str | None = None) -> tuple[PublicKey, ...]:
        """The party's keys; with ``key_id``, only that key and only if it is the party's."""
        return tuple(
            entry.public_key
            for entry in self.entries
            if entry.party_id == party_id and (key_id is None or entry.key_id == key_id)
        )
