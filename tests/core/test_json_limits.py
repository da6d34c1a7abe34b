"""core.json_limits: the depth is exact on JSON, a bound on anything else, and never recursive."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.core.json_limits import (
    MAX_JSON_DEPTH,
    JsonTooDeep,
    JsonTooLarge,
    exceeds_depth,
    json_depth,
    loads_bounded,
)


def _true_depth(value: Any) -> int:
    """The nesting depth of a parsed value, computed the obvious (recursive) way."""
    if isinstance(value, dict):
        return 1 + max((_true_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_true_depth(v) for v in value), default=0)
    return 0


# Strings full of the characters that could fool a scanner: brackets, quotes, backslashes.
_tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\:,ab \n\u00e9\u5976\U0001f375'))
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _tricky_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_tricky_text, children, max_size=4)
    ),
    max_leaves=40,
)


@given(_json_values, st.sampled_from([None, 0, 2]), st.booleans())
@settings(max_examples=300)
def test_depth_of_json_is_exact_in_every_encoding(
    value: Any, indent: int | None, as_bytes: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    expected = _true_depth(value)
    assert json_depth(text) == expected
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32"):
        document: str | bytes = text.encode(encoding) if as_bytes else text
        assert json_depth(document) == expected
        assert exceeds_depth(document, expected) is False
        if expected:
            assert exceeds_depth(document, expected - 1) is True


@given(st.text(alphabet=st.sampled_from('[]{}"\\:,1 ')), st.integers(0, 6))
@settings(max_examples=500)
def test_on_any_text_the_depth_bounds_what_the_parser_reaches(text: str, limit: int) -> None:
    try:
        parsed = json.loads(text)
    except ValueError:
        pass
    else:
        assert json_depth(text) == _true_depth(parsed)
    try:
        value = loads_bounded(text, max_depth=limit)
    except JsonTooDeep:
        assert exceeds_depth(text, limit)
    except ValueError:
        pass  # not JSON: json.JSONDecodeError, as before
    else:
        assert _true_depth(value) <= limit


def test_a_thousand_brackets_are_refused_before_the_parser_recurses() -> None:
    for document in ("[" * 990 + "]" * 990, '{"a":' * 5000, "[" * 10_000_000):
        with pytest.raises(JsonTooDeep):
            loads_bounded(document)
    # The same documents crash the plain parser: this is what the check is for.
    with pytest.raises(RecursionError):
        json.loads("[" * 100_000 + "]" * 100_000)


def test_the_limit_itself_is_accepted() -> None:
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert _true_depth(loads_bounded(at_limit)) == MAX_JSON_DEPTH
    with pytest.raises(JsonTooDeep):
        loads_bounded("[" + at_limit + "]")


def test_brackets_inside_strings_and_escapes_do_not_count() -> None:
    assert json_depth(json.dumps(["[" * 500, '\\"[[[[', "{" * 100])) == 1
    assert loads_bounded(json.dumps({"k": "\\" * 7 + "[[["})) == {"k": "\\" * 7 + "[[["}


def test_a_utf16_code_unit_cannot_pass_for_a_quote() -> None:
    # U+2200 in UTF-16-LE is the bytes 00 22: a byte scanner would see a quote there and
    # skip the brackets that follow as if they were inside a string.
    deep = '["\u2200", ' + "[" * 200 + "]" * 200 + "]"
    with pytest.raises(JsonTooDeep):
        loads_bounded(deep.encode("utf-16"))


def test_size_is_checked_before_anything_else() -> None:
    with pytest.raises(JsonTooLarge):
        loads_bounded(b"[" * 100, max_bytes=10)
    with pytest.raises(JsonTooLarge):
        loads_bounded("\u5976" * 5, max_bytes=10)  # 15 UTF-8 bytes
    assert loads_bounded('"ok"', max_bytes=4) == "ok"


def test_invalid_json_is_still_a_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads_bounded("{not json")
    with pytest.raises(ValueError, match="decimal string"):
        loads_bounded("1.5", parse_float=_no_float)


def _no_float(text: str) -> Any:
    raise ValueError(f"{text} must be a decimal string")
