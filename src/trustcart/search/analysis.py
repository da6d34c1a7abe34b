"""Text analysis shared by every search back end: one tokenizer for documents and queries.

BM25 needs the same terms on both sides, and the back ends (tantivy, Milvus) must agree, so the
analysis happens here, in Python, and the engines receive space-separated terms that they only
split on whitespace. Rules:

* Latin text is lowercased and split into words (``t-shirt`` stays one word); a trailing plural
  ``s`` is folded on both sides, so "teas" and "tea" meet;
* Chinese has no spaces: documents give characters, bigrams and jieba words, queries give
  jieba words without function words (``trustcart.search.chinese_terms``), so "奶茶" matches
  inside "珍珠奶茶" and "我想要一杯珍珠奶茶" still finds it;
* query-side stop words ("under", "cheap", "want"...) are dropped; documents keep every word.
"""

from __future__ import annotations

import re

from trustcart.search import chinese_terms
from trustcart.search.segmentation import CJK_RUN

# Recorded in every index; an index built with another version is rebuilt (terms would differ).
VERSION = "2-jieba"
_LATIN = re.compile(r"[a-z0-9]+(?:[-+][a-z0-9]+)*")
QUERY_STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "with",
        "me",
        "my",
        "i",
        "want",
        "order",
        "buy",
        "please",
        "some",
        "under",
        "below",
        "cny",
        "yuan",
        "rmb",
        "less",
        "than",
        "cheap",
        "cheapest",
        "find",
        "show",
        "get",
    }
)


def _fold(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def is_cjk(term: str) -> bool:
    """True when ``term`` is all Chinese (CJK) characters.

    >>> is_cjk("奶茶"), is_cjk("tea")
    (True, False)
    """
    return CJK_RUN.fullmatch(term) is not None


def analyze(text: str) -> list[str]:
    """Document terms, repeated as often as they occur (BM25 counts them).

    >>> analyze("Pearl Milk Teas 珍珠奶茶")
    ['pearl', 'milk', 'tea', '珍', '珠', '奶', '茶', '珍珠', '珠奶', '奶茶', '珍珠奶茶']
    """
    lowered = text.lower()
    terms = [_fold(word) for word in _LATIN.findall(lowered)]
    terms.extend(chinese_terms.document_terms(text))
    return terms


def query_terms(text: str) -> list[str]:
    """Distinct query terms, stop words removed, order kept.

    >>> query_terms("I want a cheap pearl milk tea")
    ['pearl', 'milk', 'tea']
    """
    lowered = text.lower()
    terms = [
        _fold(w)
        for w in _LATIN.findall(lowered)
        if w not in QUERY_STOP_WORDS and (len(w) > 1 or w.isdigit())
    ]
    terms.extend(chinese_terms.query_terms(text))
    return list(dict.fromkeys(terms))
