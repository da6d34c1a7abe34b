"""An IVF-Flat vector index in numpy: k-means lists, exact inner product inside probed lists.

Why not a graph (HNSW): on 2 cores a graph over 1M vectors builds at ≈ 5k vectors/s and, on
a catalog dense with near-duplicate titles, needs a very wide search to reach 0.95 recall.
Inverted lists are trained with a few BLAS matrix products (spherical k-means on a sample),
every vector is assigned with one more, and a query scores ``nprobe`` whole lists with one
matrix-vector product each: exact within those lists, so recall depends only on how many
lists are probed, and a filter is applied exactly to the scanned rows (a numpy mask over
keys) instead of over-fetching from a graph (docs/benchmarks.md, "Catalog search").

State (all numpy, keyed by non-negative integer keys chosen by the caller):

* ``centroids`` (nlist x d) and the *lists*: ``data`` (rows grouped by list, float32),
  ``keys`` (the key of each row), ``offsets`` (list i is rows ``offsets[i]:offsets[i+1]``)
  and ``live`` (False once the key was replaced or removed);
* the *tail*: vectors added since the last ``flush``, scanned exactly by every query, so an
  upsert is searchable without touching the lists;
* ``slot[key]``: where the key's current vector is (row >= 0, tail entry ``-2 - i``, or -1).

``flush`` (called at commit) trains the lists once there are ``TRAIN_MIN`` vectors, retrains
when the collection has grown ``RETRAIN_GROWTH`` times or a quarter of the rows are dead, and
otherwise moves the tail into the lists once it holds ``TAIL_MAX`` vectors. Training is
seeded, so the same vectors give the same index.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

TRAIN_MIN = 20_000  # below this an exact scan of everything is as fast as probing lists
TAIL_MAX = 10_000  # tail rows scanned exactly per query (≈ 1 ms) before they join the lists
# Assignment costs N x nlist x d multiply-adds: at 1M, 1,024 lists took 18 s, 512 took 7.5 s.
# A query's cost is the rows it scans, and for the same rows scanned fewer, larger lists gave
# the same recall (1M: 512 lists x 12 probed 0.992, 1,024 x 24 0.993), so lists stay coarse.
NLIST_MAX = 256
NPROBE = 8
MIN_SCAN = 8_192  # rows a query scans at least (≈ 1 ms): small indexes get exact-ish results
RETRAIN_GROWTH = 4
KMEANS_ITERATIONS = 8
SAMPLE_PER_LIST = 32
_CHUNK = 65_536

Keys = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


def list_count(size: int) -> int:
    """Lists for ``size`` vectors: about sqrt(N), so a list holds about sqrt(N) rows."""
    return int(min(NLIST_MAX, max(16, round(math.sqrt(size)))))


def train_centroids(vectors: Matrix, nlist: int, seed: int) -> Matrix:
    """Spherical k-means (inner product on unit vectors) on a seeded sample of ``vectors``."""
    rng = np.random.default_rng(seed)
    size = min(len(vectors), nlist * SAMPLE_PER_LIST)
    sample = vectors[np.sort(rng.choice(len(vectors), size, replace=False))]
    centroids = sample[rng.choice(size, nlist, replace=False)].copy()
    for _ in range(KMEANS_ITERATIONS):
        similarity = sample @ centroids.T
        assigned = similarity.argmax(axis=1)
        counts = np.bincount(assigned, minlength=nlist)
        order = np.argsort(assigned, kind="stable")
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        used = counts > 0
        sums = np.zeros_like(centroids)
        # reduceat over only the non-empty lists' starts: each segment is exactly one list.
        sums[used] = np.add.reduceat(sample[order], starts[used], axis=0)
        empty = np.flatnonzero(~used)
        if len(empty):  # re-seed an empty list with the rows its neighbours fit worst
            worst = np.argsort(similarity[np.arange(size), assigned])[: len(empty)]
            sums[empty] = sample[worst]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centroids = np.divide(sums, norms, out=centroids, where=norms > 0)
    return np.ascontiguousarray(centroids, dtype=np.float32)


def assign(vectors: Matrix, centroids: Matrix) -> npt.NDArray[np.int64]:
    """The list of each vector: its most similar centroid (chunked to bound memory)."""
    parts = [
        (vectors[i : i + _CHUNK] @ centroids.T).argmax(axis=1)
        for i in range(0, len(vectors), _CHUNK)
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def top_keys(similarity: Matrix, keys: Keys, count: int) -> Keys:
    """The ``count`` best keys, best first; ties by key so results are deterministic."""
    if len(similarity) > count:
        part = np.argpartition(-similarity, count - 1)[:count]
        similarity, keys = similarity[part], keys[part]
    order = np.lexsort((keys, -similarity))
    return np.asarray(keys[order], dtype=np.int64)


class IvfFlatIndex:
    """Inverted lists of unit float32 vectors; ``search`` is exact within the probed lists."""

    def __init__(self, dimensions: int, *, seed: int = 20261129) -> None:
        self.dimensions = dimensions
        self._seed = seed
        self.centroids: Matrix = np.zeros((0, dimensions), dtype=np.float32)
        self.data: Matrix = np.zeros((0, dimensions), dtype=np.float32)
        self.keys: Keys = np.zeros(0, dtype=np.int64)
        self.offsets: Keys = np.zeros(1, dtype=np.int64)
        self.live: Mask = np.zeros(0, dtype=np.bool_)
        self._trained_size = 0
        self._tail: Matrix = np.zeros((0, dimensions), dtype=np.float32)
        self._tail_keys: Keys = np.zeros(0, dtype=np.int64)
        self._tail_live: Mask = np.zeros(0, dtype=np.bool_)
        self._tail_size = 0
        self._slot: Keys = np.zeros(0, dtype=np.int64)
        self._lists_dirty = True

    # -- writing ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.live.sum()) + int(self._tail_live[: self._tail_size].sum())

    @property
    def nlist(self) -> int:
        return len(self.centroids)

    def _grow_slots(self, needed: int) -> None:
        if needed > len(self._slot):
            grown = np.full(max(needed, 2 * len(self._slot), 1024), -1, dtype=np.int64)
            grown[: len(self._slot)] = self._slot
            self._slot = grown

    def _forget(self, keys: Keys) -> None:
        keys = keys[keys < len(self._slot)]
        slots = self._slot[keys]
        self.live[slots[slots >= 0]] = False
        self._tail_live[-2 - slots[slots <= -2]] = False
        self._slot[keys] = -1
        if np.any(slots >= 0):
            self._lists_dirty = True

    def add(self, keys: Keys, vectors: Matrix) -> None:
        """Add or replace the vectors of ``keys`` (unique); they go to the tail until flush."""
        if len(keys) != len(np.unique(keys)):
            raise ValueError("keys must be unique within one add")
        keys = np.asarray(keys, dtype=np.int64)
        self._grow_slots(int(keys.max()) + 1 if len(keys) else 0)
        self._forget(keys)
        end = self._tail_size + len(keys)
        if end > len(self._tail):
            capacity = max(end, 2 * len(self._tail), 1024)
            tail = np.empty((capacity, self.dimensions), dtype=np.float32)
            tail[: self._tail_size] = self._tail[: self._tail_size]
            self._tail = tail
            for name in ("_tail_keys", "_tail_live"):
                old = getattr(self, name)
                grown = np.zeros(capacity, dtype=old.dtype)
                grown[: self._tail_size] = old[: self._tail_size]
                setattr(self, name, grown)
        start = self._tail_size
        self._tail[start:end] = vectors
        self._tail_keys[start:end] = keys
        self._tail_live[start:end] = True
        self._slot[keys] = -2 - np.arange(start, end, dtype=np.int64)
        self._tail_size = end

    def remove(self, keys: Keys) -> None:
        self._forget(np.asarray(keys, dtype=np.int64))

    def vectors(self, keys: Keys) -> Matrix:
        """The current vectors of ``keys`` (each must be present)."""
        slots = self._slot[np.asarray(keys, dtype=np.int64)]
        if np.any(slots == -1):
            raise KeyError("a key has no vector")
        out = np.empty((len(slots), self.dimensions), dtype=np.float32)
        in_lists = slots >= 0
        out[in_lists] = self.data[slots[in_lists]]
        out[~in_lists] = self._tail[-2 - slots[~in_lists]]
        return out

    def flush(self) -> None:
        """Move the tail into the lists when it is worth it (see the module docstring)."""
        rows = len(self)
        dead = len(self.live) - int(self.live.sum())
        retrain = rows >= TRAIN_MIN and (
            self.nlist == 0
            or rows >= RETRAIN_GROWTH * self._trained_size
            or dead > len(self.live) // 4
        )
        if retrain or (self.nlist and self._tail_size >= TAIL_MAX):
            self._rebuild(retrain)

    def _rebuild(self, retrain: bool) -> None:
        tail = slice(0, self._tail_size)
        keep, tail_live = self.live, self._tail_live[tail]
        if not len(self.keys) and tail_live.all():  # first build: no copy of the tail
            keys, vectors = self._tail_keys[tail], self._tail[tail]
        else:
            keys = np.concatenate((self.keys[keep], self._tail_keys[tail][tail_live]))
            vectors = np.concatenate((self.data[keep], self._tail[tail][tail_live]))
        self._tail = np.zeros((0, self.dimensions), dtype=np.float32)
        if retrain:
            self.centroids = train_centroids(vectors, list_count(len(vectors)), self._seed)
            self._trained_size = len(vectors)
            lists = assign(vectors, self.centroids)
        else:  # rows already in lists keep their list; only the tail is assigned
            old_lists = np.repeat(np.arange(self.nlist), np.diff(self.offsets))[keep]
            lists = np.concatenate((old_lists, assign(vectors[len(old_lists) :], self.centroids)))
        order = np.argsort(lists, kind="stable")
        self.data = vectors[order]
        self.keys = keys[order]
        self.offsets = np.concatenate(([0], np.cumsum(np.bincount(lists, minlength=self.nlist))))
        self.live = np.ones(len(self.keys), dtype=np.bool_)
        self._slot[self.keys] = np.arange(len(self.keys), dtype=np.int64)
        self._tail_keys = np.zeros(0, dtype=np.int64)
        self._tail_live = np.zeros(0, dtype=np.bool_)
        self._tail_size = 0
        self._lists_dirty = True

    # -- searching -------------------------------------------------------------------------

    def search(
        self, vector: Matrix, count: int, *, mask: Mask | None = None, nprobe: int = NPROBE
    ) -> Keys:
        """The ``count`` keys most similar to ``vector`` among the tail and the lists nearest
        to it (at least ``nprobe`` of them and ``MIN_SCAN`` rows), best first. With ``mask``
        (indexed by key) only keys where it is True qualify, and more lists are probed until
        ``count`` qualify or none are left."""
        tail = slice(0, self._tail_size)
        scores = [self._tail[tail] @ vector]
        keep = self._tail_live[tail].copy()
        if mask is not None:
            keep &= mask[self._tail_keys[tail]]
        found = [self._tail_keys[tail][keep]]
        scores[0] = scores[0][keep]
        qualified = int(keep.sum())
        if self.nlist:
            ranked = np.argsort(-(self.centroids @ vector), kind="stable")
            probed = scanned = 0
            while probed < self.nlist and (
                probed < nprobe or scanned < MIN_SCAN or (mask is not None and qualified < count)
            ):
                batch = ranked[probed : max(nprobe, 2 * probed)]
                probed += len(batch)
                for index in batch:
                    start, end = int(self.offsets[index]), int(self.offsets[index + 1])
                    if start == end:
                        continue
                    scanned += end - start
                    keys = self.keys[start:end]
                    keep = self.live[start:end]
                    if mask is not None:
                        keep = keep & mask[keys]
                    similarity = self.data[start:end] @ vector
                    scores.append(similarity[keep])
                    found.append(keys[keep])
                    qualified += int(keep.sum())
        return top_keys(np.concatenate(scores), np.concatenate(found), count)

    def exact(self, vector: Matrix, count: int, *, mask: Mask | None = None) -> Keys:
        """Brute force over every live vector: the reference ``search`` is measured against."""
        tail = slice(0, self._tail_size)
        scores, found = [], []
        for data, keys, live in (
            (self.data, self.keys, self.live),
            (self._tail[tail], self._tail_keys[tail], self._tail_live[tail]),
        ):
            for start in range(0, len(keys), _CHUNK):
                part = slice(start, start + _CHUNK)
                keep = live[part] if mask is None else live[part] & mask[keys[part]]
                scores.append((data[part] @ vector)[keep])
                found.append(keys[part][keep])
        if not found:
            return np.zeros(0, dtype=np.int64)
        return top_keys(np.concatenate(scores), np.concatenate(found), count)

    def exact_among(self, vector: Matrix, count: int, keys: Keys) -> Keys:
        """The ``count`` best of ``keys`` (all present), by exact inner product."""
        keys = np.asarray(keys, dtype=np.int64)
        if not len(keys):
            return keys
        similarity = np.concatenate(
            [self.vectors(keys[i : i + _CHUNK]) @ vector for i in range(0, len(keys), _CHUNK)]
        )
        return top_keys(similarity, keys, count)

    # -- persistence -----------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write under ``folder``; the big list arrays only when they changed. Each file is
        written beside and renamed, so a reader never sees half a file."""
        folder.mkdir(parents=True, exist_ok=True)
        tail = slice(0, self._tail_size)
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "live": self.live,
            "tail": self._tail[tail],
            "tail_keys": self._tail_keys[tail],
            "tail_live": self._tail_live[tail],
        }
        if self._lists_dirty:
            arrays |= {
                "centroids": self.centroids,
                "data": self.data,
                "keys": self.keys,
                "offsets": self.offsets,
            }
        for name, array in arrays.items():
            partial = folder / f"{name}.npy.partial"
            with partial.open("wb") as sink:
                np.save(sink, array)
            os.replace(partial, folder / f"{name}.npy")
        (folder / "ivf.json").write_text(
            json.dumps(
                {
                    "dimensions": self.dimensions,
                    "trained_size": self._trained_size,
                    "seed": self._seed,
                }
            )
        )
        self._lists_dirty = False

    @classmethod
    def load(cls, folder: Path) -> IvfFlatIndex:
        """Reopen without retraining; the row data is memory-mapped (read-only: a rebuild
        makes new arrays, and ``save`` renames over the file, so the mapping stays valid)."""
        meta = json.loads((folder / "ivf.json").read_text())
        index = cls(int(meta["dimensions"]), seed=int(meta["seed"]))
        index._trained_size = int(meta["trained_size"])
        index.centroids = np.load(folder / "centroids.npy")
        index.data = np.load(folder / "data.npy", mmap_mode="r")
        index.keys = np.load(folder / "keys.npy")
        index.offsets = np.load(folder / "offsets.npy")
        index.live = np.load(folder / "live.npy")
        index._tail = np.load(folder / "tail.npy")
        index._tail_keys = np.load(folder / "tail_keys.npy")
        index._tail_live = np.load(folder / "tail_live.npy")
        index._tail_size = len(index._tail_keys)
        top = max(int(index.keys.max(initial=-1)), int(index._tail_keys.max(initial=-1)))
        index._grow_slots(top + 1)
        rows = np.flatnonzero(index.live)
        index._slot[index.keys[rows]] = rows
        entries = np.flatnonzero(index._tail_live)
        index._slot[index._tail_keys[entries]] = -2 - entries
        index._lists_dirty = False
        return index
