"""RFC 8785 JSON Canonicalization Scheme and digests over it.

Digests are written ``sha-256:<base64url, no padding>`` so that the algorithm travels with the
value. Floats are refused before canonicalization: trustcart puts amounts on the wire as decimal
strings, and a float here means a bug upstream.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import rfc8785

from trustcart.core.errors import ValidationError

DIGEST_PREFIX = "sha-256:"


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise ValidationError("floats are not allowed in signed JSON; use decimal strings")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError("JSON object keys must be strings")
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def canonicalize(value: Any) -> bytes:
    """Return the RFC 8785 bytes of a JSON value.

    >>> canonicalize({"b": "2", "a": [1, "x"]})
    b'{"a":[1,"x"],"b":"2"}'
    """
    _refuse_floats(value)
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise ValidationError(f"value cannot be canonicalized: {e}") from e


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise ValidationError("expected a base64url string")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise ValidationError("invalid base64url") from e


def sha256_b64url(data: bytes) -> str:
    return b64url(hashlib.sha256(data).digest())


def jcs_digest(value: Any) -> str:
    """``sha-256:<b64url>`` over the JCS bytes of ``value``."""
    return DIGEST_PREFIX + sha256_b64url(canonicalize(value))
