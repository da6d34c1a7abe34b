"""Immutable JSON values for the method extension fields that value objects carry.

A frozen dataclass is only as immutable as its fields: a ``dict`` inside would let anyone change
a requirement after it was validated. ``freeze_json`` turns objects into read-only mappings and
arrays into tuples (and refuses what JCS cannot encode: floats, non-string keys, other types);
``thaw_json`` gives plain ``dict``/``list`` back for encoding.

>>> frozen = freeze_json({"psp_id": "example-psp", "tags": ["a", "b"]})
>>> frozen["tags"]
('a', 'b')
>>> thaw_json(frozen)
{'psp_id': 'example-psp', 'tags': ['a', 'b']}
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from trustcart.core.errors import ValidationError

# I-JSON (RFC 7493) integers: what every JSON peer, and JCS, represents exactly.
MAX_SAFE_INTEGER = 2**53 - 1


def freeze_json(value: Any) -> Any:
    """A deep, read-only copy of a JSON value; raise ValidationError for non-JSON content."""
    if isinstance(value, Mapping):
        items = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError("JSON object keys must be strings")
            items[key] = freeze_json(item)
        return MappingProxyType(items)
    if isinstance(value, list | tuple):
        return tuple(freeze_json(item) for item in value)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValidationError("integers beyond 2**53 - 1 are not allowed")
        return value
    if isinstance(value, float):
        raise ValidationError("floats are not allowed; use decimal strings")
    raise ValidationError(f"{type(value).__name__} is not a JSON value")


def thaw_json(value: Any) -> Any:
    """Plain ``dict``/``list`` JSON from a value made by ``freeze_json``."""
    if isinstance(value, Mapping):
        return {key: thaw_json(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [thaw_json(item) for item in value]
    return value
