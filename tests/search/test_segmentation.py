"""Chinese segmentation and the Chinese terms of the analyzer: known answers and invariants."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.search import chinese_terms
from trustcart.search.analysis import analyze, query_terms
from trustcart.search.segmentation import has_cjk, search_words, segment


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("我想要一杯珍珠奶茶", ["我", "想要", "一杯", "珍珠奶茶"]),
        ("有没有便宜的太阳镜", ["有没有", "便宜", "的", "太阳镜"]),
        ("经典圆领T恤", ["经典", "圆领", "T恤"]),
        ("来一杯冰美式，少冰！", ["来", "一杯", "冰", "美式", "少冰"]),
        ("西湖龙井茶叶 250g", ["西湖", "龙井茶", "叶", "250g"]),
        ("pearl milk tea", ["pearl", "milk", "tea"]),
        ("", []),
    ],
)
def test_segment_known_answers(text: str, words: list[str]) -> None:
    assert segment(text) == words


def test_search_words_add_the_words_inside_long_words() -> None:
    assert search_words("偏光太阳镜") == ["偏光", "太阳", "太阳镜"]
    assert search_words("珍珠奶茶") == ["珍珠", "奶茶", "珍珠奶茶"]


_CJK_TEXT = st.text(
    alphabet=st.sampled_from("珍珠奶茶太阳镜我想要一杯冰美式的黑色红绿 ，。!"), max_size=30
)


@given(_CJK_TEXT)
def test_segment_keeps_every_word_character_once_in_order(text: str) -> None:
    kept = "".join(c for c in text if c not in " ，。!")
    assert "".join(segment(text)) == kept


@given(_CJK_TEXT)
def test_query_terms_of_a_document_meet_its_document_terms(text: str) -> None:
    """Whatever a document says, asking for it with the same words finds it lexically."""
    document = set(analyze(text))
    for term in query_terms(text):
        assert term in document


def test_coconut_milk_tea_is_found_by_milk_tea_although_jieba_cuts_it_elsewhere() -> None:
    # jieba: 椰奶 / 茶 ; the bigram 奶茶 still meets the query word
    assert "奶茶" in analyze("椰奶茶")
    assert chinese_terms.query_terms("奶茶") == ["奶茶"]


def test_function_words_are_dropped_from_queries_only() -> None:
    assert chinese_terms.query_terms("我想要一杯") == []
    assert "一杯" in analyze("一杯")


def test_has_cjk() -> None:
    assert has_cjk("T恤")
    assert not has_cjk("T-shirt 42")


def test_the_segmenter_loads_only_for_chinese_text() -> None:
    code = (
        "import sys\n"
        "from trustcart.search.analysis import analyze, query_terms\n"
        "analyze('Pearl Milk Tea'); query_terms('cheap hoodie')\n"
        "assert 'rjieba' not in sys.modules\n"
        "analyze('奶茶')\n"
        "assert 'rjieba' in sys.modules\n"
        "import trustcart.cli.main\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_cli_starts_without_loading_search_models() -> None:
    code = (
        "import sys\n"
        "import trustcart.cli.main\n"
        "loaded = {'rjieba', 'model2vec', 'tantivy'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
