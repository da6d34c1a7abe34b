"""The IVF vector index (int8 codes, exact rescoring): recall against brute force, exact filters,
persistence, updates;
and how the embedded catalog index feeds it (one embedding per distinct text, last text wins).
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from trustcart.commerce.catalog_search import offer_from_product
from trustcart.core.money import Money
from trustcart.local.seed import generate_catalog
from trustcart.search import vector_index
from trustcart.search.documents import IndexedOffer
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.embedded_upgrade import FORMAT
from trustcart.search.embedding import default_embedder
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.vector_index import TAIL_MAX, TRAIN_MIN, QuantizedIvfIndex, top_keys

DIM = 24


@pytest.fixture(scope="module")
def offers() -> list[IndexedOffer]:
    catalog = generate_catalog(random.Random(11), product_count=600)
    merchants = {m.merchant_id: m for m in catalog.merchants}
    return [offer_from_product(p, merchants[p.merchant_id]) for p in catalog.products]


def _clustered(count: int, seed: int) -> npt.NDArray[np.float32]:
    """Unit vectors around 300 random directions: structure for k-means to find."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((300, DIM))
    rows = centres[rng.integers(0, 300, count)] + 0.35 * rng.standard_normal((count, DIM))
    unit: npt.NDArray[np.float32] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        np.float32
    )
    return unit


def _built(
    count: int = TRAIN_MIN + 5_000, seed: int = 1
) -> tuple[QuantizedIvfIndex, npt.NDArray[np.float32]]:
    vectors = _clustered(count, seed)
    index = QuantizedIvfIndex(DIM)
    index.add(np.arange(count, dtype=np.int64), vectors)
    index.flush()
    return index, vectors


@pytest.fixture(scope="module")
def built() -> tuple[QuantizedIvfIndex, npt.NDArray[np.float32]]:
    return _built()


def _brute(
    vectors: npt.NDArray[np.float32],
    query: npt.NDArray[np.float32],
    count: int,
    allowed: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.int64]:
    keys = np.arange(len(vectors), dtype=np.int64)
    if allowed is not None:
        keys = keys[allowed]
    return top_keys(vectors[keys] @ query, keys, count)


def test_lists_are_trained_and_recall_beats_095(
    built: tuple[QuantizedIvfIndex, npt.NDArray[np.float32]],
) -> None:
    index, vectors = built
    assert index.nlist > 0
    assert len(index) == len(vectors)
    queries = _clustered(200, seed=2)
    found = 0
    for query in queries:
        exact = _brute(vectors, query, 10)
        approximate = index.search(query, 10)
        tenth = float(vectors[exact[-1]] @ query)
        found += int((vectors[approximate] @ query >= tenth - 1e-6).sum())
    assert found / 2000 >= 0.95
    # Probing every list is brute force, ties included.
    for query in queries[:20]:
        assert (
            index.search(query, 10, nprobe=index.nlist).tolist()
            == _brute(vectors, query, 10).tolist()
        )
        assert index.exact(query, 10).tolist() == _brute(vectors, query, 10).tolist()


def test_a_mask_is_exact_and_probes_on_until_enough_pass(
    built: tuple[QuantizedIvfIndex, npt.NDArray[np.float32]],
) -> None:
    index, vectors = built
    rng = np.random.default_rng(3)
    for fraction in (0.5, 0.01, 0.001):
        allowed = rng.random(len(vectors)) < fraction
        for query in _clustered(10, seed=4):
            hits = index.search(query, 10, allowed=allowed.__getitem__)
            assert allowed[hits].all()
            assert len(hits) == min(10, int(allowed.sum()))  # never starved by the filter
            assert (
                index.exact_among(query, 10, np.flatnonzero(allowed)).tolist()
                == _brute(vectors, query, 10, allowed).tolist()
            )
    nothing = np.zeros(len(vectors), dtype=np.bool_)
    assert index.search(vectors[0], 10, allowed=nothing.__getitem__).tolist() == []


def test_replaced_and_removed_keys_never_come_back() -> None:
    index, vectors = _built()
    other = _clustered(50, seed=9)
    moved = np.arange(50, dtype=np.int64)
    index.add(moved, other)  # replace: the old rows stay in the lists, marked dead
    index.remove(np.arange(50, 100, dtype=np.int64))
    assert len(index) == len(vectors) - 50
    assert not index.live[np.isin(index.keys, np.arange(100))].any()
    for key in range(50):
        assert key not in index.search(vectors[key], 5, nprobe=index.nlist).tolist()
        assert index.search(other[key], 1, nprobe=index.nlist)[0] == key
        assert np.array_equal(index.vectors(np.asarray([key]))[0], other[key])
    everything = set(index.exact(vectors[60], len(vectors)).tolist())
    assert everything.isdisjoint(range(50, 100))
    with pytest.raises(KeyError):
        index.vectors(np.asarray([60]))
    with pytest.raises(ValueError, match="unique"):
        index.add(np.asarray([1, 1]), other[:2])


