"""Bounded JSON: refuse documents nested too deep before the parser sees them.

Python's ``json`` parser recurses once per nested array or object, so a 2 KB document of a
thousand ``[`` raises ``RecursionError`` (not ``ValueError``) from inside ``json.loads``: an
HTTP service answers it with a bare 500 and a command line prints a traceback. The rule here:
untrusted JSON is parsed only with ``loads_bounded``, which

1. refuses a document larger than ``max_bytes`` (when given) with ``JsonTooLarge``;
2. measures the nesting depth *without recursion and without a Python loop per character*:
   the document as UTF-8 bytes (``bytes`` in UTF-16 or -32 are first decoded the way
   ``json.loads`` decodes them, so that a code unit cannot pass for a quote); escaped
   backslashes and escaped quotes removed; every byte but ``"[]{}`` deleted (in UTF-8 these
   ASCII bytes never occur inside a multi-byte character); what lies between quote pairs (the
   string literals, so a ``[`` inside a string does not count) dropped; the deepest running sum
   of +1 per opening and -1 per closing bracket. All of it runs in C (``bytes.replace``,
   ``translate``, ``split``, ``itertools.accumulate``), about as fast as ``json.loads`` itself,
   in chunks so that a document far past the limit stops early. A document deeper than
   ``max_depth`` (``MAX_JSON_DEPTH``, 64) is refused with ``JsonTooDeep``;
3. only then calls ``json.loads``, and still turns a ``RecursionError`` into ``JsonTooDeep``.

On invalid JSON the depth is an upper bound of what the parser reaches before it fails (it
stops at the first stray bracket or backslash, and everything before that is counted exactly).
Invalid JSON stays a ``json.JSONDecodeError`` (a ``ValueError``), so callers keep their own
"not JSON" message. The depth of a scalar is 0, of ``[]`` or ``{}`` 1, of ``[[1]]`` 2. Both
errors are ``ValidationError`` and therefore ``ValueError`` too::

    ValidationError
    └── JsonLimitError
        ├── JsonTooDeep
        └── JsonTooLarge

>>> json_depth('{"a": [1, {"b": "[[[["}]}')
3
>>> loads_bounded("[[[1]]]", max_depth=2)
Traceback (most recent call last):
...
trustcart.core.json_limits.JsonTooDeep: JSON nested deeper than 2 levels
"""

from __future__ import annotations

import json
from itertools import accumulate
from typing import Any

from trustcart.core.errors import ValidationError

# Deep enough for every document trustcart reads (bundles, feeds, carts nest < 10 levels),
# far below the parser's recursion limit.
MAX_JSON_DEPTH = 64

_KEPT = b'"[]{}'
_DELETED = bytes(b for b in range(256) if b not in _KEPT)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_CHUNK = 4096


class JsonLimitError(ValidationError):
    """A JSON document exceeds a documented limit."""


class JsonTooDeep(JsonLimitError):
    """Nested deeper than the limit."""


class JsonTooLarge(JsonLimitError):
    """Larger than the limit."""


def _utf8(document: str | bytes) -> bytes:
    """The document as the UTF-8 bytes of the text ``json.loads`` would parse."""
    if isinstance(document, str):
        return document.encode("utf-8", "surrogatepass")
    data = bytes(document)
    encoding = json.detect_encoding(data)
    if encoding in ("utf-8", "utf-8-sig"):
        return data  # invalid UTF-8 fails json.loads before it parses anything
    try:
        return data.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return b""  # json.loads fails on it before it parses anything


def _depth(document: str | bytes, stop_above: int | None) -> int:
    data = _utf8(document)
    reduced = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DELETED)
    outside = b"".join(reduced.split(b'"')[::2])
    depth = deepest = 0
    for start in range(0, len(outside), _CHUNK):
        sums = list(
            accumulate(map(_STEP.__getitem__, outside[start : start + _CHUNK]), initial=depth)
        )
        peak, depth = max(sums), sums[-1]
        deepest = max(deepest, peak)
        if stop_above is not None and deepest > stop_above:
            break
    return deepest


def json_depth(document: str | bytes) -> int:
    """The deepest nesting of arrays and objects in ``document`` (a bound when it is not JSON).

    >>> json_depth("1"), json_depth("[]"), json_depth('[{"k": [2]}, []]')
    (0, 1, 3)
    """
    return _depth(document, None)


def exceeds_depth(document: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True when ``document`` nests deeper than ``max_depth``; stops at the first level past it.

    >>> exceeds_depth("[" * 100_000, 64), exceeds_depth('["[[[["]', 1)
    (True, False)
    """
    return _depth(document, max_depth) > max_depth


def check_json(
    document: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int | None = None
) -> None:
    """Raise ``JsonTooLarge`` or ``JsonTooDeep`` if ``document`` passes a limit.

    ``max_bytes`` counts bytes for ``bytes`` and UTF-8 bytes for ``str``.

    >>> check_json("[1, 2]", max_bytes=4)
    Traceback (most recent call last):
    ...
    trustcart.core.json_limits.JsonTooLarge: JSON document larger than 4 bytes
    """
    if max_bytes is not None:
        _check_size(document, max_bytes)
    if exceeds_depth(document, max_depth):
        raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels")


def _check_size(document: str | bytes, max_bytes: int) -> None:
    size = (
        len(document) if isinstance(document, bytes) else len(document.encode("utf-8", "replace"))
    )
    if size > max_bytes:
        raise JsonTooLarge(f"JSON document larger than {max_bytes} bytes")


def loads_bounded(
    document: str | bytes,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    max_bytes: int | None = None,
    **json_options: Any,
) -> Any:
    """``json.loads`` for untrusted input: limits checked first, never a ``RecursionError``.

    ``json_options`` go to ``json.loads`` (``parse_float``, ``parse_constant``...).

    >>> loads_bounded('{"amount": "29.90"}')
    {'amount': '29.90'}
    """
    check_json(document, max_depth=max_depth, max_bytes=max_bytes)
    try:
        return json.loads(document, **json_options)
    except RecursionError as e:  # unreachable after the depth check; kept as a second wall
        raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels") from e
