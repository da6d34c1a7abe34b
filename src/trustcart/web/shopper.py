"""The shopper's session: a random id in the signed session cookie, made on the first visit.

The shopper's pages key what they keep (a conversation, a pending approval) by this id; it
names a browser, not a person (the person is whoever holds the key their browser made). The
cookie is signed, HttpOnly and SameSite=Strict (``web.app``), so a page elsewhere cannot read
it or make this browser use another one's.

>>> session = {}
>>> first = shopper_id(session)
>>> first.startswith("shp_") and shopper_id(session) == first
True
"""

from __future__ import annotations

import re
import secrets
from collections.abc import MutableMapping
from typing import Any

SHOPPER_SESSION_KEY = "shopper"
_SHOPPER_RE = re.compile(r"shp_[A-Za-z0-9_-]{22}\Z")


def shopper_id(session: MutableMapping[str, Any]) -> str:
    """This browser's shopper id, made (``shp_`` + 128 random bits) the first time."""
    current = session.get(SHOPPER_SESSION_KEY)
    if isinstance(current, str) and _SHOPPER_RE.match(current):
        return current
    made = "shp_" + secrets.token_urlsafe(16)
    session[SHOPPER_SESSION_KEY] = made
    return made
