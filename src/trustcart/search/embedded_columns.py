"""The embedded back end's column store: one row per offer key, numeric columns, on disk.

Every offer has a stable integer ``key`` (its row, never reused). Strings that repeat
(categories, merchants, currencies) are stored as small ints through a ``Dictionary``; delivery
zones as an index into the zone list; the text an offer was embedded from as a 64-bit hash, so
an unchanged text keeps its vector. A replaced offer keeps its key; a deleted one is marked
dead (``alive`` false, hash 0) and its key is not reused. The same filters tantivy runs as
query clauses run here as an exact numpy mask (``filter_mask``), for the vector side.

On disk (beside the index's ``meta.json``, which holds the dictionaries and zones):

    columns.npz     per-key price, currency, category, merchant, stock, zone, text hash, alive
    strings.arrow   per-key product id and title (Arrow IPC, memory-mapped on load)
"""

from __future__ import annotations

import hashlib
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
from trustcart.search.fusion import facet_counts
from trustcart.search.index import IndexHit
from trustcart.search.query import SearchQuery

COLUMNS = {
    "price": np.int64,
    "currency": np.int16,
    "category": np.int32,
    "merchant": np.int32,
    "stock": np.int32,
    "zone": np.int32,
    "text_hash": np.uint64,
    "alive": np.bool_,
}


def text_hash(text: str) -> int:
    """A stable 64-bit hash of a text (BLAKE2b), to tell whether an offer's text changed.

    >>> text_hash("Pearl milk tea") == text_hash("Pearl milk tea") != text_hash("Pearl tea")
    True
    """
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


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


class OfferColumns:
    """The rows of every offer ever indexed, with the dictionaries that decode them."""

    def __init__(self) -> None:
        self.size = 0  # keys handed out, dead ones included
        self.columns = {name: np.zeros(0, dtype=dtype) for name, dtype in COLUMNS.items()}
        self.product_ids: list[str] = []
        self.titles: list[str] = []
        self.keys: dict[str, int] = {}  # product id -> key, live offers only
        self.categories, self.merchants = Dictionary(), Dictionary()
        self.currencies = Dictionary()
        self.zones: list[DeliveryZone] = []
        self._zone_ids: dict[str, int] = {}

    # -- persistence -----------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path, meta: Mapping[str, Any]) -> OfferColumns:
        """Read the columns and strings from ``folder``, the dictionaries from ``meta``."""
        store = cls()
        store.size = int(meta["size"])
        with np.load(folder / "columns.npz") as stored:
            store.columns = {name: stored[name].copy() for name in COLUMNS}
        with pa.memory_map(str(folder / "strings.arrow")) as source:
            table = pa.ipc.open_file(source).read_all()
        store.product_ids = table.column("product_id").to_pylist()
        store.titles = table.column("title").to_pylist()
        store.keys = {
            pid: i for i, pid in enumerate(store.product_ids) if store.columns["alive"][i]
        }
        store.categories = Dictionary(meta["categories"])
        store.merchants = Dictionary(meta["merchants"])
        store.currencies = Dictionary(meta["currencies"])
        store.zones = [
            DeliveryZone(GeoPoint.parse(z[0], z[1]), Decimal(z[2])) for z in meta["zones"]
        ]
        store._zone_ids = {z.key(): i for i, z in enumerate(store.zones)}
        return store

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the columns and strings to ``folder``; return the dictionaries for meta.json."""
        n = self.size
        np.savez(folder / "columns.npz", **{k: v[:n] for k, v in self.columns.items()})
        table = pa.table({"product_id": self.product_ids, "title": self.titles})
        with (
            pa.OSFile(str(folder / "strings.arrow"), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
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

    def _zone_id(self, zone: DeliveryZone) -> int:
        key = zone.key()
        found = self._zone_ids.get(key)
        if found is None:
            found = self._zone_ids[key] = len(self.zones)
            self.zones.append(zone)
        return found

    def place(self, offer: IndexedOffer, batch_keys: dict[str, int]) -> tuple[int, int | None]:
        """The offer's key (a new row for a new product) and its old text hash (None if new).

        ``batch_keys`` holds the keys given out in this batch, so a product upserted twice in
        one batch keeps one row; it is updated here. Room must have been made with ``grow``.
        """
        key = self.keys.get(offer.product_id)
        if key is None:
            key = batch_keys.get(offer.product_id)
        old_hash: int | None
        if key is None:
            key = self.size
            self.size += 1
            self.product_ids.append(offer.product_id)
            self.titles.append(offer.title)
            self.keys[offer.product_id] = key
            old_hash = None
        else:
            self.titles[key] = offer.title
            old_hash = int(self.columns["text_hash"][key])
        batch_keys[offer.product_id] = key
        return key, old_hash

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
        keys = [self.keys.pop(pid) for pid in product_ids if pid in self.keys]
        for key in keys:
            self.columns["alive"][key] = False
            self.columns["text_hash"][key] = 0
        return keys

    # -- reading ---------------------------------------------------------------------------

    def alive_keys(self) -> npt.NDArray[np.int64]:
        """Keys of the live offers, in key order."""
        return np.flatnonzero(self.columns["alive"][: self.size])

    def filter_mask(
        self, query: SearchQuery, zones: dict[int, float] | None
    ) -> npt.NDArray[np.bool_] | None:
        """The query's filters over the columns, exactly; ``None`` when there are none."""
        n = self.size
        columns = self.columns
        mask: npt.NDArray[np.bool_] | None = None

        def both(condition: npt.NDArray[np.bool_]) -> None:
            nonlocal mask
            mask = condition if mask is None else mask & condition

        if query.max_price is not None:
            currency = self.currencies.ids.get(query.max_price.currency, -1)
            both(
                (columns["price"][:n] <= query.max_price.minor)
                & (columns["currency"][:n] == currency)
            )
        if query.category_prefix:
            prefix = query.category_prefix
            ids = [
                i
                for i, c in enumerate(self.categories.values)
                if c == prefix or c.startswith(prefix + "/")
            ]
            both(np.isin(columns["category"][:n], ids))
        if query.merchant_ids:
            ids = [self.merchants.ids[m] for m in query.merchant_ids if m in self.merchants.ids]
            both(np.isin(columns["merchant"][:n], ids))
        if query.in_stock_only:
            both(columns["stock"][:n] > 0)
        if zones is not None:
            reachable = np.zeros(len(self.zones), dtype=np.bool_)
            reachable[list(zones)] = True
            both(reachable[columns["zone"][:n]])
        return mask

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
            product_id=self.product_ids[key],
            merchant_id=self.merchants.values[columns["merchant"][key]],
            title=self.titles[key],
            price=Money(
                int(columns["price"][key]), self.currencies.values[columns["currency"][key]]
            ),
            score=score,
            distance_km=None if zones is None else zones[int(columns["zone"][key])],
        )
