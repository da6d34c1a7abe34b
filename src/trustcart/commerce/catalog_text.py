"""Catalog text files as people export them: which encoding, which delimiter, which bytes are bad.

A CSV saved by Chinese Excel is GBK, by "CSV UTF-8" carries a byte-order mark, by "Unicode
text" is UTF-16 with tabs, and a European Excel separates with ``;``. The encoding is read from
the first ``SAMPLE_BYTES`` of the file (and, when those are all ASCII, from the same amount
starting at the first line that is not: ``encoding_sample``), in this order:

1. a byte-order mark: UTF-8, UTF-16 (LE/BE) or UTF-32 (LE/BE);
2. the signature of a well-known binary format (ZIP/XLSX, XLS, Parquet, gzip, PDF) or a NUL
   byte: refused in one line that says what the file seems to be (UTF-16 without a BOM is
   refused the same way, and the message says to save it with one);
3. UTF-8 (ASCII included) if the sample decodes as UTF-8;
4. GB18030 (a superset of GBK and GB2312) if it decodes as that;
5. otherwise refused, naming the line of the first byte that is not UTF-8.

A sample that decodes but is mostly control characters is binary, and refused. Bytes further
on that do not decode do not stop an import: they are read as the marker characters
U+DC00..U+DCFF (the ``trustcart-undecodable`` error handler; a decoder never produces these
itself), and ``undecodable_bytes`` finds them so that the reader reports that line ("bytes
0xff 0xfe are not valid GB18030") and keeps the others.

The delimiter of a CSV is the one of ``,`` ``;`` TAB ``|`` that splits the header (quotes
respected) into the most columns with a ``product_id`` among them.

>>> detect_encoding("名称".encode("gbk"), complete=True).label
'GB18030 (GBK)'
>>> sniff_delimiter('"product_id";"title";"price"')
';'
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from trustcart.core.errors import ValidationError
from trustcart.core.json_limits import MAX_JSON_DEPTH, JsonTooDeep, loads_bounded

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
UNDECODABLE = "trustcart-undecodable"
_MARKER = re.compile("[\udc00-\udcff]+")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Longest first: a UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?): save the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls): save the sheet as CSV"),
    (b"PAR1", "a Parquet file: give it the .parquet extension"),
    (b"\x1f\x8b", "gzip-compressed: decompress it first"),
    (b"%PDF", "a PDF document, not a catalog"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1a")  # \x1a: the DOS end-of-file mark


class ImportFormatError(ValidationError):
    """The file as a whole cannot be read (unknown extension, not a feed, bad header, binary)."""


@dataclass(frozen=True)
class TextEncoding:
    """How to decode a catalog file: a Python codec and the name people know it by."""

    codec: str
    label: str

    def __post_init__(self) -> None:
        codecs.lookup(self.codec)


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(UNDECODABLE, _mark_undecodable)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decodes(sample: bytes, codec: str, complete: bool) -> UnicodeDecodeError | str:
    try:
        return codecs.getincrementaldecoder(codec)().decode(sample, final=complete)
    except UnicodeDecodeError as e:
        return e


def _refuse_binary(text: str, label: str) -> None:
    controls = sum(
        1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS
    )
    if controls >= 8 and controls * 100 > len(text):
        raise ImportFormatError(
            f"this looks like a binary file, not {label} text ({controls} control characters "
            "in its first lines)"
        )


def detect_encoding(sample: bytes, *, complete: bool, first_line: int = 1) -> TextEncoding:
    """The encoding of a catalog file from a sample of it (``complete``: it runs to the end of
    the file; ``first_line``: the line number it starts on, for messages).

    Raises ``ImportFormatError`` with one line for a binary or undecodable file.

    >>> detect_encoding(codecs.BOM_UTF8 + b"product_id", complete=True).codec
    'utf-8-sig'
    >>> detect_encoding(b"%PDF-1.7 ...", complete=False)
    Traceback (most recent call last):
    ...
    trustcart.commerce.catalog_text.ImportFormatError: this is a PDF document, not a catalog
    """
    for bom, codec, label in _BOMS:
        if sample.startswith(bom):
            encoding = TextEncoding(codec, label)
            decoded = _decodes(sample, codec, complete)
            if isinstance(decoded, str):
                _refuse_binary(decoded, label)
            return encoding
    for signature, what in _SIGNATURES:
        if sample.startswith(signature):
            raise ImportFormatError(f"this is {what}")
    if b"\x00" in sample:
        raise ImportFormatError(
            "this looks like a binary file (it contains NUL bytes), or UTF-16 text without a "
            "byte-order mark: save it as UTF-8 or UTF-16 with a BOM"
        )
    as_utf8 = _decodes(sample, "utf-8", complete)
    if isinstance(as_utf8, str):
        _refuse_binary(as_utf8, "UTF-8")
        return TextEncoding("utf-8", "UTF-8")
    as_gb = _decodes(sample, "gb18030", complete)
    if isinstance(as_gb, str):
        _refuse_binary(as_gb, "GB18030")
        return TextEncoding("gb18030", "GB18030 (GBK)")
    bad = sample[as_utf8.start : as_utf8.start + 1]
    raise ImportFormatError(
        f"line {first_line - 1 + _line_of(sample, as_utf8.start)}: byte 0x{bad.hex()} is not "
        "UTF-8, GB18030 or "
        "UTF-16 text (is this a binary file?); save the catalog as UTF-8"
    )


@dataclass(frozen=True)
class EncodingSample:
    """Where a file's encoding is read from: its first bytes, and maybe a later window."""

    head: bytes
    window: bytes | None  # from the first line that is not ASCII, when ``head`` is all ASCII
    window_line: int  # the line number the window starts on
    complete: bool  # the last sample reaches the end of the file


