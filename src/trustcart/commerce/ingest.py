"""Bulk catalog import: CSV, JSONL, Parquet and ACP product feeds, with per-row reports.

Every format is read as a stream of (line, record) pairs; each record becomes a ``Product``
(which validates itself) or an ``ImportIssue`` naming its line and the reason, and the good
rows are kept. Lines are physical line numbers for CSV and JSONL, row numbers (1-based) for
Parquet and product ordinals for an ACP feed. Text files are read in their own encoding (UTF-8
with or without BOM, UTF-16, GB18030/GBK) and a CSV with its own delimiter (``,`` ``;`` TAB
``|``), by ``commerce.catalog_text``; a binary or undecodable file is an ``ImportFormatError``
in one line, a row with undecodable bytes is reported with its line and skipped. Writing is
an upsert by product id: a product whose fields did not change is not written at all, so
importing the same file twice changes nothing (not even the price history, which gets a row
only when a price is new or changed).

Flat formats (CSV, JSONL, Parquet) use the columns of ``FLAT_FIELDS``; ``price`` is a decimal
string in major units ("19.90") with ``currency`` beside it, ``attributes`` a JSON object.
An ACP feed (``{"products": [...]}``, schema.feed.json 2026-04-17) gives one product per
variant, mapped by ``commerce.acp_feed`` (the same module writes ``trustcart feed export``, so an
exported feed reads back unchanged); the fields a feed cannot say (Chinese title, stock count,
delivery time) are kept from a product already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from trustcart.commerce.acp_feed import FEED_SILENT, feed_records, keep_stored
from trustcart.commerce.catalog import Product
from trustcart.commerce.catalog_text import (
    ImportFormatError,
    csv_records,
    json_document,
    jsonl_records,
)
from trustcart.commerce.repository import product_from_row, product_mapping
from trustcart.core.clock import format_instant
from trustcart.core.errors import TrustcartError, ValidationError
from trustcart.core.json_limits import loads_bounded
from trustcart.core.money import Money
from trustcart.store.commerce import MerchantRow, PriceHistoryRow, ProductRow
from trustcart.store.db import Database

__all__ = [
    "FLAT_FIELDS",
    "ImportFormatError",
    "ImportIssue",
    "ImportReport",
    "import_catalog",
    "product_from_record",
    "read_records",
]

FLAT_FIELDS = (
    "product_id",
    "merchant_id",
    "title",
    "title_zh",
    "brand",
    "category",
    "price",
    "currency",
    "stock",
    "delivery_minutes",
    "gtin",
    "image_url",
    "attributes",
)
DEFAULT_DELIVERY_MINUTES = 2 * 24 * 60
WRITE_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class ImportIssue:
    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: list[ImportIssue] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.issues),
            "issues": [i.to_json() for i in self.issues],
        }


# -- reading ---------------------------------------------------------------------------------


def _parquet_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    number = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                yield number, record
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid and ArrowIOError are these
        raise ImportFormatError(f"row {number + 1}: not a readable Parquet file: {e}") from e


def read_records(path: Path) -> Iterator[tuple[int, Any]]:
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        return csv_records(path)
    if suffix in {".jsonl", ".ndjson"}:
        return jsonl_records(path)
    if suffix == ".parquet":
        return _parquet_records(path)
    if suffix == ".json":
        return feed_records(json_document(path))
    raise ImportFormatError(
        f"unknown catalog format {suffix!r}: csv (or tsv, txt), jsonl, parquet or json"
    )


# -- validating ------------------------------------------------------------------------------


def _text(record: Mapping[str, Any], name: str, default: str = "") -> str:
    value = record.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text")
    return value


def _int(record: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = record.get(name)
    if value is None or value == "":
        if default is None:
            raise ValidationError(f"{name} is required")
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"{name} must be an integer")
    try:
        return int(value)
    except ValueError as e:
        raise ValidationError(f"{name} {value!r} is not an integer") from e


def product_from_record(record: Any, merchant_id: str | None) -> Product:
    """One record (a flat row or a converted ACP variant) as a validated ``Product``."""
    if isinstance(record, Exception):
        raise record
    if not isinstance(record, dict):
        raise ValidationError("a record must be an object")
    merchant = merchant_id or _text(record, "merchant_id")
    if merchant_id and record.get("merchant_id") not in (None, "", merchant_id):
        raise ValidationError(f"merchant_id {record['merchant_id']!r} differs from --merchant")
    attributes = record.get("attributes") or {}
    if isinstance(attributes, str):
        try:
            attributes = loads_bounded(attributes)
        except ValueError as e:  # not JSON, or nested past MAX_JSON_DEPTH
            raise ValidationError("attributes must be a JSON object") from e
    if not isinstance(attributes, dict):
        raise ValidationError("attributes must be an object")
    price = record.get("price")
    if isinstance(price, Money):  # an ACP feed's price, already exact minor units
        money = price
    elif isinstance(price, dict):  # {"amount": "19.90", "currency": "CNY"}
        money = Money.parse(_text(price, "amount"), _text(price, "currency"))
    elif price is None or isinstance(price, str):
        money = Money.parse(_text(record, "price"), _text(record, "currency"))
    else:
        raise ValidationError("price must be a decimal string such as '19.90', never a number")
    return Product(
        product_id=_text(record, "product_id"),
        merchant_id=merchant,
        title=_text(record, "title"),
        title_zh=_text(record, "title_zh"),
        brand=_text(record, "brand"),
        category=_text(record, "category"),
        price=money,
        stock=_int(record, "stock"),
        delivery_minutes=_int(record, "delivery_minutes", DEFAULT_DELIVERY_MINUTES),
        attributes={str(k): str(v) for k, v in attributes.items()},
        gtin=_text(record, "gtin") or None,
        image_url=_text(record, "image_url") or None,
        group_id=_text(record, "group_id") or None,
    )


# -- writing ---------------------------------------------------------------------------------


def _write_batch(
    db: Database,
    batch: list[Product],
    now: datetime,
    report: ImportReport,
    silent: Mapping[str, frozenset[str]],
) -> None:
    with db.transaction() as session:
        ids = [p.product_id for p in batch]
        existing = {
            r.product_id: r
            for r in session.scalars(select(ProductRow).where(ProductRow.product_id.in_(ids)))
        }
        # What an ACP feed cannot say is kept from the stored product (commerce.acp_feed).
        batch = [
            keep_stored(p, product_from_row(existing[p.product_id]), silent[p.product_id])
            if p.product_id in silent and p.product_id in existing
            else p
            for p in batch
        ]
        rows = {p.product_id: product_mapping(p) for p in batch}
        new, changed, prices = [], [], []
        for product_id, mapping in rows.items():
            row = existing.get(product_id)
            if row is None:
                new.append(mapping)
            elif any(getattr(row, k) != v for k, v in mapping.items()):
                changed.append(mapping)
                if (row.price_minor, row.currency) == (mapping["price_minor"], mapping["currency"]):
                    continue
            else:
                report.unchanged += 1
                continue
            prices.append(
                {
                    "product_id": product_id,
                    "observed_at": format_instant(now),
                    "price_minor": mapping["price_minor"],
                    "currency": mapping["currency"],
                }
            )
        if new:
            session.execute(insert(ProductRow), new)
        if changed:
            session.execute(update(ProductRow), changed)
        if prices:
            session.execute(insert(PriceHistoryRow), prices)
    report.inserted += len(new)
    report.updated += len(changed)
    report.changed_ids += [m["product_id"] for m in (*new, *changed)]


def import_catalog(
    db: Database,
    path: Path,
    *,
    now: datetime,
    merchant_id: str | None = None,
    progress: Callable[[int], None] = lambda _n: None,
    on_row: Callable[[int, ImportReport], None] = lambda _rows, _report: None,
    batch_size: int = WRITE_BATCH,
) -> ImportReport:
    """Read ``path``, keep the good rows (upserted), report the bad ones with their line.

    ``progress`` gets the size of each batch written; ``on_row`` gets, after every record and
    every batch, the number of records read so far and the report as it stands (inserted,
    updated and unchanged grow per batch of ``batch_size``, rejected per record).
    """
    with db.transaction() as session:
        merchants = set(session.scalars(select(MerchantRow.merchant_id)))
    if merchant_id is not None and merchant_id not in merchants:
        raise ValidationError(f"unknown merchant {merchant_id!r}")
    report = ImportReport()
    seen: dict[str, int] = {}
    silent: dict[str, frozenset[str]] = {}
    batch: list[Product] = []
    rows = 0
    for line, record in read_records(path):
        rows += 1
        try:
            product = product_from_record(record, merchant_id)
        except TrustcartError as e:
            report.issues.append(ImportIssue(line, str(e)))
            on_row(rows, report)
            continue
        if product.merchant_id not in merchants:
            report.issues.append(ImportIssue(line, f"unknown merchant {product.merchant_id!r}"))
            on_row(rows, report)
            continue
        if product.product_id in seen:
            report.issues.append(
                ImportIssue(
                    line,
                    f"duplicate product_id {product.product_id} (first on line "
                    f"{seen[product.product_id]})",
                )
            )
            on_row(rows, report)
            continue
        seen[product.product_id] = line
        if isinstance(record, dict) and FEED_SILENT in record:
            silent[product.product_id] = record[FEED_SILENT]
        batch.append(product)
        if len(batch) >= batch_size:
            _write_batch(db, batch, now, report, silent)
            progress(len(batch))
            batch = []
        on_row(rows, report)
    if batch:
        _write_batch(db, batch, now, report, silent)
        progress(len(batch))
    on_row(rows, report)
    return report
