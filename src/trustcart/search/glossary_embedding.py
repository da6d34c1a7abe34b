"""A semantic signal for Chinese: Chinese words are glossed in English, then embedded.

The packaged static model (``search.embedding``, distilled from all-MiniLM-L6-v2) reads
English only. Rather than a second model in another vector space, Chinese words are mapped
onto that model's English vocabulary through a bilingual dictionary: "墨镜" becomes
"sunglasses", "汽水" "soda pop carbonated soft drink", and the English model embeds the
result. English text is passed through untouched (the same vectors as before), so Chinese and
English queries meet the same document vectors, whichever language a catalog is written in.
docs/search.md compares this with a static model distilled from multilingual-e5-small.

Rules:

* the text is segmented by jieba (``segmentation.segment``); adjacent words whose join is a
  glossary word are joined again (jieba cuts the loanword "拿铁", latte, as "拿 / 铁"); each
  word holding CJK is replaced by its gloss; a word the glossary lacks backs off to its
  search-mode sub-words, then to its characters; Chinese query function words ("我",
  "想要"...) are dropped, not glossed;
* the glossary (``models/zh-glossary/glossary.tsv``, ≈ 85k words, 3 MB, built from CC-CEDICT
  by ``scripts/build_zh_glossary.py``) is read on the first text with Chinese in it, never
  before; the English model is whatever ``TextEmbedder`` is wrapped, loaded when it is.
"""

from __future__ import annotations

import threading
from pathlib import Path

from trustcart.search.chinese_terms import QUERY_STOP_WORDS
from trustcart.search.embedding import TextEmbedder, Vectors
from trustcart.search.segmentation import CJK_RUN, has_cjk, search_words, segment

GLOSSARY = Path(__file__).resolve().parent / "models" / "zh-glossary" / "glossary.tsv"
SUFFIX = "+zh-glossary"


def read_glossary(path: Path = GLOSSARY) -> dict[str, str]:
    """Word -> English gloss, from the TAB-separated file."""
    glossary: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, gloss = line.partition("\t")
        if gloss:
            glossary[word] = gloss.replace(" ; ", " ")
    return glossary


class Glossary:
    """Chinese -> English rewriting over a word -> gloss mapping (loaded on first use)."""

    def __init__(self, path: Path = GLOSSARY, entries: dict[str, str] | None = None) -> None:
        self._path = path
        self._entries = entries
        self._lock = threading.Lock()

    def _glosses(self) -> dict[str, str]:
        with self._lock:
            if self._entries is None:
                self._entries = read_glossary(self._path)
            return self._entries

    def _gloss(self, word: str, glosses: dict[str, str]) -> list[str]:
        if word in QUERY_STOP_WORDS:
            return []
        found = glosses.get(word) or glosses.get(word.upper())
        if found:
            return [found]
        parts = [w for w in search_words(word) if w != word and w in glosses]
        if parts:
            return [glosses[w] for w in parts if w not in QUERY_STOP_WORDS]
        return [glosses[c] for c in "".join(CJK_RUN.findall(word)) if c in glosses]

    def translate(self, text: str) -> str:
        """``text`` with its Chinese words replaced by English glosses.

        >>> glossary = Glossary(entries={"墨镜": "sunglasses", "黑色": "black", "拿铁": "latte"})
        >>> glossary.translate("黑色墨镜 XL"), glossary.translate("拿铁")
        ('black sunglasses XL', 'latte')
        """
        if not has_cjk(text):
            return text
        glosses = self._glosses()
        words = segment(text)
        out: list[str] = []
        i = 0
        while i < len(words):
            span = next(
                (n for n in (3, 2) if i + n <= len(words) and "".join(words[i : i + n]) in glosses),
                1,
            )
            word = "".join(words[i : i + span])
            out.extend(self._gloss(word, glosses) if has_cjk(word) else [word])
            i += span
        return " ".join(out)


class GlossaryEmbedder:
    """``TextEmbedder`` that glosses Chinese before the wrapped English model embeds it."""

    def __init__(self, english: TextEmbedder, glossary: Glossary | None = None) -> None:
        self._english = english
        self._glossary = glossary or Glossary()
        self.name = english.name + SUFFIX
        self.dimensions = english.dimensions

    def encode(self, texts: list[str]) -> Vectors:
        return self._english.encode([self._glossary.translate(t) for t in texts])
