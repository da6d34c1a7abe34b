"""Known answers (EN and 中文) for reading follow-ups, and the reader's invariants.

The table is tests/assistant/vectors/followups.json, written by hand from the words.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.assistant.followups import (
    FollowUp,
    FollowUpKind,
    Refinement,
    language_of,
    ordinals_in,
    read_followup,
)

TABLE = json.loads((Path(__file__).parent / "vectors" / "followups.json").read_text("utf-8"))
CHINESE = [r for r in TABLE["rows"] if language_of(r["text"]) == "zh"]


def _reading(followup: FollowUp) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": followup.kind.value, "language": followup.language}
    if followup.index is not None:
        out["index"] = followup.index
    if followup.pick is not None:
        out["pick"] = followup.pick.value
    if followup.kind is FollowUpKind.COMPARE:
        out["indices"] = list(followup.indices)
    if followup.refinement is not None:
        refinement = followup.refinement
        changed: dict[str, Any] = {}
        if refinement.attributes:
            changed["attributes"] = dict(refinement.attributes)
        for name in ("cheaper", "faster", "other_merchant", "other_brand"):
            if getattr(refinement, name):
                changed[name] = True
        out["refinement"] = changed
    if followup.target is not None:
        out["target"] = followup.target
    return out


def test_the_table_covers_every_kind_in_both_languages() -> None:
    rows = TABLE["rows"]
    assert len(rows) >= 100
    assert len(CHINESE) >= 35
    kinds = {row["kind"] for row in rows}
    assert kinds == {kind.value for kind in FollowUpKind}
    assert {row["kind"] for row in CHINESE} >= kinds - {"other"}


@pytest.mark.parametrize("row", TABLE["rows"], ids=lambda row: row["text"])
def test_follow_up_phrases(row: dict[str, Any]) -> None:
    followup = read_followup(row["text"], category=row.get("category"))
    expected = {k: v for k, v in row.items() if k not in ("text", "category")}
    assert _reading(followup) == expected


def test_a_size_word_means_what_the_item_in_focus_means_by_it() -> None:
    drink = read_followup("make it large", category="drinks/milk-tea").refinement
    shirt = read_followup("make it large", category="apparel/t-shirt").refinement
    assert drink is not None
    assert shirt is not None
    assert drink.attributes == (("size", "large"),)
    assert shirt.attributes == (("size", "L"),)
    # Without anything in focus, "in white" is not a change of anything: a new request.
    assert read_followup("in white please").kind is FollowUpKind.OTHER


def test_a_refinement_must_change_something() -> None:
    with pytest.raises(ValueError, match="changes something"):
        Refinement()


def test_ordinals_in_order_of_writing() -> None:
    assert ordinals_in("the third and the first") == [2, 0]
    assert ordinals_in("第二个和最后一个") == [1, -1]
    assert ordinals_in("no ordinal here") == []


@given(st.text(max_size=60))
def test_any_text_is_read_without_raising(text: str) -> None:
    followup = read_followup(text, category="apparel/t-shirt")
    assert followup.language in ("en", "zh")
    if followup.kind is FollowUpKind.SELECT and followup.index is not None:
        assert -1 <= followup.index <= 8
    assert all(-1 <= i <= 8 for i in followup.indices)
    assert (followup.kind is FollowUpKind.REFINE) == (followup.refinement is not None)


@given(
    st.sampled_from(["the second one", "第二个", "compare the first two", "make it large"]),
    st.sampled_from(["", "  ", "!", "。", "?"]),
)
def test_spacing_and_punctuation_do_not_change_the_reading(text: str, tail: str) -> None:
    plain = read_followup(text, category="drinks/milk-tea")
    assert read_followup(f"  {text}{tail}", category="drinks/milk-tea") == plain
