"""The inverted lists' geometry: how many lists, k-means training, assigning rows to lists.

Lists are trained with spherical k-means (inner product on unit vectors) on a seeded sample
of the exact vectors, and every row is assigned to its most similar centroid from its int8
codes, dequantized a chunk at a time (assignment only picks a list, so the codes' error of
~0.002 in a similarity does not matter, and the float32 rows stay on disk).

How many lists: a query's cost is the rows it scans, and for the same rows scanned fewer,
larger lists gave the same recall (1M: 512 lists x 12 probed 0.992, 1,024 x 24 0.993), while
assignment costs N x lists x d multiply-adds (1M x 1,024 lists took 18 s). So a list holds
about 4 sqrt(N) rows: 250 lists at 1M (8 probed ≈ 31k rows, the measured 0.989 recall), 790 at
10M (8 probed ≈ 100k rows), never more than ``NLIST_MAX``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from trustcart.search.vector_codes import Codes, Scales, dequantize

NLIST_MAX = 1_024
KMEANS_ITERATIONS = 8
SAMPLE_PER_LIST = 32
_CHUNK = 65_536

Matrix = npt.NDArray[np.float32]


def list_count(size: int) -> int:
    """Lists for ``size`` vectors: about sqrt(N) / 4, so a list holds about 4 sqrt(N) rows.

    >>> list_count(20_000), list_count(1_000_000), list_count(10_000_000)
    (35, 250, 791)
    """
    return int(min(NLIST_MAX, max(16, round(math.sqrt(size) / 4))))


def sample_size(nlist: int, available: int) -> int:
    """Rows k-means trains on for ``nlist`` lists."""
    return min(available, nlist * SAMPLE_PER_LIST)


def train_centroids(sample: Matrix, nlist: int, seed: int) -> Matrix:
    """Spherical k-means on ``sample`` (unit rows, at least ``nlist`` of them); seeded."""
    rng = np.random.default_rng(seed)
    size = len(sample)
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


def assign(codes: Codes, scales: Scales, centroids: Matrix) -> npt.NDArray[np.int64]:
    """The list of each row: its most similar centroid (chunked to bound memory)."""
    parts = [
        (dequantize(codes[i : i + _CHUNK], scales[i : i + _CHUNK]) @ centroids.T).argmax(axis=1)
        for i in range(0, len(codes), _CHUNK)
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
