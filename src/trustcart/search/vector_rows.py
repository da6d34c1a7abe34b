"""Full-precision vectors by key in one file on disk: the rescoring side of the vector index.

The vector index scans int8 codes in memory (``vector_codes``); the float32 vectors they came
from live here, row ``k`` of the file holding key ``k``'s vector, and are read only for the few
hundred candidates a query rescores, for match evidence, and for a vector reused by another
offer with the same text. At 10M offers of 256 dimensions that is 10 GB that stay on disk.

Rules:

* Reads and writes go through a mapping opened for the call and closed after it, so the
  pages touched stay in the page cache (shared, reclaimable) and do not pile up in the
  process's resident memory.
* Rows past the committed end are written at once (no committed reader can know those keys);
  a row that is already committed is *replaced* only at ``commit``: until then the new vector
  is kept in memory and reads see it, and ``rollback`` (or never committing) leaves the file
  as it was. ``committed_rows`` is recorded by the caller (in ``ivf.json``) and the file is cut
  back to it on open, so rows written by a process that never committed are dropped.
* Without a folder (tests, tools) the rows live in an anonymous temporary file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, cast

import numpy as np
import numpy.typing as npt

FILE_NAME = "rows.f32"
_CHUNK = 65_536

Keys = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]


class VectorRows:
    """float32 rows by key in ``folder/rows.f32`` (or a temporary file without a folder)."""

    def __init__(
        self, dimensions: int, folder: Path | None = None, *, committed_rows: int = 0
    ) -> None:
        self.dimensions = dimensions
        self._row_bytes = 4 * dimensions
        self._temporary: IO[bytes] | None = None
        self._path: Path | None = None
        if folder is None:
            self._temporary = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
            weakref.finalize(self, self._temporary.close)  # or when the index is dropped
        else:
            folder.mkdir(parents=True, exist_ok=True)
            self._path = folder / FILE_NAME
            with self._path.open("ab") as sink:  # create it; cut off uncommitted rows
                sink.truncate(committed_rows * self._row_bytes)
        self.committed_rows = committed_rows
        self._rows = committed_rows
        self._replaced: dict[int, Matrix] = {}

    @property
    def folder(self) -> Path | None:
        return None if self._path is None else self._path.parent

    def __len__(self) -> int:
        return self._rows

    def _file(self) -> str | IO[bytes]:
        if self._temporary is not None:
            return self._temporary
        return str(self._path)

    def _extend(self, rows: int) -> None:
        if rows <= self._rows:
            return
        if self._temporary is not None:
            self._temporary.truncate(rows * self._row_bytes)
        else:
            os.truncate(str(self._path), rows * self._row_bytes)
        self._rows = rows

    def _mapping(self, mode: Literal["r", "r+"], first: int, count: int) -> np.memmap[Any, Any]:
        target = self._file()
        return np.memmap(
            target if isinstance(target, str) else cast(Any, target),
            dtype=np.float32,
            mode=mode,
            offset=first * self._row_bytes,
            shape=(count, self.dimensions),
        )

    # -- writing ---------------------------------------------------------------------------

    def write(self, keys: Keys, vectors: Matrix) -> None:
        """Store the vectors of ``keys`` (committed rows are replaced at ``commit``)."""
        keys = np.asarray(keys, dtype=np.int64)
        if not len(keys):
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        old = keys < self.committed_rows
        for key, vector in zip(keys[old].tolist(), vectors[old], strict=True):
            self._replaced[key] = vector.copy()
        keys, vectors = keys[~old], vectors[~old]
        if len(keys):
            self._extend(int(keys.max()) + 1)
            self._put(keys, vectors)

    def _put(self, keys: Keys, vectors: Matrix) -> None:
        first = int(keys.min())
        mapped = self._mapping("r+", first, int(keys.max()) - first + 1)
        mapped[keys - first] = vectors
        mapped.flush()
        del mapped

    def commit(self) -> None:
        """Write the replaced rows; everything written so far becomes committed."""
        if self._replaced:
            keys = np.fromiter(self._replaced, dtype=np.int64, count=len(self._replaced))
            self._put(keys, np.stack([self._replaced[int(k)] for k in keys]))
            self._replaced = {}
        self.committed_rows = self._rows

    def rollback(self) -> None:
        """Forget uncommitted replacements (rows past the committed end are cut on open)."""
        self._replaced = {}

    def save_to(self, folder: Path) -> VectorRows:
        """Commit, then the same rows in ``folder`` (copied there if they live elsewhere)."""
        self.commit()
        if self.folder is not None and self.folder.resolve() == folder.resolve():
            return self
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f"{FILE_NAME}.partial"
        with partial.open("wb") as sink:
            if self._temporary is not None:
                self._temporary.seek(0)
                shutil.copyfileobj(self._temporary, sink)
            else:
                with Path(str(self._path)).open("rb") as source:
                    shutil.copyfileobj(source, sink)
        os.replace(partial, folder / FILE_NAME)
        return VectorRows(self.dimensions, folder, committed_rows=self._rows)

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.close()
            self._temporary = None

    # -- reading ---------------------------------------------------------------------------

    def read(self, keys: Keys) -> Matrix:
        """The vectors of ``keys`` (each must have been written)."""
        keys = np.asarray(keys, dtype=np.int64)
        out = np.empty((len(keys), self.dimensions), dtype=np.float32)
        if not len(keys):
            return out
        if int(keys.max()) >= self._rows or int(keys.min()) < 0:
            raise KeyError("a key has no stored vector")
        first = int(keys.min())
        mapped = self._mapping("r", first, int(keys.max()) - first + 1)
        plain = mapped.view(np.ndarray)  # index a plain array: memmap's __getitem__ is slow
        out[:] = plain[keys - first]
        del plain, mapped
        if self._replaced:
            for row, key in enumerate(keys.tolist()):
                replaced = self._replaced.get(key)
                if replaced is not None:
                    out[row] = replaced
        return out

    def chunks(self, keys: Keys, size: int = _CHUNK) -> Iterator[tuple[Keys, Matrix]]:
        """``keys`` (sorted) in chunks with their vectors: a sequential pass for exact scans."""
        for start in range(0, len(keys), size):
            part = keys[start : start + size]
            yield part, self.read(part)
