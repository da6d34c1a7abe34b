"""Strings by key (product ids, titles) in Arrow arrays, not in a Python list.

A Python list of 10M short strings costs ~1 GB of objects; the same strings in Arrow cost their
bytes plus 4 bytes each, and a column read from disk is memory-mapped (nothing is copied until
a page is touched). Strategy: the column is a list of immutable Arrow chunks (the ones read
from disk, then one per sealed batch of appends), a small Python list of the values appended
since the last ``seal``, and a dict of the values replaced since the column was loaded. A read
looks in the replacements, then the open batch, then the chunk holding the key (bisection over
chunk starts). ``chunks()`` gives the column with its replacements applied, for writing.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

import pyarrow as pa


class StringColumn:
    """An append-mostly column of strings indexed by key (0, 1, 2, ...).

    >>> column = StringColumn(pa.chunked_array([["a", "b"]]))
    >>> column.append("c")
    >>> column.set(0, "z")
    >>> column.seal()
    >>> column.take([0, 1, 2]), len(column)
    (['z', 'b', 'c'], 3)
    """

    def __init__(self, stored: Any = None) -> None:
        self._chunks: list[Any] = []
        self._starts: list[int] = []
        size = 0
        for chunk in [] if stored is None else stored.chunks:
            if len(chunk):
                self._chunks.append(chunk)
                self._starts.append(size)
                size += len(chunk)
        self._sealed = size
        self._open: list[str] = []
        self._replaced: dict[int, str] = {}

    def __len__(self) -> int:
        return self._sealed + len(self._open)

    def append(self, value: str) -> None:
        """Add the value of the next key."""
        self._open.append(value)

    def seal(self) -> None:
        """Turn the values appended since the last seal into one Arrow chunk."""
        if self._open:
            self._chunks.append(pa.array(self._open, type=pa.string()))
            self._starts.append(self._sealed)
            self._sealed += len(self._open)
            self._open = []

    def set(self, key: int, value: str) -> None:
        """Replace the value of an existing key."""
        if not 0 <= key < len(self):
            raise IndexError(key)
        if key >= self._sealed:
            self._open[key - self._sealed] = value
        else:
            self._replaced[key] = value

    def get(self, key: int) -> str:
        """The value of ``key``."""
        found = self._replaced.get(key)
        if found is not None:
            return found
        if key >= self._sealed:
            return self._open[key - self._sealed]
        if key < 0:
            raise IndexError(key)
        chunk = bisect.bisect_right(self._starts, key) - 1
        value: str = self._chunks[chunk][key - self._starts[chunk]].as_py()
        return value

    def take(self, keys: Iterable[int]) -> list[str]:
        """The values of ``keys``, in order."""
        return [self.get(int(k)) for k in keys]

    def chunks(self) -> list[Any]:
        """The column as Arrow chunks, replacements applied (seals the open batch first)."""
        self.seal()
        if not self._replaced:
            return list(self._chunks)
        out = []
        for start, chunk in zip(self._starts, self._chunks, strict=True):
            end = start + len(chunk)
            changed = [k for k in self._replaced if start <= k < end]
            if not changed:
                out.append(chunk)
                continue
            values = chunk.to_pylist()
            for key in changed:
                values[key - start] = self._replaced[key]
            out.append(pa.array(values, type=pa.string()))
        return out


def string_table(columns: dict[str, StringColumn]) -> Any:
    """One Arrow table of several string columns of equal length (for writing)."""
    lengths = {len(c) for c in columns.values()}
    if len(lengths) > 1:
        raise ValueError("string columns differ in length")
    return pa.table(
        {
            name: pa.chunked_array(column.chunks(), type=pa.string())
            for name, column in columns.items()
        }
    )
