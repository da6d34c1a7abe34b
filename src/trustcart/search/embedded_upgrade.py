"""Reading the vectors of older embedded index formats, so an upgrade never re-embeds.

    format 1  float16 vectors by key in ``vectors.npy`` and a usearch graph
    format 2  float32 IVF lists in ``vectors/`` (``data.npy`` rows grouped by list,
              ``keys.npy``, ``live.npy``, a ``tail.npy`` of rows not yet listed) and the
              numeric columns in ``columns.npz``
    format 3  int8 lists in memory, exact float32 rows by key on disk (``vector_index``),
              columns as memory-mapped ``.npy`` files, no per-offer Python objects

``EmbeddedCatalogIndex`` opens a format 1 or 2 index by reading its columns as they are
(``OfferColumns.load`` reads both layouts), feeding ``old_vectors`` into a new vector index
(trained afresh from the same vectors, so search results match the float32 index's up to the
lists' new boundaries) and committing as format 3; ``remove_old_files`` then deletes what
only the old format used. The analyzer and model checks come first: an index built by another
analyzer or model is rebuilt from the catalog instead (``StaleIndexError``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = 3
_CHUNK = 65_536

Keys = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]


def _format_2_rows(folder: Path) -> tuple[Keys, Keys, Any, Any]:
    """(keys, where each key's vector is, list rows, tail rows): ``where`` >= 0 is a list
    row, ``-1 - i`` tail entry i."""
    keys = np.load(folder / "keys.npy")
    live = np.load(folder / "live.npy")
    tail_keys = np.load(folder / "tail_keys.npy")
    tail_live = np.load(folder / "tail_live.npy")
    rows = np.flatnonzero(live)
    entries = np.flatnonzero(tail_live)
    found = np.concatenate((keys[rows], tail_keys[entries])).astype(np.int64)
    where = np.concatenate((rows, -1 - entries)).astype(np.int64)
    order = np.argsort(found, kind="stable")
    data = np.load(folder / "data.npy", mmap_mode="r")
    tail = np.load(folder / "tail.npy", mmap_mode="r")
    return found[order], where[order], data, tail


def old_vectors(path: Path, meta: Mapping[str, Any], alive: Keys) -> Iterator[tuple[Keys, Matrix]]:
    """The live offers' vectors of a format 1 or 2 index, as (keys, float32 rows) chunks."""
    if meta.get("format", 1) == 1:
        by_key = np.load(path / "vectors.npy", mmap_mode="r")
        for start in range(0, len(alive), _CHUNK):
            keys = alive[start : start + _CHUNK]
            yield keys, np.asarray(by_key[keys], dtype=np.float32)
        return
    keys, where, data, tail = _format_2_rows(path / "vectors")
    keys_alive = np.isin(keys, alive)
    keys, where = keys[keys_alive], where[keys_alive]
    for start in range(0, len(keys), _CHUNK):
        part, at = keys[start : start + _CHUNK], where[start : start + _CHUNK]
        rows = np.empty((len(part), data.shape[1]), dtype=np.float32)
        in_lists = at >= 0
        rows[in_lists] = data[at[in_lists]]
        rows[~in_lists] = tail[-1 - at[~in_lists]]
        yield part, rows


def remove_old_files(path: Path) -> None:
    """Delete the files only formats 1 and 2 used (after the index was saved as format 3)."""
    for stale in (
        path / "vectors.npy",
        path / "vectors.usearch",
        path / "columns.npz",
        path / "vectors" / "data.npy",
        path / "vectors" / "tail.npy",
    ):
        stale.unlink(missing_ok=True)
