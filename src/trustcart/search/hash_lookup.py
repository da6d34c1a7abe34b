"""Find keys by a 64-bit hash of a string, in numpy arrays instead of a Python dict.

At 10M offers a ``dict[str, int]`` from product id to key costs about a gigabyte of Python
objects; these arrays cost 16 bytes an entry. Strategy: sorted *runs* of (hash, key) pairs,
searched with ``np.searchsorted`` for a whole batch of strings at once. Each ``add`` appends one
sorted run, and while the newest run is at least half as long as the one before, the two are
merged (the logarithmic method: O(log N) runs to search, each entry merged O(log N) times; a
merge of two sorted runs is one stable sort, which numpy's timsort does in linear time).

Rules: a hash may have several keys (two strings with the same 64-bit hash, or one product
deleted and added again under a new key), so ``candidates`` returns every key stored under the
hash and the caller keeps the ones that are live and whose string is equal: a lookup is
exact, never a guess. Nothing is removed one by one: ``merge`` drops the keys a predicate
rejects (dead rows).

The hash is BLAKE2b-64 (``string_hash``), stable across processes and platforms, unlike
Python's ``hash``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Hashes = npt.NDArray[np.uint64]
Keys = npt.NDArray[np.int64]


def string_hash(value: str) -> int:
    """A stable 64-bit hash of a string (BLAKE2b, 8 bytes, little-endian).

    >>> string_hash("p_1") == string_hash("p_1") != string_hash("p_2")
    True
    """
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")


def string_hashes(values: Sequence[str]) -> Hashes:
    """``string_hash`` of each value, as a uint64 array."""
    return np.fromiter((string_hash(v) for v in values), dtype=np.uint64, count=len(values))


def _sorted_run(hashes: Hashes, keys: Keys) -> tuple[Hashes, Keys]:
    order = np.argsort(hashes, kind="stable")
    return np.ascontiguousarray(hashes[order]), np.ascontiguousarray(keys[order])


class HashLookup:
    """Hash -> keys. ``candidates`` answers for a batch of hashes at once.

    >>> lookup = HashLookup()
    >>> lookup.add(np.asarray([7, 9], dtype=np.uint64), np.asarray([0, 1]))
    >>> lookup.add(np.asarray([7], dtype=np.uint64), np.asarray([2]))
    >>> positions, keys = lookup.candidates(np.asarray([9, 7, 5], dtype=np.uint64))
    >>> sorted(zip(positions.tolist(), keys.tolist()))
    [(0, 1), (1, 0), (1, 2)]
    """

    def __init__(self, hashes: Hashes | None = None, keys: Keys | None = None) -> None:
        self._runs: list[tuple[Hashes, Keys]] = []
        if hashes is not None and keys is not None and len(hashes):
            self._runs.append(
                _sorted_run(np.asarray(hashes, np.uint64), np.asarray(keys, np.int64))
            )

    def __len__(self) -> int:
        return sum(len(h) for h, _ in self._runs)

    def add(self, hashes: Hashes, keys: Keys) -> None:
        """Remember that each ``keys[i]`` has ``hashes[i]``."""
        if len(hashes) != len(keys):
            raise ValueError("one key per hash")
        if not len(hashes):
            return
        self._runs.append(_sorted_run(np.asarray(hashes, np.uint64), np.asarray(keys, np.int64)))
        while len(self._runs) > 1 and 2 * len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            (first_hashes, first_keys), (last_hashes, last_keys) = self._runs[-2:]
            self._runs[-2:] = [
                _sorted_run(
                    np.concatenate((first_hashes, last_hashes)),
                    np.concatenate((first_keys, last_keys)),
                )
            ]

    def merge(self, keep: Callable[[Keys], npt.NDArray[np.bool_]] | None = None) -> None:
        """Merge the runs into one; with ``keep``, drop the keys it rejects."""
        if not self._runs:
            return
        hashes = np.concatenate([h for h, _ in self._runs])
        keys = np.concatenate([k for _, k in self._runs])
        self._runs = []
        if keep is not None:
            kept = keep(keys)
            hashes, keys = hashes[kept], keys[kept]
        if len(hashes):
            self._runs.append(_sorted_run(hashes, keys))

    def candidates(self, hashes: Hashes) -> tuple[Keys, Keys]:
        """Every stored (i, key) with ``hashes[i]`` equal to the key's hash, as two arrays."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        positions: list[Keys] = []
        found: list[Keys] = []
        for sorted_hashes, keys in self._runs:
            left = np.searchsorted(sorted_hashes, hashes, side="left")
            right = np.searchsorted(sorted_hashes, hashes, side="right")
            counts = right - left
            total = int(counts.sum())
            if not total:
                continue
            # The rows left[i]..right[i]-1 for every i, flattened without a Python loop.
            starts = np.repeat(left - (np.cumsum(counts) - counts), counts)
            positions.append(np.repeat(np.arange(len(hashes), dtype=np.int64), counts))
            found.append(keys[starts + np.arange(total)])
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.copy()
        return np.concatenate(positions), np.concatenate(found)

    def arrays(self) -> tuple[Hashes, Keys]:
        """All (hash, key) pairs, merged and sorted by hash (for saving)."""
        self.merge()
        if not self._runs:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        return self._runs[0]
