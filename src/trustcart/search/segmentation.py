"""Chinese word segmentation: jieba's dictionary and algorithm, through ``rjieba``.

Chinese is written without spaces, so every consumer (the search analyzer, the embedding
model, intent parsing) needs words first. ``rjieba`` binds jieba-rs, the Rust port of jieba:
its dictionary (jieba's 349k-word ``dict.txt``) is compiled into the wheel, nothing is read or
downloaded at run time, and a sentence segments in microseconds. Rules:

* the library is imported on first use (≈ 0.2 s, the dictionary is built then), never for text
  without CJK characters, so CLI start-up and English-only queries do not pay for it;
* ``segment`` is jieba's precise mode with its HMM for words not in the dictionary: reading
  order, every character of the input in exactly one word, whitespace and punctuation dropped;
* ``search_words`` is jieba's search mode: the precise words, preceded by the dictionary words
  inside each long word ("珍珠奶茶" gives "珍珠", "奶茶" and "珍珠奶茶"), for recall;
* Latin letters and digits glued to Chinese stay in the word jieba gives ("T恤"), and
  ``chinese_words`` keeps only words with at least one CJK character.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD_CHAR = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_jieba: Any = None
_lock = threading.Lock()


def _library() -> Any:
    global _jieba  # noqa: PLW0603 - one read-only dictionary per process
    with _lock:
        if _jieba is None:
            import rjieba

            _jieba = rjieba
        return _jieba


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a Chinese (CJK ideograph) character.

    >>> has_cjk("pearl milk tea"), has_cjk("奶茶 x2")
    (False, True)
    """
    return CJK_RUN.search(text) is not None


def _words(text: str, cut: Callable[[Any, str], list[str]]) -> list[str]:
    if not has_cjk(text):
        return [w for w in text.split() if _WORD_CHAR.search(w)]
    return [w for w in cut(_library(), text) if not w.isspace() and _WORD_CHAR.search(w)]


def segment(text: str) -> list[str]:
    """Words of ``text`` in reading order (jieba precise mode); punctuation and spaces dropped.

    >>> segment("我想要一杯珍珠奶茶，少冰")
    ['我', '想要', '一杯', '珍珠奶茶', '少冰']
    >>> segment("经典圆领T恤 black")
    ['经典', '圆领', 'T恤', 'black']
    """
    return _words(text, lambda jieba, t: jieba.cut(t))


def search_words(text: str) -> list[str]:
    """Search-mode words: each long word preceded by the dictionary words inside it.

    >>> search_words("珍珠奶茶")
    ['珍珠', '奶茶', '珍珠奶茶']
    """
    return _words(text, lambda jieba, t: jieba.cut_for_search(t))


def chinese_words(words: list[str]) -> list[str]:
    """The words holding at least one CJK character.

    >>> chinese_words(["t恤", "black", "黑色"])
    ['t恤', '黑色']
    """
    return [w for w in words if has_cjk(w)]