def test_the_tail_joins_the_lists_and_dead_rows_are_compacted() -> None:
    index, vectors = _built()
    trained = index.centroids.copy()
    extra = _clustered(TAIL_MAX, seed=5)
    keys = np.arange(len(vectors), len(vectors) + TAIL_MAX, dtype=np.int64)
    index.add(keys[:10], extra[:10])
    index.flush()  # a small tail stays a tail (scanned exactly), lists untouched
    assert len(index.keys) == len(vectors)
    assert index.search(extra[3], 1)[0] == keys[3]
    index.add(keys, extra)
    index.flush()
    assert len(index.keys) == len(vectors) + TAIL_MAX
    assert np.array_equal(index.centroids, trained)  # not grown enough to retrain
    assert index.search(extra[3], 1)[0] == keys[3]
    index.remove(np.arange(len(vectors) // 2, dtype=np.int64))
    index.flush()  # more than a quarter dead: rebuilt without them
    assert index.live.all()
    assert len(index) == len(index.keys) == len(vectors) - len(vectors) // 2 + TAIL_MAX


def test_small_collections_are_scanned_exactly_and_training_is_seeded() -> None:
    vectors = _clustered(500, seed=6)
    small = QuantizedIvfIndex(DIM)
    small.add(np.arange(500, dtype=np.int64), vectors)
    small.flush()
    assert small.nlist == 0
    query = _clustered(1, seed=7)[0]
    assert small.search(query, 10).tolist() == _brute(vectors, query, 10).tolist()
    first, _ = _built(seed=8)
    second, _ = _built(seed=8)
    assert np.array_equal(first.centroids, second.centroids)


def test_reopens_without_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index, vectors = _built()
    index.add(np.asarray([5, len(vectors)], dtype=np.int64), _clustered(2, seed=10))
    index.remove(np.asarray([7], dtype=np.int64))
    index.save(tmp_path / "v")
    queries = _clustered(20, seed=11)
    before = [index.search(q, 10).tolist() for q in queries]

    def no_training(*_args: object) -> None:
        raise AssertionError("reopening must not retrain")

    monkeypatch.setattr(vector_index, "train_centroids", no_training)
    again = QuantizedIvfIndex.load(tmp_path / "v")
    assert len(again) == len(index)
    assert [again.search(q, 10).tolist() for q in queries] == before
    again.add(np.asarray([9], dtype=np.int64), _clustered(1, seed=12))  # still writable
    again.flush()
    again.save(tmp_path / "v")
    assert len(QuantizedIvfIndex.load(tmp_path / "v")) == len(index)


class _Counting:
    """The packaged embedder, counting the texts it is asked to encode."""

    def __init__(self) -> None:
        self._inner = default_embedder()
        self.name, self.dimensions = self._inner.name, self._inner.dimensions
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        self.texts.extend(texts)
        return self._inner.encode(texts)


def _vector_of(index: EmbeddedCatalogIndex, product_id: str) -> npt.NDArray[np.float32]:
    key = index.key_of(product_id)
    assert key is not None
    vector: npt.NDArray[np.float32] = index.stored_vectors(np.asarray([key]))[0]
    return vector


def test_a_shared_text_is_embedded_once_and_a_changed_one_again(
    offers: list[IndexedOffer], tmp_path: Path
) -> None:
    embedder = _Counting()
    index = EmbeddedCatalogIndex(tmp_path / "i", embedder)
    first = offers[0]
    copies = [replace(first, product_id=f"copy{i}", merchant_id="m_other") for i in range(3)]
    index.upsert([first])
    index.upsert(copies)  # a later batch: reuses the vector already stored
    index.commit()
    assert embedder.texts == [first.embedding_text]
    changed = replace(first, title="Quantum Espresso Machine")
    index.upsert([changed])
    index.upsert([replace(first, product_id="copy9")])  # the old text: copy0 still has it
    index.commit()
    assert embedder.texts == [first.embedding_text, changed.embedding_text]
    expected = default_embedder().encode([changed.embedding_text, first.embedding_text])
    assert np.allclose(_vector_of(index, first.product_id), expected[0], atol=1e-6)
    assert np.allclose(_vector_of(index, "copy9"), expected[1], atol=1e-6)
    # The last text of a product upserted in consecutive batches wins.
    index.upsert([replace(first, product_id="flip", title="Red Tea Kettle")])
    index.upsert([replace(first, product_id="flip", title="Blue Yoga Mat")])
    hits = index.search(
        SearchQuery("blue yoga mat", limit=3, in_stock_only=False), SearchMode.SEMANTIC
    ).hits
    assert hits[0].product_id == "flip"
    index.close()


def test_a_format_1_index_is_converted_without_embedding(
    offers: list[IndexedOffer], tmp_path: Path
) -> None:
    index = EmbeddedCatalogIndex(tmp_path / "i", default_embedder())
    index.upsert(offers)
    index.commit()
    query = SearchQuery("black t-shirt", max_price=Money(9000, "CNY"), limit=10)
    before = index.search(query)
    keys = np.arange(index.count())  # nothing deleted: every key is live
    old = np.zeros((len(keys), index.embedder.dimensions), dtype=np.float16)
    old[keys] = index.stored_vectors(keys)
    index.close()
    # What the usearch version wrote: float16 vectors.npy, a graph, meta without a format.
    np.save(tmp_path / "i" / "vectors.npy", old)
    (tmp_path / "i" / "vectors.usearch").write_bytes(b"graph")
    meta = json.loads((tmp_path / "i" / "meta.json").read_text())
    del meta["format"]
    (tmp_path / "i" / "meta.json").write_text(json.dumps(meta))
    embedder = _Counting()
    again = EmbeddedCatalogIndex(tmp_path / "i", embedder)
    assert [h.product_id for h in again.search(query).hits] == [h.product_id for h in before.hits]
    assert embedder.texts == [query.text]  # the query only: no offer was re-embedded
    assert not (tmp_path / "i" / "vectors.usearch").exists()
    assert json.loads((tmp_path / "i" / "meta.json").read_text())["format"] == FORMAT
