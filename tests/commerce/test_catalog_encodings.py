"""Issue 10, item 4: `import` reads files as people export them, and refuses the rest in one line.

Every file is generated here: GBK and GB18030 (Chinese Excel's "CSV"), UTF-8 with a BOM
("CSV UTF-8"), UTF-16 with a BOM and tabs ("Unicode text"), semicolons (a European Excel),
pipes; and files that are not catalogs at all (random bytes, a workbook, NUL bytes).
"""

from __future__ import annotations

import codecs
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustcart.commerce import catalog_text
from trustcart.commerce.catalog_text import ImportFormatError, detect_encoding, sniff_delimiter
from trustcart.commerce.ingest import import_catalog, read_records
from trustcart.commerce.repository import insert_catalog, load_product
from trustcart.core.clock import FixedClock
from trustcart.core.errors import ValidationError
from trustcart.local.seed_merchants import MERCHANTS
from trustcart.store.db import Database

HEADER = [
    "product_id",
    "merchant_id",
    "title",
    "title_zh",
    "category",
    "price",
    "currency",
    "stock",
]
ROWS = [
    [
        "p_enc1",
        "m_pearl_house",
        "Pearl Milk Tea",
        "珍珠奶茶",
        "drinks/milk-tea",
        "16.00",
        "CNY",
        "10",
    ],
    [
        "p_enc2",
        "m_pearl_house",
        "Taro Milk Tea",
        "芋泥奶茶",
        "drinks/milk-tea",
        "17.50",
        "CNY",
        "5",
    ],
]


@pytest.fixture
def catalog_db(sqlite_db: Database) -> Database:
    with sqlite_db.transaction() as session:
        insert_catalog(session, MERCHANTS, [])
    return sqlite_db


def _write(path: Path, rows: list[list[str]], encoding: str, delimiter: str) -> Path:
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 with BOM"),
        ("gbk", "GB18030 (GBK)"),
        ("gb18030", "GB18030 (GBK)"),
        ("utf-16", "UTF-16"),  # Python writes the BOM (little-endian here)
        ("utf-32", "UTF-32"),
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_every_common_export_imports_with_its_chinese_titles(
    catalog_db: Database,
    clock: FixedClock,
    tmp_path: Path,
    encoding: str,
    label: str,
    delimiter: str,
) -> None:
    path = _write(tmp_path / "catalog.csv", [HEADER, *ROWS], encoding, delimiter)
    with path.open("rb") as handle:
        assert detect_encoding(handle.read(), complete=True).label == label
    report = import_catalog(catalog_db, path, now=clock.now())
    assert (report.inserted, report.issues) == (2, [])
    with catalog_db.transaction() as session:
        product = load_product(session, "p_enc1")
    assert product is not None
    assert (product.title_zh, str(product.price)) == ("珍珠奶茶", "16.00 CNY")