def encoding_sample(path: Path) -> EncodingSample:
    """The first ``SAMPLE_BYTES``; when those are all ASCII (a long English header and rows,
    then Chinese titles further on), also ``SAMPLE_BYTES`` from the start of the first line
    that is not, so that the first non-ASCII text decides the encoding."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES + 1)
        if len(head) <= SAMPLE_BYTES or not head[:SAMPLE_BYTES].isascii():
            return EncodingSample(head[:SAMPLE_BYTES], None, 1, len(head) <= SAMPLE_BYTES)
        head = head[:SAMPLE_BYTES]
        handle.seek(SAMPLE_BYTES)
        line = head.count(b"\n") + 1
        while chunk := handle.read(SAMPLE_BYTES):
            found = _NON_ASCII.search(chunk)
            if found is None:
                line += chunk.count(b"\n")
                continue
            start = chunk.rfind(b"\n", 0, found.start()) + 1  # what precedes is ASCII
            line += chunk.count(b"\n", 0, start)
            window = chunk[start:]
            window += handle.read(SAMPLE_BYTES - len(window) + 1)
            complete = len(window) <= SAMPLE_BYTES
            return EncodingSample(head, window[:SAMPLE_BYTES], line, complete)
        return EncodingSample(head, None, 1, True)


def open_text(path: Path) -> tuple[TextIO, TextEncoding]:
    """Open a catalog file as text in its encoding; undecodable bytes become marker characters.

    Lines keep their endings (``newline=""``, as ``csv`` wants).
    """
    sample = encoding_sample(path)
    encoding = detect_encoding(sample.head, complete=sample.complete and sample.window is None)
    if sample.window is not None:  # the head is ASCII: the window decides
        encoding = detect_encoding(
            sample.window, complete=sample.complete, first_line=sample.window_line
        )
    stream = path.open(encoding=encoding.codec, errors=UNDECODABLE, newline="")
    return stream, encoding


def undecodable_bytes(text: str) -> str | None:
    """The first undecodable bytes that ``open_text`` marked in ``text``, as hex; or None.

    >>> undecodable_bytes(b"ok \\xff\\xfe".decode("utf-8", UNDECODABLE))
    '0xff 0xfe'
    >>> undecodable_bytes("奶茶") is None
    True
    """
    found = _MARKER.search(text)
    if found is None:
        return None
    return " ".join(f"0x{ord(ch) - 0xDC00:02x}" for ch in found.group()[:8])


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: of ``,`` ``;`` TAB ``|``, the one that splits it into
    the most columns with ``product_id`` among them; ``ImportFormatError`` if none does.

    >>> sniff_delimiter("product_id\\ttitle\\tprice"), sniff_delimiter("product_id")
    ('\\t', ',')
    """
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        names = header_names(next(csv.reader([header], delimiter=delimiter), []))
        if "product_id" in names and (best is None or len(names) > best[0]):
            best = (len(names), delimiter)
    if best is None:
        shown = header.strip()[:80]
        raise ImportFormatError(
            "a CSV catalog needs a header with product_id (separated by comma, semicolon, tab "
            f"or |); its first line is {shown!r}"
        )
    return best[1]


