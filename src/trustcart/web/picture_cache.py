"""Generated product pictures, cached on disk so that each is drawn once per machine.

The key is ``PictureSpec.key`` (generator version, shape, colours): the same spec always draws
the same bytes, so a cached file never goes stale, and a new generator version is a new file.
Files are written to a temporary name and renamed, so a reader never sees half a picture.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from trustcart.commerce.pictures import PictureSpec, draw_picture


class GeneratedPictures:
    """Drawn pictures, cached as ``<key>.png`` files in ``directory`` (written atomically)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def png(self, spec: PictureSpec) -> bytes:
        """The drawing of ``spec``, from the cache or drawn now and kept."""
        path = self.directory / f"{spec.key}.png"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        data = draw_picture(spec)
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        return data
