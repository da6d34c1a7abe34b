"""RFC 9530 ``Content-Digest``: a hash of the raw body bytes, bound into the RFC 9421 signature.

The field is a Structured Fields Dictionary (RFC 8941) whose members are byte sequences,
``sha-256=:<base64>:``. We send ``sha-256`` (UCP requires it) and accept ``sha-256`` and
``sha-512`` on input. Rules kept here, all failing closed:

* the digest is over the exact bytes received, never over re-serialized JSON;
* every member must name an algorithm we accept and carry a digest of the right length;
  an unknown or deprecated algorithm (``md5``, ``sha``, ``unixsum`` ...) is refused rather than
  skipped, so a sender cannot hide a mismatch behind a member we would not check;
* every member must match; comparison is constant-time.

Failures raise ``DigestMismatch``, a subclass of ``InvalidSignature``, so that the HTTP shell can
answer ``digest-mismatch`` while everyone else just sees a failed signature check.

>>> make_content_digest(b'{"hello": "world"}')
'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
>>> verify_content_digest(make_content_digest(b"abc"), b"abc")
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from http_sfv.dictionary import Dictionary
from http_sfv.item import Item

from trustcart.crypto.errors import InvalidSignature

DEFAULT_ALGORITHM = "sha-256"
_HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


class DigestMismatch(InvalidSignature):
    """``Content-Digest`` is missing, malformed, uses an algorithm we refuse, or does not match."""


def make_content_digest(body: bytes, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The ``Content-Digest`` field value for ``body`` (``sha-256`` unless told otherwise)."""
    if algorithm not in _HASHES:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    field = Dictionary()
    field[algorithm] = Item(_HASHES[algorithm](bytes(body)).digest())
    return str(field)


def parse_content_digest(value: str | None) -> dict[str, bytes]:
    """Parse a ``Content-Digest`` field into ``{algorithm: digest}``; raise ``DigestMismatch``."""
    if value is None or not value.strip():
        raise DigestMismatch("Content-Digest is missing")
    field = Dictionary()
    try:
        field.parse(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        raise DigestMismatch("Content-Digest is not a Structured Fields Dictionary") from e
    if not field:
        raise DigestMismatch("Content-Digest has no members")
    digests: dict[str, bytes] = {}
    for algorithm, member in field.items():
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise DigestMismatch(f"Content-Digest member {algorithm!r} is not a byte sequence")
        hasher = _HASHES.get(algorithm)
        if hasher is None:
            raise DigestMismatch(f"Content-Digest algorithm {algorithm!r} is not accepted")
        if len(member.value) != hasher(b"").digest_size:
            raise DigestMismatch(f"Content-Digest {algorithm} has the wrong length")
        digests[algorithm] = member.value
    return digests


def verify_content_digest(value: str | None, body: bytes) -> None:
    """Check a ``Content-Digest`` field against the raw body; raise ``DigestMismatch``."""
    for algorithm, expected in parse_content_digest(value).items():
        if not hmac.compare_digest(expected, _HASHES[algorithm](bytes(body)).digest()):
            raise DigestMismatch(f"Content-Digest {algorithm} does not match the body")
