"""The models load from the package alone: no hub, no network, and only when needed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from trustcart.search.embedding import MODEL_DIR, StaticEmbedder
from trustcart.search.glossary_embedding import GLOSSARY, Glossary, GlossaryEmbedder


def test_the_models_load_and_encode_chinese_with_the_network_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    embedder = GlossaryEmbedder(StaticEmbedder(MODEL_DIR), Glossary(GLOSSARY))
    vectors = embedder.encode(["珍珠奶茶", "Pearl Milk Tea", "墨镜", "sunglasses"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert float(vectors[0] @ vectors[1]) > 0.8
    assert float(vectors[2] @ vectors[3]) > 0.9


def test_english_vectors_are_those_of_the_english_model() -> None:
    english = StaticEmbedder(MODEL_DIR)
    both = GlossaryEmbedder(english, Glossary(GLOSSARY))
    texts = ["Pearl Milk Tea. drinks milk tea", "Polarized Sunglasses - black"]
    assert np.array_equal(both.encode(texts), english.encode(texts))


def test_the_glossary_is_read_on_the_first_chinese_text_only() -> None:
    code = (
        "from trustcart.search.glossary_embedding import Glossary\n"
        "g = Glossary()\n"
        "assert g.translate('Pearl Milk Tea') == 'Pearl Milk Tea'\n"
        "assert g._entries is None\n"
        "assert g.translate('墨镜') == 'sunglasses'\n"
        "assert g._entries is not None\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )


def test_the_shipped_models_stay_small() -> None:
    sizes = sum(p.stat().st_size for p in MODEL_DIR.iterdir()) + GLOSSARY.stat().st_size
    assert sizes < 25_000_000