def header_names(fields: list[str]) -> list[str]:
    """Column names as written, without surrounding spaces or a stray byte-order mark."""
    return [name.strip().lstrip("\ufeff").strip() for name in fields]


# -- records -------------------------------------------------------------------------------


def _bad_bytes_issue(found: str, encoding: TextEncoding) -> ValidationError:
    return ValidationError(f"bytes {found} are not valid {encoding.label} text")


def csv_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | ValidationError]]:
    """(line, record) for each row of a delimited file, or (line, reason) for a bad row.

    Lines are physical lines (a quoted field may span several; the row's last line counts).
    """
    stream, encoding = open_text(path)
    with stream:
        header = next((line for line in stream if line.strip()), None)
        if header is None:
            raise ImportFormatError(
                "the file is empty: a CSV catalog needs a header with product_id"
            )
        delimiter = sniff_delimiter(header)
        stream.seek(0)
        reader = csv.reader(stream, delimiter=delimiter)
        yield from _csv_rows(reader, encoding, DELIMITER_NAMES[delimiter])


def _csv_rows(
    reader: Any, encoding: TextEncoding, delimiter_name: str
) -> Iterator[tuple[int, dict[str, Any] | ValidationError]]:
    header: list[str] | None = None
    while True:
        before = reader.line_num
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if reader.line_num == before:  # the reader cannot move on: nothing more to read
                raise ImportFormatError(f"line {before + 1}: unreadable CSV: {e}") from e
            yield reader.line_num, ValidationError(f"unreadable CSV: {e}")
            continue
        if not fields or not any(field.strip() for field in fields):
            continue
        found = undecodable_bytes("\x00".join(fields))
        if header is None:
            header = header_names(fields)
            continue
        if found is not None:
            yield reader.line_num, _bad_bytes_issue(found, encoding)
        elif len(fields) > len(header):
            yield (
                reader.line_num,
                ValidationError(
                    f"{len(fields)} fields where the header has {len(header)} "
                    f"(the delimiter is {delimiter_name}; quote fields that contain it)"
                ),
            )
        else:
            record: dict[str, Any] = dict.fromkeys(header)
            record.update(zip(header, fields, strict=False))
            yield reader.line_num, record


def jsonl_records(path: Path) -> Iterator[tuple[int, Any]]:
    """(line, value) for each non-blank line of a JSON Lines file, or (line, reason)."""
    stream, encoding = open_text(path)
    with stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            found = undecodable_bytes(text)
            if found is not None:
                yield number, _bad_bytes_issue(found, encoding)
                continue
            try:
                yield number, loads_bounded(text)
            except JsonTooDeep:
                yield number, ValidationError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            except json.JSONDecodeError as e:
                yield number, ValidationError(f"not JSON: {e.msg}")


def json_document(path: Path) -> Any:
    """A whole JSON file (an ACP feed) in its encoding; ``ImportFormatError`` naming the line."""
    stream, encoding = open_text(path)
    with stream:
        text = stream.read()
    found = _MARKER.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        bad = undecodable_bytes(found.group())
        raise ImportFormatError(f"line {line}: bytes {bad} are not valid {encoding.label} text")
    try:
        return loads_bounded(text)
    except JsonTooDeep as e:
        raise ImportFormatError(f"a JSON feed nested deeper than {MAX_JSON_DEPTH} levels") from e
    except json.JSONDecodeError as e:
        raise ImportFormatError(f"line {e.lineno}: not a JSON feed: {e.msg}") from e
