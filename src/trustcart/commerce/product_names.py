"""What a product is called, without its brand and variant, in English and Chinese (pure).

The catalog vocabulary (``vocabulary``) is built from the catalog's own titles, so it needs the
name a shopper would use for a product: "Hangtee Classic Crew T-Shirt - black, M" is a "classic
crew t-shirt", "Hangtee 经典圆领T恤 黑色 M码" a "经典圆领T恤". Rules, the same for any catalog:

* English: the title without the brand, cut at the first variant separator (`` - ``, ``(``,
  ``,``, ``|``, ``/``), without trailing tokens that are the offer's own attribute values ("1L",
  "10 pack") or measures ("65W", "10000mAh"); lower case, single spaces.
* Chinese: the Chinese title without the brand, cut at the first bracket or separator, without
  the offer's own variant values and trailing quantities ("200克"); of what is left, the longest
  whitespace-separated piece that holds a Chinese character (the product noun is written as
  one run, the colour and size as separate ones).
* Heads: the shorter names a shopper also uses: an English name's last one to three words
  ("crew t-shirt", "t-shirt"), a Chinese name's suffixes that start at a word boundary of
  ``search.segmentation.segment`` and are 2 to 6 characters long ("圆领T恤", "T恤"), and its
  last two characters (jieba cuts some nouns apart: "湿猫/粮" still ends in "猫粮").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from trustcart.search.segmentation import has_cjk, segment

MAX_HEAD_WORDS = 3
MAX_HEAD_CHARS = 6
_SEPARATORS = re.compile(r"\s[-–—|/]\s|\s*[(（\[【]|[,，;；]")
_ZH_SEPARATORS = re.compile(r"\s[-–—|/]\s|[(（\[【]|[,，;；]")
_TRAILING_QUANTITY = re.compile(
    r"\s*[\d.]+\s*(?:克|千克|公斤|斤|毫升|升|g|kg|ml|l|包|盒|袋|瓶|个|只|件|片|支|装)?\s*$", re.I
)
_TRAILING_MEASURE = re.compile(r"\s+\d+(?:\.\d+)?\s*[a-z]{0,4}$", re.I)  # "65W", "10000mAh"
_SPACES = re.compile(r"\s+")


def _without(text: str, phrase: str) -> str:
    """``text`` without ``phrase`` (case-insensitive, whole words for Latin phrases)."""
    if not phrase.strip():
        return text
    if has_cjk(phrase):
        return text.replace(phrase, " ")
    pattern = r"(?<![A-Za-z0-9])" + re.escape(phrase.strip()) + r"(?![A-Za-z0-9])"
    return re.sub(pattern, " ", text, flags=re.I)


def _variant_values(attributes: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    values = [attributes[n] for n in names if attributes.get(n)]
    return sorted(values, key=len, reverse=True)


def english_name(
    title: str, brand: str, attributes: Mapping[str, str], variant_names: tuple[str, ...]
) -> str:
    """The product's English name (see the module docstring).

    >>> english_name("Hangtee Classic Crew T-Shirt - black, M", "Hangtee",
    ...              {"colour": "black", "size": "M"}, ("size", "colour"))
    'classic crew t-shirt'
    >>> english_name("Golden Field Whole Milk 1L", "Golden Field", {"pack": "1L"}, ("pack",))
    'whole milk'
    """
    text = _without(title, brand)
    text = _SEPARATORS.split(text, maxsplit=1)[0]
    words = _SPACES.sub(" ", text).strip()
    for value in _variant_values(attributes, tuple(attributes)):
        if words.lower().endswith(" " + value.lower()):
            words = words[: -len(value)].rstrip()
    while (shorter := _TRAILING_MEASURE.sub("", words)) != words and shorter:
        words = shorter
    return words.lower().strip(" -")


def chinese_name(
    title_zh: str, brand: str, attributes: Mapping[str, str], variant_names: tuple[str, ...]
) -> str:
    """The product's Chinese name, or "" when the title has no Chinese.

    >>> chinese_name("Hangtee 经典圆领T恤 黑色 M码", "Hangtee", {"size": "M"}, ("size",))
    '经典圆领T恤'
    >>> chinese_name("珍珠奶茶（大杯）", "", {}, ())
    '珍珠奶茶'
    >>> chinese_name("薰衣草香薰蜡烛200克", "", {}, ())
    '薰衣草香薰蜡烛'
    """
    text = _without(title_zh, brand)
    text = _ZH_SEPARATORS.split(text, maxsplit=1)[0]
    for value in _variant_values(attributes, variant_names):
        text = _without(text, value)
    pieces = [_TRAILING_QUANTITY.sub("", p) for p in text.split()]
    chinese = [p for p in pieces if has_cjk(p)]
    return max(chinese, key=len) if chinese else ""


def english_heads(name: str) -> list[str]:
    """The name's last one to three words, shortest first (never the whole name).

    >>> english_heads("classic crew t-shirt")
    ['t-shirt', 'crew t-shirt']
    """
    words = name.split()
    return [" ".join(words[-k:]) for k in range(1, min(MAX_HEAD_WORDS, len(words) - 1) + 1)]


def chinese_heads(name: str) -> list[str]:
    """Suffixes of 2 to 6 characters that start at a word boundary (never the whole name).

    >>> chinese_heads("经典圆领T恤")
    ['T恤', '圆领T恤']
    """
    heads: list[str] = []
    start = 0
    starts = []
    for word in segment(name):
        index = name.find(word, start)
        if index < 0:
            continue
        starts.append(index)
        start = index + len(word)
    if len(name) > 2:
        starts.append(len(name) - 2)  # the last two characters: jieba may cut "猫粮" apart
    for index in sorted(set(starts), reverse=True):
        suffix = name[index:]
        if index > 0 and 2 <= len(suffix) <= MAX_HEAD_CHARS and has_cjk(suffix):
            heads.append(suffix)
    return heads
