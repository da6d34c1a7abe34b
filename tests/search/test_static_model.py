"""The packaged static model read without model2vec gives model2vec's own vectors."""

from __future__ import annotations

import numpy as np
import pytest

from trustcart.search.embedding import MODEL_DIR, StaticEmbedder

TEXTS = [
    "Pearl Milk Tea",
    "black cotton t-shirt, size L",
    "",
    "   ",
    "珍珠奶茶",
    "polarized sunglasses 太阳镜 UV400",
    "a" * 5000,  # beyond max_length: truncated the same way
    "zzzz qqqq unknownwordsxyz",
    "Hangtee V-Neck T-Shirt - black, L. apparel t shirt",
]


def test_vectors_equal_model2vec() -> None:
    model2vec = pytest.importorskip("model2vec")
    reference = model2vec.StaticModel.from_pretrained(str(MODEL_DIR))
    ours = StaticEmbedder().encode(TEXTS)
    theirs = np.asarray(reference.encode(TEXTS, show_progress_bar=False), dtype=np.float32)
    norms = np.linalg.norm(theirs, axis=1, keepdims=True)
    theirs = np.divide(theirs, norms, out=np.zeros_like(theirs), where=norms > 0)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)
    assert [bool(v.any()) for v in ours] == [bool(v.any()) for v in theirs]


def test_empty_input_gives_no_rows() -> None:
    assert StaticEmbedder().encode([]).shape == (0, StaticEmbedder().dimensions)
