"""docs/errors.md read as data: for each section, each documented code and its HTTP statuses.

Tests use it as the oracle: a refusal a service returns must be a code its section documents,
with one of the statuses documented for it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
_ROW = re.compile(r"^\| `([a-z0-9-]+)` \| ([0-9]{3}(?: / [0-9]{3})*) \|", re.MULTILINE)

ANY_SERVICE = "Any service"
STATUS_SERVICE = "Status service"
PAYMENT_PROVIDER = "Payment provider"
MERCHANT = "Merchant marketplace"


@cache
def documented() -> dict[str, dict[str, frozenset[int]]]:
    """``{section title (up to its first parenthesis): {code: statuses}}``."""
    sections: dict[str, dict[str, frozenset[int]]] = {}
    for chunk in DOC.read_text(encoding="utf-8").split("\n## ")[1:]:
        title = chunk.split("\n", 1)[0].split("(", 1)[0].strip()
        rows = {
            code: frozenset(int(status) for status in statuses.split(" / "))
            for code, statuses in _ROW.findall(chunk)
        }
        if rows:
            sections[title] = rows
    return sections


def statuses(section: str, code: str) -> frozenset[int]:
    """The statuses documented for ``code`` in ``section`` (empty if it is not documented)."""
    return documented().get(section, {}).get(code, frozenset())
