"""Header field lines and the request view that the RFC 9421 library reads and writes.

The library resolves components from an object with ``method``, ``url`` and ``headers``; the
headers must keep repeated lines in wire order (a signature over a repeated field covers the
lines joined with ", ", RFC 9110), which a plain dict cannot. ``FieldLines`` keeps the lines,
matches names case-insensitively and joins them on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass


class FieldLines:
    """Header field lines in wire order, in the shape the library reads and writes.

    >>> lines = FieldLines([("Accept", "a"), ("accept", "b")])
    >>> "ACCEPT" in lines, lines.combined()
    (True, {'accept': 'a, b'})
    """

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._lines: list[tuple[str, str]] = [(str(name), str(value)) for name, value in pairs]

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)

    def __setitem__(self, name: str, value: str) -> None:
        del self[name]
        self._lines.append((name, value))

    def __delitem__(self, name: str) -> None:
        self._lines = [(n, v) for n, v in self._lines if n.lower() != name.lower()]

    def combined(self) -> dict[str, str]:
        """Lower-cased name to the field value, repeated lines joined with ", " (RFC 9110)."""
        fields: dict[str, list[str]] = {}
        for name, value in self._lines:
            fields.setdefault(name.lower(), []).append(value.strip(" \t"))
        return {name: ", ".join(values) for name, values in fields.items()}


@dataclass
class HttpRequestView:
    """The request as the library's component resolver reads it."""

    method: str
    url: str
    headers: FieldLines
