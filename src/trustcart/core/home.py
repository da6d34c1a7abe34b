"""Where the default store lives: ``$TRUSTCART_HOME``, else ``./.trustcart``."""

from __future__ import annotations

import os
from pathlib import Path


def trustcart_home() -> Path:
    return Path(os.environ.get("TRUSTCART_HOME") or ".trustcart")


def default_database_url(home: Path | None = None) -> str:
    """``$TRUSTCART_DATABASE_URL`` if set, else a SQLite file inside the home folder."""
    url = os.environ.get("TRUSTCART_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{(home or trustcart_home()) / 'trustcart.db'}"
