"""An IVF vector index in numpy: k-means lists of int8 codes, exact rescoring from disk.

Why not a graph (HNSW): on 2 cores a graph over 1M vectors builds at ≈ 5k vectors/s and, on
a catalog dense with near-duplicate titles, needs a very wide search to reach 0.95 recall.
Inverted lists are trained with a few BLAS products (``vector_lists``), and a query scores the
``nprobe`` lists nearest to it: recall depends only on how many lists are probed, and a filter
is applied exactly to the rows scanned (docs/benchmarks.md, "Catalog search").

Memory (format 3): what is scanned is int8 codes with a scale per row (``vector_codes``, 260
bytes a vector at 256 dimensions instead of 1,024), in memory; the exact float32 vectors are
in ``rows.f32`` on disk (``vector_rows``) and are read only to rescore the best
``rescore_depth(count)`` candidates, so results are ranked by exact similarity. 10M vectors
take 2.6 GB of memory, not 10 GB.

State, keyed by non-negative integer keys chosen by the caller:

* ``centroids`` (nlist x d) and the *lists*: ``codes``/``scales`` (rows grouped by list),
  ``keys`` (the key of each row), ``offsets`` (list i is rows ``offsets[i]:offsets[i+1]``)
  and ``live`` (False once the key was replaced or removed);
* the *tail*: codes added since the last ``flush``, scanned by every query, so an upsert is
  searchable without touching the lists;
* ``slot[key]``: where the key's current codes are (row >= 0, tail entry ``-2 - i``, or -1).

``flush`` (called at commit) trains the lists once there are ``TRAIN_MIN`` vectors, retrains
when the collection has grown ``RETRAIN_GROWTH`` times or a quarter of the rows are dead, and
otherwise moves the tail into the lists once it holds ``TAIL_MAX`` vectors. Training is
seeded, so the same vectors give the same index.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from trustcart.search.vector_codes import CodeScorer, quantize, rescore_depth
from trustcart.search.vector_lists import assign, list_count, sample_size, train_centroids
from trustcart.search.vector_rows import VectorRows

TRAIN_MIN = 20_000  # below this an exact scan of everything is as fast as probing lists
TAIL_MAX = 10_000  # tail rows scanned per query (≈ 1 ms) before they join the lists
NPROBE = 8
MIN_SCAN = 8_192  # rows a query scans at least (≈ 1 ms): small indexes get exact-ish results
RETRAIN_GROWTH = 4
FORMAT = "ivf-int8-1"
_CHUNK = 65_536

Keys = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
Allowed = Callable[[Keys], Mask]


def top_order(similarity: Matrix, keys: Keys, count: int) -> Keys:
    """Positions of the ``count`` best, best first; ties by key so results are deterministic."""
    positions = np.arange(len(similarity))
    if len(similarity) > count:
        positions = np.argpartition(-similarity, count - 1)[:count]
    order = np.lexsort((keys[positions], -similarity[positions]))
    return np.asarray(positions[order], dtype=np.int64)


def top_keys(similarity: Matrix, keys: Keys, count: int) -> Keys:
    """The ``count`` best keys, best first; ties by key so results are deterministic."""
    return np.asarray(keys[top_order(similarity, keys, count)], dtype=np.int64)


Grown = TypeVar("Grown", bound="np.ndarray[Any, Any]")


def _grown(array: Grown, capacity: int, used: int) -> Grown:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[:used] = array[:used]
    return cast(Grown, grown)


class QuantizedIvfIndex:
    """Inverted lists of int8 codes; ``search`` ranks by exact similarity after rescoring."""

    def __init__(
        self, dimensions: int, *, seed: int = 20261129, rows: VectorRows | None = None
    ) -> None:
        self.dimensions = dimensions
        self._seed = seed
        self.rows = rows if rows is not None else VectorRows(dimensions)
        self._scorer = CodeScorer(dimensions)
        self.centroids: Matrix = np.zeros((0, dimensions), dtype=np.float32)
        self.codes: npt.NDArray[np.int8] = np.zeros((0, dimensions), dtype=np.int8)
        self.scales: Matrix = np.zeros(0, dtype=np.float32)
        self.keys: Keys = np.zeros(0, dtype=np.int64)
        self.offsets: Keys = np.zeros(1, dtype=np.int64)
        self.live: Mask = np.zeros(0, dtype=np.bool_)
        self._trained_size = 0
        self._tail_codes: npt.NDArray[np.int8] = np.zeros((0, dimensions), dtype=np.int8)
        self._tail_scales: Matrix = np.zeros(0, dtype=np.float32)
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
        self.rows.write(keys, vectors)
        codes, scales = quantize(vectors)
        end = self._tail_size + len(keys)
        if end > len(self._tail_keys):
            capacity = max(end, 2 * len(self._tail_keys), 1024)
            used = self._tail_size
            self._tail_codes = _grown(self._tail_codes, capacity, used)
            self._tail_scales = _grown(self._tail_scales, capacity, used)
            self._tail_keys = _grown(self._tail_keys, capacity, used)
            self._tail_live = _grown(self._tail_live, capacity, used)
        start = self._tail_size
        self._tail_codes[start:end] = codes
        self._tail_scales[start:end] = scales
        self._tail_keys[start:end] = keys
        self._tail_live[start:end] = True
        self._slot[keys] = -2 - np.arange(start, end, dtype=np.int64)
        self._tail_size = end

    def remove(self, keys: Keys) -> None:
        self._forget(np.asarray(keys, dtype=np.int64))

    def present(self, keys: Keys) -> Mask:
        """Whether each key has a vector."""
        keys = np.asarray(keys, dtype=np.int64)
        inside = keys < len(self._slot)
        out = np.zeros(len(keys), dtype=np.bool_)
        out[inside] = self._slot[keys[inside]] != -1
        return out

    def vectors(self, keys: Keys) -> Matrix:
        """The exact current vectors of ``keys`` (each must be present)."""
        keys = np.asarray(keys, dtype=np.int64)
        if not self.present(keys).all():
            raise KeyError("a key has no vector")
        return self.rows.read(keys)

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
            keys, codes, scales = (
                self._tail_keys[tail],
                self._tail_codes[tail],
                self._tail_scales[tail],
            )
        else:
            keys = np.concatenate((self.keys[keep], self._tail_keys[tail][tail_live]))
            codes = np.concatenate((self.codes[keep], self._tail_codes[tail][tail_live]))
            scales = np.concatenate((self.scales[keep], self._tail_scales[tail][tail_live]))
        if retrain:
            nlist = list_count(len(keys))
            rng = np.random.default_rng(self._seed)
            picked = np.sort(rng.choice(len(keys), sample_size(nlist, len(keys)), replace=False))
            sample = self.rows.read(np.sort(keys[picked]))
            self.centroids = train_centroids(sample, nlist, self._seed)
            self._trained_size = len(keys)
            lists = assign(codes, scales, self.centroids)
        else:  # rows already in lists keep their list; only the tail is assigned
            old_lists = np.repeat(np.arange(self.nlist), np.diff(self.offsets))[keep]
            fresh = slice(len(old_lists), None)
            lists = np.concatenate((old_lists, assign(codes[fresh], scales[fresh], self.centroids)))
        order = np.argsort(lists, kind="stable")
        self._tail_codes = np.zeros((0, self.dimensions), dtype=np.int8)
        self.codes = codes[order]
        del codes
        self.scales, self.keys = scales[order], keys[order]
        self.offsets = np.concatenate(([0], np.cumsum(np.bincount(lists, minlength=self.nlist))))
        self.live = np.ones(len(self.keys), dtype=np.bool_)
        self._slot[self.keys] = np.arange(len(self.keys), dtype=np.int64)
        self._tail_scales = np.zeros(0, dtype=np.float32)
        self._tail_keys = np.zeros(0, dtype=np.int64)
        self._tail_live = np.zeros(0, dtype=np.bool_)
        self._tail_size = 0
        self._lists_dirty = True

    # -- searching -------------------------------------------------------------------------

    def _rescored(
        self, scores: list[Matrix], found: list[Keys], vector: Matrix, count: int
    ) -> Keys:
        """Rank candidates by code scores, rescore the best exactly, keep ``count``."""
        if not found:
            return np.zeros(0, dtype=np.int64)
        approximate, keys = np.concatenate(scores), np.concatenate(found)
        best = keys[top_order(approximate, keys, rescore_depth(count))]
        return top_keys(self.rows.read(best) @ vector, best, count)

    def search(
        self, vector: Matrix, count: int, *, allowed: Allowed | None = None, nprobe: int = NPROBE
    ) -> Keys:
        """The ``count`` keys most similar to ``vector`` among the tail and the lists nearest
        to it (at least ``nprobe`` of them and ``MIN_SCAN`` rows), best first. With ``allowed``
        (keys -> which may be returned), evaluated on the scanned rows only, more lists are
        probed until ``count`` qualify or none are left."""
        tail = slice(0, self._tail_size)
        keep = self._tail_live[tail].copy()
        if allowed is not None and self._tail_size:
            keep &= allowed(self._tail_keys[tail])
        scores = [
            self._scorer.scores(self._tail_codes[tail][keep], self._tail_scales[tail][keep], vector)
        ]
        found = [self._tail_keys[tail][keep]]
        qualified = len(found[0])
        if self.nlist:
            ranked = np.argsort(-(self.centroids @ vector), kind="stable")
            probed = scanned = 0
            while probed < self.nlist and (
                probed < nprobe or scanned < MIN_SCAN or (allowed is not None and qualified < count)
            ):
                batch = ranked[probed : max(nprobe, 2 * probed)]
                probed += len(batch)
                for index in np.sort(batch):
                    start, end = int(self.offsets[index]), int(self.offsets[index + 1])
                    if start == end:
                        continue
                    scanned += end - start
                    keys = self.keys[start:end]
                    keep = self.live[start:end]
                    if allowed is not None:
                        keep = keep & allowed(keys)
                    rows = np.flatnonzero(keep) + start
                    if len(rows) == end - start:  # every row: a slice, no gather
                        rows_codes, rows_scales = self.codes[start:end], self.scales[start:end]
                    else:
                        rows_codes, rows_scales = self.codes[rows], self.scales[rows]
                    scores.append(self._scorer.scores(rows_codes, rows_scales, vector))
                    found.append(self.keys[rows])
                    qualified += len(rows)
        return self._rescored(scores, found, vector, count)

    def live_keys(self) -> Keys:
        """Every key with a vector, ascending."""
        return np.flatnonzero(self._slot != -1).astype(np.int64)

    def exact_many(self, queries: Matrix, count: int) -> list[Keys]:
        """Brute force over every exact vector, for several queries in one pass over the
        rows on disk: the reference ``search`` is measured against."""
        queries = np.asarray(queries, dtype=np.float32)
        best_scores = [np.zeros(0, dtype=np.float32) for _ in queries]
        best_keys = [np.zeros(0, dtype=np.int64) for _ in queries]
        for keys, rows in self.rows.chunks(self.live_keys()):
            similarity = rows @ queries.T
            for i in range(len(queries)):
                merged_scores = np.concatenate((best_scores[i], similarity[:, i]))
                merged_keys = np.concatenate((best_keys[i], keys))
                order = top_order(merged_scores, merged_keys, count)
                best_scores[i], best_keys[i] = merged_scores[order], merged_keys[order]
        return best_keys

    def exact(self, vector: Matrix, count: int) -> Keys:
        """Brute force over every live vector (see ``exact_many``)."""
        return self.exact_many(vector[None, :], count)[0]

    def exact_among(self, vector: Matrix, count: int, keys: Keys) -> Keys:
        """The ``count`` best of ``keys`` (all present), by exact inner product."""
        keys = np.sort(np.asarray(keys, dtype=np.int64))
        if not len(keys):
            return keys
        similarity = np.concatenate([rows @ vector for _, rows in self.rows.chunks(keys)])
        return top_keys(similarity, keys, count)

    def search_among(self, vector: Matrix, count: int, keys: Keys) -> Keys:
        """The ``count`` best of ``keys`` (all present): every one scored by its codes, the
        best rescored exactly. For a filter that leaves few offers: no list is probed."""
        keys = np.asarray(keys, dtype=np.int64)
        if not len(keys):
            return keys
        slots = self._slot[keys]
        in_lists = slots >= 0
        rows, entries = slots[in_lists], -2 - slots[~in_lists]
        scores = [
            self._scorer.scores(self.codes[rows], self.scales[rows], vector),
            self._scorer.scores(self._tail_codes[entries], self._tail_scales[entries], vector),
        ]
        return self._rescored(scores, [keys[in_lists], keys[~in_lists]], vector, count)

    # -- persistence -----------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write under ``folder``; the big list arrays only when they changed. Each file is
        written beside and renamed, so a reader never sees half a file."""
        folder.mkdir(parents=True, exist_ok=True)
        self.rows = self.rows.save_to(folder)
        tail = slice(0, self._tail_size)
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "live": self.live,
            "tail_codes": self._tail_codes[tail],
            "tail_scales": self._tail_scales[tail],
            "tail_keys": self._tail_keys[tail],
            "tail_live": self._tail_live[tail],
        }
        if self._lists_dirty:
            arrays |= {
                "centroids": self.centroids,
                "codes": self.codes,
                "scales": self.scales,
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
                    "format": FORMAT,
                    "dimensions": self.dimensions,
                    "trained_size": self._trained_size,
                    "seed": self._seed,
                    "rows": self.rows.committed_rows,
                }
            )
        )
        self._lists_dirty = False

    @classmethod
    def load(cls, folder: Path) -> QuantizedIvfIndex:
        """Reopen without retraining; the codes are memory-mapped (read-only: a rebuild makes
        new arrays, and ``save`` renames over the file, so the mapping stays valid)."""
        meta = json.loads((folder / "ivf.json").read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"vector index format {meta.get('format')!r}, not {FORMAT}")
        dimensions = int(meta["dimensions"])
        rows = VectorRows(dimensions, folder, committed_rows=int(meta["rows"]))
        index = cls(dimensions, seed=int(meta["seed"]), rows=rows)
        index._trained_size = int(meta["trained_size"])
        index.centroids = np.load(folder / "centroids.npy")
        index.codes = np.load(folder / "codes.npy", mmap_mode="r")
        index.scales = np.load(folder / "scales.npy")
        index.keys = np.load(folder / "keys.npy")
        index.offsets = np.load(folder / "offsets.npy")
        index.live = np.load(folder / "live.npy")
        index._tail_codes = np.load(folder / "tail_codes.npy")
        index._tail_scales = np.load(folder / "tail_scales.npy")
        index._tail_keys = np.load(folder / "tail_keys.npy")
        index._tail_live = np.load(folder / "tail_live.npy")
        index._tail_size = len(index._tail_keys)
        top = max(int(index.keys.max(initial=-1)), int(index._tail_keys.max(initial=-1)))
        index._grow_slots(top + 1)
        rows_live = np.flatnonzero(index.live)
        index._slot[index.keys[rows_live]] = rows_live
        entries = np.flatnonzero(index._tail_live)
        index._slot[index._tail_keys[entries]] = -2 - entries
        index._lists_dirty = False
        return index

    def close(self) -> None:
        """Release the temporary rows file of an index that was never saved."""
        self.rows.close()
