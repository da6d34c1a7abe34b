"""ACP product feed export: valid against the pinned schema.feed.json, read back unchanged."""

from __future__ import annotations

import json
import random
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.helpers.acp_feed import feed_errors, generated_products
from trustcart.commerce.acp_feed import FEED_SILENT, feed_from_products, keep_stored
from trustcart.commerce.catalog import MAX_COUNT, Product
from trustcart.commerce.errors import NotFound
from trustcart.commerce.feed_export import FeedExport, export_feed
from trustcart.commerce.ingest import import_catalog, product_from_record, read_records
from trustcart.commerce.repository import insert_catalog, load_product
from trustcart.core.clock import FixedClock
from trustcart.core.money import MAX_MINOR, Money
from trustcart.local.seed import DEMO_SEED, seed_catalog
from trustcart.local.seed_merchants import MERCHANTS
from trustcart.store.commerce import PriceHistoryRow, ProductRow
from trustcart.store.db import Database

SHOP = "m_pearl_house"


def _history(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(PriceHistoryRow)) or 0)


def _write(db: Database, merchant_id: str, folder: Path) -> tuple[Path, FeedExport]:
    exported = export_feed(db, merchant_id)
    path = folder / f"{merchant_id}.json"
    path.write_text(exported.text(), encoding="utf-8")
    return path, exported


def test_every_seed_merchant_round_trips(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    seed_catalog(db, random.Random(DEMO_SEED), product_count=2_000)
    history = _history(db)
    total = 0
    for merchant in MERCHANTS:
        path, exported = _write(db, merchant.merchant_id, tmp_path)
        feed = json.loads(path.read_text(encoding="utf-8"))
        assert feed_errors(feed) == []
        assert feed == exported.feed
        report = import_catalog(db, path, now=clock.now(), merchant_id=merchant.merchant_id)
        assert (report.inserted, report.updated, report.issues) == (0, 0, [])
        assert report.unchanged == exported.variants > 0
        total += exported.variants
    with db.transaction() as session:
        assert total == session.scalar(select(func.count()).select_from(ProductRow))
    assert _history(db) == history  # not even a price-history row


def test_a_generated_catalog_round_trips(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    products = generated_products(random.Random(13), SHOP, 300)
    with db.transaction() as session:
        insert_catalog(session, MERCHANTS, products)
    path, exported = _write(db, SHOP, tmp_path)
    assert feed_errors(json.loads(path.read_text(encoding="utf-8"))) == []
    assert exported.variants == 300
    assert exported.products == len({p.group_id or p.product_id for p in products})
    report = import_catalog(db, path, now=clock.now(), merchant_id=SHOP)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 300)
    with db.transaction() as session:
        assert [load_product(session, p.product_id) for p in products] == products


def test_a_changed_feed_updates_only_what_it_says(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    products = generated_products(random.Random(3), SHOP, 20)
    with db.transaction() as session:
        insert_catalog(session, MERCHANTS, products)
    path, exported = _write(db, SHOP, tmp_path)
    variant = exported.feed["products"][0]["variants"][0]
    variant["title"] = "Renamed"
    variant["availability"] = {"available": False}
    path.write_text(json.dumps(exported.feed, ensure_ascii=False), encoding="utf-8")
    report = import_catalog(db, path, now=clock.now(), merchant_id=SHOP)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 19)
    with db.transaction() as session:
        changed = load_product(session, variant["id"])
    original = next(p for p in products if p.product_id == variant["id"])
    assert changed == replace(original, title="Renamed", stock=0)


def test_a_new_store_gets_the_defaults_for_what_a_feed_cannot_say(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    tea = Product(
        "p_tea", SHOP, "Pearl Milk Tea", "珍珠奶茶", "Lotus", "drinks/milk-tea",
        Money(1600, "CNY"), 40, 30,
    )  # fmt: skip
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed_from_products([tea])), encoding="utf-8")
    with db.transaction() as session:
        insert_catalog(session, MERCHANTS, [])
    assert import_catalog(db, path, now=clock.now(), merchant_id=SHOP).inserted == 1
    with db.transaction() as session:
        stored = load_product(session, "p_tea")
    assert stored == replace(tea, title_zh="", stock=1, delivery_minutes=2 * 24 * 60)


def test_an_unknown_merchant_exports_nothing(db: Database) -> None:
    with pytest.raises(NotFound):
        export_feed(db, "m_nobody")


# -- the mapping as a property -----------------------------------------------------------------

_ID = r"[a-z][a-z0-9]{0,15}_[A-Za-z0-9_-]{1,64}"
_plain = st.characters(exclude_categories=["Cs"])  # what UTF-8 can hold
_title = st.text(_plain, min_size=1, max_size=200).filter(str.strip)
_products = st.builds(
    Product,
    product_id=st.from_regex(_ID, fullmatch=True),
    merchant_id=st.just(SHOP),
    title=_title,
    title_zh=st.text(_plain, max_size=200),
    brand=st.text(_plain, max_size=100),
    category=st.from_regex(r"[a-z0-9-]{1,20}(/[a-z0-9-]{1,20}){0,3}", fullmatch=True),
    price=st.builds(
        Money,
        st.one_of(st.sampled_from([0, 1, MAX_MINOR]), st.integers(0, MAX_MINOR)),
        st.sampled_from(["CNY", "USD", "JPY", "KWD", "EUR"]),
    ),
    stock=st.one_of(st.sampled_from([0, 1, MAX_COUNT]), st.integers(0, MAX_COUNT)),
    delivery_minutes=st.integers(0, MAX_COUNT),
    attributes=st.dictionaries(
        st.text(_plain, max_size=20).filter(lambda k: k != "tryon"),
        st.text(_plain, max_size=40),
        max_size=4,
    ),
    gtin=st.none() | st.from_regex(r"\d{8}|\d{12,14}", fullmatch=True),
    image_url=st.none() | st.from_regex(r"\Ahttps://cdn\.example\.com/[a-z0-9._-]{1,30}\Z"),
    price_valid_until=st.none()
    | st.datetimes(datetime(2026, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    group_id=st.none() | st.from_regex(_ID, fullmatch=True),
).filter(lambda p: p.group_id != p.product_id)


@given(st.lists(_products, min_size=1, max_size=4, unique_by=lambda p: p.product_id))
@settings(max_examples=100, deadline=None)
def test_every_product_reads_back_from_its_feed(products: list[Product]) -> None:
    exported = FeedExport(SHOP, feed_from_products(products), len(products), 0)
    assert feed_errors(exported.feed) == []
    stored = {p.product_id: p for p in products}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.json"
        path.write_text(exported.text(), encoding="utf-8")
        records = [record for _line, record in read_records(path)]
    read = [product_from_record(r, SHOP) for r in records]
    back = [
        keep_stored(p, stored[p.product_id], r[FEED_SILENT])
        for p, r in zip(read, records, strict=True)
    ]
    assert sorted(back, key=lambda p: p.product_id) == sorted(products, key=lambda p: p.product_id)
