"""Known answers: phrases (EN and 中文) and what the amount and count readers make of them.

The table is tests/assistant/vectors/amounts.json; the issue's own examples are its first rows.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from trustcart.assistant.amounts import read_amounts
from trustcart.assistant.intent import parse_intent
from trustcart.assistant.quantities import read_quantities

TABLE = json.loads((Path(__file__).parent / "vectors" / "amounts.json").read_text("utf-8"))


def test_the_table_is_large_and_bilingual() -> None:
    rows = [*TABLE["amounts"], *TABLE["quantities"], *TABLE["intents"]]
    assert len(rows) >= 120
    chinese = [row for row in rows if any("\u4e00" <= ch <= "\u9fff" for ch in row["text"])]
    assert len(chinese) >= 40
    assert len(rows) - len(chinese) >= 80


@pytest.mark.parametrize("row", TABLE["amounts"], ids=lambda row: row["text"])
def test_amount_phrases(row: dict[str, Any]) -> None:
    read = read_amounts(row["text"], row.get("currencies", ["CNY"]))
    readings = [
        [r.money.amount_str(), r.money.currency, r.bound.value, r.scope.value]
        for r in read.readings
    ]
    assert readings == row["readings"]
    assert [p.code.value for p in read.problems] == row["problems"]
    for problem in read.problems:
        assert problem.english
        assert problem.chinese
        assert problem.english != problem.chinese


@pytest.mark.parametrize("row", TABLE["quantities"], ids=lambda row: row["text"])
def test_count_phrases(row: dict[str, Any]) -> None:
    readings = read_quantities(row["text"].lower())
    assert [[str(r.value), r.unit] for r in readings] == row["counts"]
    problems = [r.problem for r in readings if r.problem is not None]
    assert [p.code.value for p in problems] == row["problems"]
    for reading in readings:
        assert reading.count == (None if reading.problem else int(reading.value))


@pytest.mark.parametrize("row", TABLE["intents"], ids=lambda row: row["text"])
def test_intents(row: dict[str, Any]) -> None:
    draft = parse_intent(row["text"])
    unit = None if draft.max_unit_price is None else draft.max_unit_price.amount_str()
    total = None if draft.max_total is None else draft.max_total.amount_str()
    assert (unit, total) == (row["max_unit_price"], row["max_total"])
    assert [[i.description, i.quantity] for i in draft.items] == row["items"]
    assert list(draft.missing) == row["questions"]
    if "max_quantity" in row:
        assert draft.max_quantity == row["max_quantity"]
    if "delegated" in row:
        assert draft.delegated is row["delegated"]
    if draft.max_unit_price is not None:
        assert draft.max_unit_price.currency == "CNY" == draft.currency
