"""The storage that lets the embedded index hold 10M offers: each piece against a plain model.

Hash look-ups against a dict, Arrow string columns against a list, vectorised zone reach and
the compiled filters against the reference functions in ``documents``, the on-disk rows'
commit rules, and the upgrade of a format-2 index without re-embedding.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.commerce.catalog_search import offer_from_product
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.local.seed import generate_catalog
from trustcart.local.seed_merchants import DEMO_LOCATION
from trustcart.search.documents import DeliveryZone, IndexedOffer, offer_passes, reachable_zones
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.embedded_upgrade import FORMAT
from trustcart.search.embedding import default_embedder
from trustcart.search.hash_lookup import HashLookup
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.search.string_column import StringColumn, string_table
from trustcart.search.vector_rows import VectorRows
from trustcart.search.zone_reach import ZoneTable


@pytest.fixture(scope="module")
def offers() -> list[IndexedOffer]:
    catalog = generate_catalog(random.Random(11), product_count=600)
    merchants = {m.merchant_id: m for m in catalog.merchants}
    return [offer_from_product(p, merchants[p.merchant_id]) for p in catalog.products]


@settings(deadline=None)  # a loaded shared machine: timings say nothing here
@given(st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=12))
def test_hash_lookup_finds_exactly_the_keys_stored_under_a_hash(batches: list[list[int]]) -> None:
    lookup, model = HashLookup(), dict[int, set[int]]()
    key = 0
    for batch in batches:  # small hash values: many keys share one, as collisions would
        keys = np.arange(key, key + len(batch), dtype=np.int64)
        lookup.add(np.asarray(batch, dtype=np.uint64), keys)
        for value, k in zip(batch, keys.tolist(), strict=True):
            model.setdefault(value, set()).add(k)
        key += len(batch)
    asked = np.arange(45, dtype=np.uint64)
    positions, found = lookup.candidates(asked)
    got: dict[int, set[int]] = {}
    for position, k in zip(positions.tolist(), found.tolist(), strict=True):
        got.setdefault(int(asked[position]), set()).add(k)
    assert got == model
    assert len(lookup) == key


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("append"), st.text(max_size=5)),
            st.tuples(st.just("set"), st.integers(0, 50), st.text(max_size=5)),
            st.tuples(st.just("seal")),
        ),
        max_size=60,
    )
)
def test_string_column_behaves_like_a_list_and_survives_arrow(operations: list[tuple]) -> None:  # type: ignore[type-arg]
    column, model = StringColumn(pa.chunked_array([["x", "y"]])), ["x", "y"]
    for operation in operations:
        if operation[0] == "append":
            column.append(operation[1])
            model.append(operation[1])
        elif operation[0] == "set" and operation[1] < len(model):
            column.set(operation[1], operation[2])
            model[operation[1]] = operation[2]
        elif operation[0] == "seal":
            column.seal()
    assert column.take(range(len(model))) == model
    with pytest.raises(IndexError):
        column.set(len(model), "out of range")
    table = string_table({"value": column})
    assert StringColumn(table.column("value")).take(range(len(model))) == model


coordinates = st.tuples(
    st.decimals(Decimal("29.0"), Decimal("31.5"), places=4),
    st.decimals(Decimal("119.0"), Decimal("121.5"), places=4),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(coordinates, st.sampled_from(["0.5", "5", "30", "3000"])), max_size=40),
    coordinates,
    st.one_of(st.none(), st.decimals(Decimal("0.1"), Decimal("200"), places=1)),
)
def test_zone_table_answers_exactly_as_the_reference(
    zones: list[tuple[tuple[Decimal, Decimal], str]],
    buyer: tuple[Decimal, Decimal],
    radius: Decimal | None,
) -> None:
    listed = [DeliveryZone(GeoPoint(*origin), Decimal(r)) for origin, r in zones]
    table = ZoneTable(listed)
    location = GeoPoint(*buyer)
    query = SearchQuery("tea", location=location, radius_km=radius)
    assert table.reachable(query) == reachable_zones(listed, query)
    # A zone whose radius is exactly the distance is inside, as in the reference.
    if listed:
        edge = DeliveryZone(listed[0].origin, Decimal(str(location.distance_km(listed[0].origin))))
        listed.append(edge)
        assert table.reachable(query) == reachable_zones(listed, query)


@pytest.fixture(scope="module")
def built(
    offers: list[IndexedOffer], tmp_path_factory: pytest.TempPathFactory
) -> EmbeddedCatalogIndex:
    index = EmbeddedCatalogIndex(tmp_path_factory.mktemp("filters") / "i", default_embedder())
    index.upsert(offers)
    index.commit()
    index.delete([offers[3].product_id])
    index.commit()
    return index


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(st.none(), st.integers(500, 30_000)),
    st.one_of(st.none(), st.sampled_from(["drinks", "apparel", "accessories/eyewear", "nope"])),
    st.lists(
        st.sampled_from(["m_bobo_cha", "m_lakeside_tea", "m_pearl_house", "m_none"]), max_size=2
    ),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(["0.8", "1.4", "3", "50"])),
    st.integers(1, 40),
)
def test_compiled_filters_agree_with_offer_passes(
    built: EmbeddedCatalogIndex,
    offers: list[IndexedOffer],
    cap: int | None,
    category: str | None,
    merchants: list[str],
    in_stock: bool,
    radius: str | None,
    limit: int,
) -> None:
    query = SearchQuery(
        "tea",
        max_price=None if cap is None else Money(cap, "CNY"),
        category_prefix=category,
        merchant_ids=tuple(merchants),
        in_stock_only=in_stock,
        location=None if radius is None else DEMO_LOCATION,
        radius_km=None if radius is None else Decimal(radius),
    )
    store = built._store
    zones = store.reachable_zones(query) if query.location is not None else None
    compiled = store.query_filter(query, zones)
    alive = {o.product_id for o in offers} - {offers[3].product_id}
    expected = {o.product_id for o in offers if o.product_id in alive and offer_passes(o, query)}
    passing = set(store.product_ids.take(np.flatnonzero(compiled.mask())))
    assert passing == expected
    assert compiled.impossible <= (not expected)
    candidates = compiled.candidates(store.postings(), limit)
    if candidates is not None:  # when offered, the candidates are exactly the passing offers
        assert set(store.product_ids.take(candidates)) == expected


def _rows(count: int, seed: int) -> npt.NDArray[np.float32]:
    return np.random.default_rng(seed).standard_normal((count, 8)).astype(np.float32)


def test_rows_on_disk_replace_only_at_commit_and_cut_what_was_never_committed(
    tmp_path: Path,
) -> None:
    rows = VectorRows(8, tmp_path)
    first = _rows(10, 1)
    rows.write(np.arange(10), first)
    rows.commit()
    newer = _rows(3, 2)
    rows.write(np.asarray([2, 11, 12]), newer)  # key 2 replaced, 11 and 12 new (10 skipped)
    assert np.array_equal(rows.read(np.asarray([2, 11])), newer[:2])  # reads see the changes
    reopened = VectorRows(8, tmp_path, committed_rows=rows.committed_rows)
    assert np.array_equal(reopened.read(np.asarray([2])), first[2:3])  # not committed: old row
    assert len(reopened) == 10  # rows past the committed end are cut
    with pytest.raises(KeyError):
        reopened.read(np.asarray([11]))
    rows.rollback()
    assert np.array_equal(rows.read(np.asarray([2])), first[2:3])
    rows.write(np.asarray([2]), newer[:1])
    rows.commit()
    assert np.array_equal(
        VectorRows(8, tmp_path, committed_rows=13).read(np.asarray([2])), newer[:1]
    )


def _as_format_2(folder: Path, index: EmbeddedCatalogIndex) -> None:
    """Rewrite a saved index the way format 2 stored it: float32 lists, columns.npz."""
    keys = index.live_vector_keys()
    vectors = index.stored_vectors(keys)
    index.close()
    order = np.random.default_rng(3).permutation(len(keys))  # "list order": any order
    listed, tail = order[:-7], order[-7:]
    target = folder / "vectors"
    for name in list(target.iterdir()):
        name.unlink()
    np.save(target / "data.npy", vectors[listed])
    np.save(target / "keys.npy", keys[listed])
    np.save(target / "live.npy", np.ones(len(listed), dtype=np.bool_))
    np.save(target / "tail.npy", vectors[tail])
    np.save(target / "tail_keys.npy", keys[tail])
    np.save(target / "tail_live.npy", np.ones(len(tail), dtype=np.bool_))
    np.save(target / "centroids.npy", np.zeros((0, vectors.shape[1]), dtype=np.float32))
    np.save(target / "offsets.npy", np.zeros(1, dtype=np.int64))
    (target / "ivf.json").write_text(json.dumps({"dimensions": 256, "trained_size": 0, "seed": 1}))
    columns = {p.stem: np.load(p) for p in (folder / "columns").iterdir()}
    del columns["id_hash"]
    np.savez(folder / "columns.npz", **columns)
    for path in (folder / "columns").iterdir():
        path.unlink()
    (folder / "columns").rmdir()
    meta = json.loads((folder / "meta.json").read_text())
    meta["format"] = 2
    (folder / "meta.json").write_text(json.dumps(meta))


class _Counting:
    def __init__(self) -> None:
        self._inner = default_embedder()
        self.name, self.dimensions = self._inner.name, self._inner.dimensions
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        self.texts.extend(texts)
        return self._inner.encode(texts)


def test_a_format_2_index_is_converted_on_open_without_embedding(
    offers: list[IndexedOffer], tmp_path: Path
) -> None:
    folder = tmp_path / "i"
    index = EmbeddedCatalogIndex(folder, default_embedder())
    index.upsert(offers)
    index.commit()
    queries = [
        SearchQuery("black t-shirt", max_price=Money(9000, "CNY"), limit=10),
        SearchQuery("milk tea", location=DEMO_LOCATION, radius_km=Decimal("1.4"), limit=20),
        SearchQuery("bubble tea drink", limit=10, in_stock_only=False),
    ]
    before = [index.search(q, mode) for q in queries for mode in SearchMode]
    _as_format_2(folder, index)
    embedder = _Counting()
    again = EmbeddedCatalogIndex(folder, embedder)
    assert embedder.texts == []  # no offer re-embedded
    assert json.loads((folder / "meta.json").read_text())["format"] == FORMAT
    assert not (folder / "columns.npz").exists()
    assert not (folder / "vectors" / "data.npy").exists()
    assert again.count() == len(offers)
    assert [again.search(q, mode) for q in queries for mode in SearchMode] == before
    again.upsert([replace(offers[0], title="Quantum Espresso Machine")])  # still writable
    again.commit()
    assert again.search(SearchQuery("quantum espresso", limit=1)).hits[0].product_id == (
        offers[0].product_id
    )
    again.close()
