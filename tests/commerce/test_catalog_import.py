"""Catalog import: bad rows reported with line and reason, good rows kept, re-import is a no-op."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from trustcart.commerce.ingest import ImportFormatError, import_catalog
from trustcart.commerce.repository import insert_catalog, load_product
from trustcart.conformance.web_bot_auth import conformance_dir
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.local.seed_merchants import MERCHANTS
from trustcart.store.commerce import PriceHistoryRow, ProductRow
from trustcart.store.db import Database

ACP_FEED = conformance_dir() / "acp/examples/2026-04-17/examples.feed.json"
HEADER = "product_id,merchant_id,title,title_zh,brand,category,price,currency,stock,gtin,attributes"
GOOD = [
    "p_tea1,m_pearl_house,Pearl Milk Tea,珍珠奶茶,Pearl,drinks/milk-tea,16.00,CNY,10,,"
    '"{""size"": ""m""}"',
    "p_tea2,m_pearl_house,Taro Milk Tea,芋泥奶茶,Pearl,drinks/milk-tea,17.50,CNY,5,,",
    "p_cap1,m_clear_view,Baseball Cap - black,棒球帽,Clear View,accessories/hat,69.00,CNY,3,"
    "6901234567892,",
]
BAD = [
    ("p_bad1,m_pearl_house,Cheap Tea,,Pearl,drinks/milk-tea,12.345,CNY,5,,", "decimals"),
    ("p_bad2,m_nowhere,Lost Tea,,X,drinks/milk-tea,12.00,CNY,5,,", "unknown merchant"),
    ("p_bad3,m_pearl_house,,,Pearl,drinks/milk-tea,12.00,CNY,5,,", "title"),
    ("p_bad4,m_pearl_house,Odd Tea,,Pearl,Drinks > Tea,12.00,CNY,5,,", "category"),
    ("p_tea1,m_pearl_house,Pearl Milk Tea again,,Pearl,drinks/milk-tea,1.00,CNY,5,,", "duplicate"),
    ("p_bad5,m_pearl_house,Minus Tea,,Pearl,drinks/milk-tea,12.00,CNY,-1,,", "stock"),
]


@pytest.fixture
def catalog_db(db: Database) -> Database:
    with db.transaction() as session:
        insert_catalog(session, MERCHANTS, [])
    return db


def _history(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(PriceHistoryRow)) or 0)


def _products(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ProductRow)) or 0)


def test_csv_bad_rows_are_reported_good_rows_kept_and_reimport_changes_nothing(
    catalog_db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "\n".join([HEADER, *GOOD[:2], *(b for b, _ in BAD), GOOD[2]]) + "\n", encoding="utf-8"
    )
    report = import_catalog(catalog_db, path, now=clock.now())
    assert (report.inserted, report.updated, report.unchanged) == (3, 0, 0)
    assert [i.line for i in report.issues] == [4, 5, 6, 7, 8, 9]  # header is line 1
    for issue, (_, reason) in zip(report.issues, BAD, strict=True):
        assert reason in issue.reason
    assert _products(catalog_db) == 3
    assert _history(catalog_db) == 3
    with catalog_db.transaction() as session:
        tea = load_product(session, "p_tea1")
    assert tea is not None
    assert tea.price == Money(1600, "CNY")
    assert dict(tea.attributes) == {"size": "m"}

    again = import_catalog(catalog_db, path, now=clock.now() + timedelta(days=1))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert again.changed_ids == []
    assert _products(catalog_db) == 3
    assert _history(catalog_db) == 3

    path.write_text(
        "\n".join([HEADER, GOOD[0].replace("16.00", "14.00"), GOOD[1]]) + "\n", encoding="utf-8"
    )
    changed = import_catalog(catalog_db, path, now=clock.now() + timedelta(days=2))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 1)
    assert changed.changed_ids == ["p_tea1"]
    assert _history(catalog_db) == 4


def test_jsonl_reports_lines_that_are_not_json(
    catalog_db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    good = {
        "product_id": "p_j1",
        "merchant_id": "m_fresh_mart",
        "title": "Whole Milk 1L",
        "category": "grocery/dairy",
        "price": {"amount": "12.00", "currency": "CNY"},
        "stock": 4,
    }
    path = tmp_path / "catalog.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                "",
                json.dumps({**good, "product_id": "p_j2", "price": 12.0}),
            ]
        )
        + "\n"
    )
    report = import_catalog(catalog_db, path, now=clock.now())
    assert report.inserted == 1
    explained = [
        (i.line, "JSON" in i.reason or "decimal string" in i.reason) for i in report.issues
    ]
    assert explained == [(2, True), (4, True)]


def test_parquet_with_a_merchant_for_every_row(
    catalog_db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    table = pa.table(
        {
            "product_id": ["p_q1", "p_q2", "p_q3"],
            "title": ["Latte", "Mocha", "Americano"],
            "category": ["drinks/coffee"] * 3,
            "price": ["22.00", "oops", "14.00"],
            "currency": ["CNY"] * 3,
            "stock": [5, 5, 5],
        }
    )
    path = tmp_path / "catalog.parquet"
    pq.write_table(table, path)
    report = import_catalog(catalog_db, path, now=clock.now(), merchant_id="m_lakeside_tea")
    assert report.inserted == 2
    assert [i.line for i in report.issues] == [2]
    assert (
        import_catalog(catalog_db, path, now=clock.now(), merchant_id="m_lakeside_tea").unchanged
        == 2
    )


def test_acp_feed_imports_each_variant(
    catalog_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    examples = json.loads(ACP_FEED.read_text())
    feed = examples["upsert_products_request_single_product"]
    broken = {"id": "prod_broken", "variants": [{"id": "v1", "title": "No price"}]}
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"products": [*feed["products"], broken]}))
    report = import_catalog(catalog_db, path, now=clock.now(), merchant_id="m_westlake_apparel")
    assert report.inserted == 1
    assert [(i.line, "price" in i.reason) for i in report.issues] == [(2, True)]
    with catalog_db.transaction() as session:
        tee = load_product(session, "p_sku124-red-m")
    assert tee is not None
    assert tee.price == Money(1999, "USD")
    assert tee.gtin == "00012345600029"
    assert tee.stock == 0  # the example variant is out of stock
    assert tee.group_id == "prod_classic_tee"
    assert tee.attributes["Color"] == "Red"
    assert tee.image_url is not None


def test_unreadable_files_fail_as_a_whole(
    catalog_db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    for name, text in (("x.txt", "hello"), ("x.json", "[1, 2]"), ("x.csv", "a,b\n1,2\n")):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ImportFormatError):
            import_catalog(catalog_db, path, now=clock.now())
