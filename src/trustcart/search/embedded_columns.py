"""The embedded back end's column store: one row per offer key, numeric columns, on disk.

Every offer has a stable integer ``key`` (its row, never reused). Strings that repeat
(categories, merchants, currencies) are stored as small ints through a ``Dictionary``; delivery
zones as an index into the zone list; the text an offer was embedded from as a 64-bit hash, so
an unchanged text keeps its vector. A replaced offer keeps its key; a deleted one is marked
dead (``alive`` false, hash 0) and its key is not reused. The filters tantivy runs as query
clauses run here on the keys the vector side scans (``embedded_filters``).

Nothing grows with N as Python objects (format 3): product ids and titles are Arrow strings
(``string_column``), product id -> key is a ``hash_lookup.HashLookup`` over the ``id_hash``
column (built on the first write or look-up after opening, never for a search), and the
numeric columns are memory-mapped copy-on-write when opened.

On disk (beside the index's ``meta.json``, which holds the dictionaries and zones):

    columns/<name>.npy  per-key price, currency, category, merchant, stock, zone, text hash,
                        product id hash, alive
    strings.arrow       per-key product id and title (Arrow IPC, memory-mapped on load)

Format 2 kept the numeric columns in one ``columns.npz`` (no id hash); ``load`` reads it too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.search.documents import DeliveryZone, IndexedOffer
from trustcart.search.embedded_filters import ColumnPostings, OfferFilter
from trustcart.search.fusion import facet_counts
from trustcart.search.hash_lookup import HashLookup, string_hash, string_hashes
from trustcart.search.index import IndexHit
from trustcart.search.query import SearchQuery
from trustcart.search.string_column import StringColumn, string_table
from trustcart.search.zone_reach import ZoneTable

COLUMNS = {
    "price": np.int64,
    "currency": np.int16,
    "category": np.int32,
    "merchant": np.int32,
    "stock": np.int32,
    "zone": np.int32,
    "text_hash": np.uint64,
    "id_hash": np.uint64,
    "alive": np.bool_,
}
POSTED = ("price", "category", "merchant", "zone")  # columns a selective filter is found by


def text_hash(text: str) -> int:
    """A stable 64-bit hash of a text (BLAKE2b), to tell whether an offer's text changed.

    >>> text_hash("Pearl milk tea") == text_hash("Pearl milk tea") != text_hash("Pearl tea")
    True
    """
    return string_hash(text)


class Dictionary:
    """Strings <-> small ints, so columns stay numeric.

    >>> merchants = Dictionary(["m_a"])
    >>> merchants.id("m_b"), merchants.id("m_a"), merchants.values
    (1, 0, ['m_a', 'm_b'])
    """

    def __init__(self, values: Sequence[str] = ()) -> None:
        self.values = list(values)
        self.ids = {v: i for i, v in enumerate(self.values)}

    def id(self, value: str) -> int:
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found


def _write_array(path: Path, array: npt.NDArray[np.generic]) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as sink:
        np.save(sink, array)
    os.replace(partial, path)


class OfferColumns:
    """The rows of every offer ever indexed, with the dictionaries that decode them."""

    def __init__(self) -> None:
        self.size = 0  # keys handed out, dead ones included
        self.live_count = 0
        self.columns = {name: np.zeros(0, dtype=dtype) for name, dtype in COLUMNS.items()}
        self.product_ids = StringColumn()
        self.titles = StringColumn()
        self._lookup: HashLookup | None = None  # product id hash -> keys, built on demand
        self._id_lookup_pending: list[int] = []  # new keys of the batch being placed
        self._postings: dict[str, ColumnPostings] | None = None
        self.categories, self.merchants = Dictionary(), Dictionary()
        self.currencies = Dictionary()
        self.zones: list[DeliveryZone] = []
        self._zone_ids: dict[str, int] = {}
        self._zone_table = ZoneTable(self.zones)

    # -- persistence -----------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path, meta: Mapping[str, Any]) -> OfferColumns:
        """Read the columns and strings from ``folder``, the dictionaries from ``meta``."""
        store = cls()
        store.size = int(meta["size"])
        source = pa.memory_map(str(folder / "strings.arrow"))  # kept open: the strings live there
        table = pa.ipc.open_file(source).read_all()
        store.product_ids = StringColumn(table.column("product_id"))
        store.titles = StringColumn(table.column("title"))
        if (folder / "columns").is_dir():
            store.columns = {
                name: np.load(folder / "columns" / f"{name}.npy", mmap_mode="c") for name in COLUMNS
            }
        else:  # format 2: one npz, no product id hashes
            with np.load(folder / "columns.npz") as stored:
                store.columns = {n: stored[n].copy() for n in COLUMNS if n != "id_hash"}
            ids = store.product_ids.take(range(store.size))
            store.columns["id_hash"] = string_hashes(ids)
        store.live_count = int(np.count_nonzero(store.columns["alive"][: store.size]))
        store.categories = Dictionary(meta["categories"])
        store.merchants = Dictionary(meta["merchants"])
        store.currencies = Dictionary(meta["currencies"])
        store.zones = [
            DeliveryZone(GeoPoint.parse(z[0], z[1]), Decimal(z[2])) for z in meta["zones"]
        ]
        store._zone_ids = {z.key(): i for i, z in enumerate(store.zones)}
        store._zone_table = ZoneTable(store.zones)
        return store

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the columns and strings to ``folder``; return the dictionaries for meta.json.
        Each file is written beside and renamed, so a reader never sees half a file."""
        n = self.size
        (folder / "columns").mkdir(parents=True, exist_ok=True)
        for name, column in self.columns.items():
            _write_array(folder / "columns" / f"{name}.npy", column[:n])
        table = string_table({"product_id": self.product_ids, "title": self.titles})
        partial = folder / "strings.arrow.partial"
        with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(partial, folder / "strings.arrow")
        (folder / "columns.npz").unlink(missing_ok=True)  # format 2's columns
        return {
            "size": n,
            "categories": self.categories.values,
            "merchants": self.merchants.values,
            "currencies": self.currencies.values,
            "zones": [[str(z.origin.lat), str(z.origin.lon), str(z.radius_km)] for z in self.zones],
        }

    # -- writing ---------------------------------------------------------------------------

    def grow(self, needed: int) -> None:
        """Make room for ``needed`` rows (capacity doubles, so appends stay amortised O(1))."""
        capacity = len(self.columns["alive"])
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2, 1024)
        for name, column in self.columns.items():
            grown = np.zeros(new_capacity, dtype=column.dtype)
            grown[:capacity] = column
            self.columns[name] = grown

    def _id_lookup(self) -> HashLookup:
        if self._lookup is None:
            alive = self.alive_keys()
            self._lookup = HashLookup(self.columns["id_hash"][alive], alive)
        return self._lookup

    def live_keys_of(self, product_ids: Sequence[str]) -> list[int]:
        """The live key of each product id, or -1 (one batched look-up)."""
        hashes = string_hashes(product_ids)
        positions, keys = self._id_lookup().candidates(hashes)
        found = [-1] * len(product_ids)
        alive = self.columns["alive"]
        for position, key in zip(positions.tolist(), keys.tolist(), strict=True):
            if alive[key] and self.product_ids.get(key) == product_ids[position]:
                found[position] = key
        return found

    def _zone_id(self, zone: DeliveryZone) -> int:
        key = zone.key()
        found = self._zone_ids.get(key)
        if found is None:
            found = self._zone_ids[key] = len(self.zones)
            self.zones.append(zone)
        return found

    def place(
        self, offer: IndexedOffer, known: int, batch_keys: dict[str, int]
    ) -> tuple[int, int | None]:
        """The offer's key (a new row for a new product) and its old text hash (None if new).

        ``known`` is the offer's live key before this batch (``live_keys_of``) or -1;
        ``batch_keys`` holds the keys given out in this batch, so a product upserted twice in
        one batch keeps one row; it is updated here. Room must have been made with ``grow``.
        """
        key = known if known >= 0 else batch_keys.get(offer.product_id, -1)
        old_hash: int | None
        if key < 0:
            key = self.size
            self.size += 1
            self.live_count += 1
            self.product_ids.append(offer.product_id)
            self.titles.append(offer.title)
            self.columns["id_hash"][key] = string_hash(offer.product_id)
            self._id_lookup_pending.append(key)
            old_hash = None
        else:
            self.titles.set(key, offer.title)
            old_hash = int(self.columns["text_hash"][key])
        batch_keys[offer.product_id] = key
        return key, old_hash

    def start_batch(self) -> None:
        """Begin a batch of ``place`` calls (new keys join the id look-up in ``end_batch``)."""
        self._id_lookup_pending = []

    def end_batch(self) -> None:
        """Seal the batch's strings and add its new keys to the id look-up."""
        self.product_ids.seal()
        self.titles.seal()
        pending = np.asarray(self._id_lookup_pending, dtype=np.int64)
        self._id_lookup_pending = []
        if self._lookup is not None and len(pending):
            self._lookup.add(self.columns["id_hash"][pending], pending)
        self._postings = None

    def write(self, key: int, offer: IndexedOffer, hashed_text: int) -> int:
        """Fill the offer's row (alive); return its zone id."""
        columns = self.columns
        zone = self._zone_id(offer.zone)
        columns["price"][key] = offer.price.minor
        columns["currency"][key] = self.currencies.id(offer.price.currency)
        columns["category"][key] = self.categories.id(offer.category)
        columns["merchant"][key] = self.merchants.id(offer.merchant_id)
        columns["stock"][key] = offer.stock
        columns["zone"][key] = zone
        columns["text_hash"][key] = hashed_text
        columns["alive"][key] = True
        return zone

    def remove(self, product_ids: Sequence[str]) -> list[int]:
        """Mark the live offers among ``product_ids`` dead; return their keys."""
        keys = sorted({k for k in self.live_keys_of(product_ids) if k >= 0})
        for key in keys:
            self.columns["alive"][key] = False
            self.columns["text_hash"][key] = 0
        self.live_count -= len(keys)
        self._postings = None
        return keys

    # -- reading ---------------------------------------------------------------------------

    def alive_keys(self) -> npt.NDArray[np.int64]:
        """Keys of the live offers, in key order."""
        return np.flatnonzero(self.columns["alive"][: self.size]).astype(np.int64)

    def reachable_zones(self, query: SearchQuery) -> dict[int, float]:
        """``documents.reachable_zones`` over this store's zones (vectorised, same answer)."""
        return self._zone_table.reachable(query)

    def query_filter(self, query: SearchQuery, zones: dict[int, float] | None) -> OfferFilter:
        """The query's filters compiled against this store."""
        prefix = query.category_prefix
        return OfferFilter(
            self.columns,
            self.size,
            query,
            currency_ids=self.currencies.ids,
            category_ids=None
            if not prefix
            else [
                i
                for i, c in enumerate(self.categories.values)
                if c == prefix or c.startswith(prefix + "/")
            ],
            merchant_ids=None
            if not query.merchant_ids
            else [self.merchants.ids[m] for m in query.merchant_ids if m in self.merchants.ids],
            zone_ids=None if zones is None else sorted(zones),
            counts={
                "category": len(self.categories.values),
                "merchant": len(self.merchants.values),
                "zone": len(self.zones),
            },
        )

    def postings(self) -> dict[str, ColumnPostings]:
        """Keys by value of the filtered columns (rebuilt on first use after a change)."""
        if self._postings is None:
            n = self.size
            self._postings = {name: ColumnPostings(self.columns[name][:n]) for name in POSTED}
        return self._postings

    def facets(self, keys: Sequence[int]) -> dict[str, dict[str, int]]:
        """Category and merchant counts over ``keys``."""
        columns = self.columns
        return facet_counts(
            (self.categories.values[columns["category"][k]] for k in keys),
            (self.merchants.values[columns["merchant"][k]] for k in keys),
        )

    def hit(self, key: int, score: float, zones: dict[int, float] | None) -> IndexHit:
        """The offer at ``key`` as a search hit with ``score`` (and its distance, geo queries)."""
        columns = self.columns
        return IndexHit(
            product_id=self.product_ids.get(key),
            merchant_id=self.merchants.values[columns["merchant"][key]],
            title=self.titles.get(key),
            price=Money(
                int(columns["price"][key]), self.currencies.values[columns["currency"][key]]
            ),
            score=score,
            distance_km=None if zones is None else zones[int(columns["zone"][key])],
        )
