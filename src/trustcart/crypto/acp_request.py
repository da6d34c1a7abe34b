"""ACP request integrity, shared by the merchant's checkout and the provider's delegate payment.

ACP asks a client to send ``Signature`` ("over canonical JSON") and ``Timestamp`` (RFC 3339)
and leaves the algorithm to be published out of band. trustcart's choice, fixed here:

* the signed bytes are the RFC 8785 (JCS) canonical form of
  ``{"body": <the request's JSON body, or null>, "method": "POST", "path": "/...",
  "timestamp": "<the Timestamp header>"}``: the body as JSON (key order and spacing do not
  matter, as ACP's idempotency rules say), bound to the operation and the instant;
* ``Signature`` is the base64url (no padding) signature over them with the platform's
  registered key, Ed25519 or ES256 (``crypto.keys``);
* ``Timestamp`` must lie within ``SKEW`` of the server's clock.

``verify_request`` returns nothing or raises ``InvalidSignature`` (opaque, as every signature
check here). ``request_fingerprint`` is the same canonical form of a body alone, the digest the
idempotency keys compare (1.0 and 1 are one number; arrays keep their order).

>>> request_fingerprint({"b": 1.0, "a": [2, 1]}) == request_fingerprint({"a": [2, 1], "b": 1})
True
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timedelta
from typing import Any

import rfc8785

from trustcart.core.clock import parse_instant
from trustcart.core.errors import ValidationError
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url, b64url_decode
from trustcart.crypto.keys import PublicKey, SigningKey

SKEW = timedelta(minutes=5)


def _refuse_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


MAX_SAFE_INTEGER = 2**53 - 1  # I-JSON (RFC 7493): what every JSON reader holds exactly


def _check_numbers(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise ValueError("integers must lie within +-(2**53 - 1)")
    if isinstance(value, dict):
        for item in value.values():
            _check_numbers(item)
    elif isinstance(value, list):
        for item in value:
            _check_numbers(item)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_json_body(body: bytes) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no NaN or Infinity, no integer beyond I-JSON's
    +-(2**53 - 1) (it could not be canonicalized, nor read back alike); ``ValidationError`` else.

    >>> parse_json_body(b'{"n": 9007199254740991}')
    {'n': 9007199254740991}
    """
    try:
        value = json.loads(
            body.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
        _check_numbers(value)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ValidationError(f"body is not valid JSON: {e}") from e
    return value


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON value (floats included, unlike ``crypto.jcs``)."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise ValidationError(f"value cannot be canonicalized: {e}") from e


def request_fingerprint(body: Any) -> str:
    """Hex SHA-256 of a request body's canonical JSON."""
    return hashlib.sha256(canonical(body)).hexdigest()


def signing_input(method: str, path: str, timestamp: str, body: Any) -> bytes:
    return canonical({"body": body, "method": method.upper(), "path": path, "timestamp": timestamp})


def sign_request(key: SigningKey, method: str, path: str, timestamp: str, body: Any) -> str:
    """The ``Signature`` header value for this request."""
    return b64url(key.sign(signing_input(method, path, timestamp, body)))


def verify_request(
    key: PublicKey,
    signature: str,
    timestamp: str,
    *,
    method: str,
    path: str,
    body: Any,
    now: datetime,
) -> None:
    """Raise ``InvalidSignature`` unless ``signature`` is ``key``'s over this very request and
    ``timestamp`` is within ``SKEW`` of ``now``."""
    try:
        if abs(now - parse_instant(timestamp)) > SKEW:
            raise InvalidSignature
        key.verify(b64url_decode(signature), signing_input(method, path, timestamp, body))
    except (ValidationError, ValueError, TypeError) as e:
        raise InvalidSignature from e
