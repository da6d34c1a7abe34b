"""Identifiers: a readable prefix plus 128 random bits, e.g. ``dlg_3kq...``.

Randomness is passed in (``token_bytes``) so tests can make deterministic ids.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

RandomBytes = Callable[[int], bytes]


def new_id(prefix: str, random_bytes: RandomBytes = secrets.token_bytes) -> str:
    """Return ``<prefix>_<26 base32 chars>`` carrying 128 random bits."""
    body = base64.b32encode(random_bytes(16)).decode("ascii").rstrip("=").lower()
    return f"{prefix}_{body}"
