"""Header values as unpadded Base64URL of UTF-8 JSON objects, decoded strictly.

This layer knows nothing of A402 fields, so the x402 v2 headers (``PAYMENT-REQUIRED``,
``PAYMENT-SIGNATURE``, ``PAYMENT-RESPONSE``) can share it. Decoding refuses, with one
``HeaderDefect`` each, in this order:

1. anything but a ``str`` of at most ``MAX_HEADER_CHARS`` characters (checked before any work);
2. ``=`` padding (the ACT artifact says unpadded), then any character outside ``A-Z a-z 0-9 - _``
   or a length no Base64 text can have, or unused bits that are not zero (one payload has exactly
   one encoding);
3. bytes that are not UTF-8 (or start with a byte-order mark);
4. text that is not JSON (``NaN`` and ``Infinity`` included), an object with a duplicate key,
   or JSON that JCS cannot carry exactly: floats, integers beyond 2**53 - 1, lone surrogates,
   nesting deeper than ``MAX_DEPTH``;
5. a JSON value that is not an object.

Only ``HeaderRefused`` escapes. Encoding is ``base64url(JCS(value))``: byte-exact, so equal
values give equal headers, and a decoded canonical header encodes back to the same text.

>>> encode_json_header({"b": "2", "a": "1"})
'eyJhIjoiMSIsImIiOiIyIn0'
>>> decode_json_header("eyJhIjoiMSIsImIiOiIyIn0")
{'a': '1', 'b': '2'}
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from trustcart.core.errors import ValidationError
from trustcart.crypto.jcs import b64url, canonicalize
from trustcart.payments.a402.codes import HeaderDefect
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.json_values import MAX_SAFE_INTEGER

# Many servers cap one header line near 8 KiB; a payment header has no reason to be larger.
MAX_HEADER_CHARS = 8192
MAX_DEPTH = 16
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class _DuplicateKey(ValueError):
    pass


class _Unsupported(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_float(text: str) -> NoReturn:
    raise _Unsupported(f"float {text}")


def _no_constant(text: str) -> NoReturn:
    raise ValueError(f"{text} is not JSON")


def _safe_int(text: str) -> int:
    if len(text.lstrip("-")) > 16:
        raise _Unsupported("integer beyond 2**53 - 1")
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise _Unsupported("integer beyond 2**53 - 1")
    return value


def _check_tree(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise _Unsupported("nested too deeply")
    if isinstance(value, str):
        value.encode("utf-8")  # a lone surrogate ("\ud800") raises UnicodeEncodeError
    elif isinstance(value, dict):
        for key, item in value.items():
            key.encode("utf-8")
            _check_tree(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_tree(item, depth + 1)


def strict_b64url_decode(value: str) -> bytes:
    """Decode unpadded Base64URL with no slack: refuse padding, strays and non-zero spare bits."""
    if "=" in value:
        raise HeaderRefused(HeaderDefect.PADDED, "Base64URL must be unpadded")
    if not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise HeaderRefused(HeaderDefect.NOT_BASE64URL, "not Base64URL")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as e:  # pragma: no cover - the pattern rules it out
        raise HeaderRefused(HeaderDefect.NOT_BASE64URL, "not Base64URL") from e
    if b64url(raw) != value:
        raise HeaderRefused(HeaderDefect.NOT_BASE64URL, "non-canonical Base64URL (spare bits)")
    return raw


def decode_json_header(value: Any, *, max_chars: int = MAX_HEADER_CHARS) -> dict[str, Any]:
    """The JSON object a header value carries; raise ``HeaderRefused`` naming the defect."""
    if not isinstance(value, str):
        raise HeaderRefused(HeaderDefect.NOT_BASE64URL, "a header value must be text")
    if len(value) > max_chars:
        raise HeaderRefused(HeaderDefect.TOO_LARGE, f"longer than {max_chars} characters")
    raw = strict_b64url_decode(value)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HeaderRefused(HeaderDefect.NOT_UTF8, "not UTF-8") from e
    if text.startswith("\ufeff"):
        raise HeaderRefused(HeaderDefect.NOT_JSON, "JSON must not start with a byte-order mark")
    try:
        decoded = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_float=_no_float,
            parse_int=_safe_int,
            parse_constant=_no_constant,
        )
        _check_tree(decoded)
    except _DuplicateKey as e:
        raise HeaderRefused(HeaderDefect.DUPLICATE_KEY, f"duplicate key {e}") from e
    except (_Unsupported, UnicodeEncodeError, RecursionError) as e:
        raise HeaderRefused(HeaderDefect.JSON_UNSUPPORTED, f"JSON not allowed here: {e}") from e
    except ValueError as e:
        raise HeaderRefused(HeaderDefect.NOT_JSON, "not JSON") from e
    if not isinstance(decoded, dict):
        raise HeaderRefused(HeaderDefect.NOT_OBJECT, "the JSON value must be an object")
    return decoded


def encode_json_header(value: Mapping[str, Any]) -> str:
    """``base64url(JCS(value))`` without padding; raise ValidationError for non-JSON content."""
    text = b64url(canonicalize(dict(value)))
    if len(text) > MAX_HEADER_CHARS:
        raise ValidationError(f"header value would be longer than {MAX_HEADER_CHARS} characters")
    return text