def test_utf16_big_endian_with_bom_and_tsv_extension(
    catalog_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    text = "\n".join("\t".join(row) for row in [HEADER, *ROWS])
    path = tmp_path / "export.tsv"
    path.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    assert import_catalog(catalog_db, path, now=clock.now()).inserted == 2


def test_header_names_with_spaces_and_quotes_are_found() -> None:
    assert sniff_delimiter('"product_id" ; "title" ; "price"') == ";"
    assert sniff_delimiter(" product_id | title ") == "|"
    with pytest.raises(ImportFormatError, match="needs a header with product_id"):
        sniff_delimiter("id,name,price")


def test_a_line_with_bytes_that_do_not_decode_is_named_and_the_rest_kept(
    catalog_db: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The encoding is read from the first non-ASCII line (64 KiB of it; 60 bytes here): the
    # bad bytes come later, so the file is GBK and only their line is refused.
    monkeypatch.setattr(catalog_text, "SAMPLE_BYTES", 60)
    good = (",".join(HEADER) + "\n" + ",".join(ROWS[0]) + "\n").encode("gbk")
    bad = b"p_enc9,m_pearl_house,Broken \xff\xfe Tea,,drinks/milk-tea,1.00,CNY,1\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + bad + (",".join(ROWS[1]) + "\n").encode("gbk"))
    report = import_catalog(catalog_db, path, now=clock.now())
    assert report.inserted == 2
    [issue] = report.issues
    assert issue.line == 3
    assert issue.reason == "bytes 0xff 0xfe are not valid GB18030 (GBK) text"


def test_a_row_with_too_many_fields_names_the_delimiter(
    catalog_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    rows = [HEADER, ROWS[0], [*ROWS[1][:5], "17,50", "CNY", "5"]]
    path = _write(tmp_path / "euro.csv", rows, "utf-8", ";")
    # "17,50" is one field with ';': the price is refused, not split.
    report = import_catalog(catalog_db, path, now=clock.now())
    assert report.inserted == 1
    assert report.issues[0].line == 3
    comma = _write(
        tmp_path / "comma.csv", [HEADER, [*ROWS[1][:5], "17", "50", "CNY", "5"]], "utf-8", ","
    )
    [issue] = import_catalog(catalog_db, comma, now=clock.now()).issues
    assert (issue.line, issue.reason) == (
        2,
        "9 fields where the header has 8 (the delimiter is comma; quote fields that contain it)",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (random.Random(7).randbytes(4096), "binary"),
        (b"PK\x03\x04" + bytes(200), "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), ".xls"),
        (b"product_id,title\n\x00\x01\x02", "NUL"),
        ("product_id,title\n".encode("utf-16-le"), "byte-order mark"),
        (b"product_id,title\np_x,\xff\xff\xff\n", "line 2: byte 0xff"),
        (bytes(range(1, 32)) * 40, "control characters"),
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
    ],
)
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json"])
def test_files_that_are_not_catalog_text_are_refused_in_one_line(
    catalog_db: Database,
    clock: FixedClock,
    tmp_path: Path,
    content: bytes,
    message: str,
    suffix: str,
) -> None:
    path = tmp_path / f"not-a-catalog{suffix}"
    path.write_bytes(content)
    if message == "empty" and suffix == ".jsonl":
        assert import_catalog(catalog_db, path, now=clock.now()).issues == []  # nothing in it
        return
    with pytest.raises(ImportFormatError) as refused:
        import_catalog(catalog_db, path, now=clock.now())
    assert "\n" not in str(refused.value)
    if message != "empty" or suffix == ".csv":
        assert message in str(refused.value)


def test_jsonl_and_acp_feeds_in_utf8_bom_and_utf16(
    catalog_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    record = dict(zip(HEADER, ROWS[0], strict=True))
    record["stock"] = 3  # type: ignore[assignment]
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_bytes(
        (json.dumps(record, ensure_ascii=False) + "\n" + "[" * 5000 + "\n").encode("utf-8-sig")
    )
    report = import_catalog(catalog_db, jsonl, now=clock.now())
    assert report.inserted == 1
    assert [(i.line, i.reason) for i in report.issues] == [(2, "JSON nested deeper than 64 levels")]
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({"products": []}), encoding="utf-16")
    assert import_catalog(catalog_db, feed, now=clock.now()).issues == []
    feed.write_text('{"products": [\n' + "[" * 5000, encoding="utf-8")
    with pytest.raises(ImportFormatError, match="nested deeper than 64"):
        import_catalog(catalog_db, feed, now=clock.now())
    feed.write_text('{"products":\n [1,,]}', encoding="utf-8")
    with pytest.raises(ImportFormatError, match="line 2: not a JSON feed"):
        import_catalog(catalog_db, feed, now=clock.now())


def test_a_broken_parquet_file_is_one_line(
    catalog_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(ImportFormatError, match="not a readable Parquet file"):
        import_catalog(catalog_db, path, now=clock.now())


def test_stock_beyond_the_column_is_a_row_error_not_a_crash(
    catalog_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    rows = [HEADER, [*ROWS[0][:7], "9" * 30], [*ROWS[1][:7], "9" * 5000]]
    report = import_catalog(
        catalog_db, _write(tmp_path / "big.csv", rows, "utf-8", ","), now=clock.now()
    )
    assert report.inserted == 0
    assert [i.line for i in report.issues] == [2, 3]


_names = st.sampled_from([*HEADER, "attributes", "gtin", "", " product_id ", "\ufeffproduct_id"])
_cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["16.00", "1e5", "-1", "9" * 40, "{}", '{"a": [[[[', "p_x", "m_pearl_house"]),
)


@given(
    names=st.lists(_names, min_size=1, max_size=9),
    rows=st.lists(st.lists(_cells, max_size=10), max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    suffix=st.sampled_from([".csv", ".jsonl", ".json"]),
    noise=st.binary(max_size=40),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_file_gives_rows_issues_or_one_format_error(
    catalog_db: Database,
    clock: FixedClock,
    tmp_path: Path,
    names: list[str],
    rows: list[list[str]],
    encoding: str,
    delimiter: str,
    suffix: str,
    noise: bytes,
) -> None:
    text = "\n".join(delimiter.join(row) for row in [names, *rows])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data + noise)
    try:
        report = import_catalog(catalog_db, path, now=clock.now())
    except ValidationError as e:  # ImportFormatError: the file as a whole, in one line
        refusal = str(e)
    else:
        refusal = ""
    assert "\n" not in refusal
    if refusal:
        return
    for issue in report.issues:
        assert issue.line >= 1
        assert issue.reason
    for line, record in read_records(path):
        assert isinstance(line, int)
        assert isinstance(record, dict | list | str | int | float | bool | ValidationError) or (
            record is None
        )


def test_a_long_ascii_start_does_not_hide_the_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_text, "SAMPLE_BYTES", 64)
    ascii_rows = "".join(f"p_a{i},m_pearl_house,Tea {i}\n" for i in range(20)).encode()
    path = tmp_path / "late.csv"
    path.write_bytes(
        b"product_id,merchant_id,title\n" + ascii_rows + "p_z,m_x,奶茶\n".encode("gbk")
    )
    stream, encoding = catalog_text.open_text(path)
    stream.close()
    assert encoding.label == "GB18030 (GBK)"
    path.write_bytes(b"product_id,merchant_id,title\n" + ascii_rows + b"p_z,m_x,\xff\xff\n")
    with pytest.raises(ImportFormatError, match=r"^line 22: byte 0xff is not UTF-8"):
        catalog_text.open_text(path)
