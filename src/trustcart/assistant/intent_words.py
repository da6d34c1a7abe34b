"""Finding items and attributes in (already lower-cased) text, for ``intent``.

Counts are read by ``quantities``, amounts by ``amounts``. The item phrases are those of
``catalog_words``: the catalog's own (from the vocabulary the marketplace publishes), with the
built-in lexicon for the categories the catalog has; without a vocabulary, the lexicon alone.

Latin phrases match on word boundaries ("cap" is not in "capital", "tee" not in "teeth");
Chinese phrases match anywhere, since Chinese has no spaces. Attributes are kept only where the
category has them. With a vocabulary, that is the catalog's own attributes of the category and
their values: a value is read from its own words, the Chinese word the catalog's titles use for
it, or the plain-language tables (``lexicon``: "大杯" is large, "黑色" black), and kept only if
the category sells it. Without one, the lexicon's families: a colour for clothes and
accessories, a size for clothes and drinks, sugar and ice for drinks (so "黑糖" in a drink's
name is not read as the colour black).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trustcart.assistant.catalog_words import CatalogWords
from trustcart.assistant.lexicon import (
    COLOURS,
    DRINK_SIZES,
    ICE,
    MATERIALS,
    SIZE_WORDS,
    SIZES_APPAREL,
    SUGAR,
    ItemWord,
)
from trustcart.assistant.vocabulary import VocabularyValue

_CJK = re.compile(r"[\u3400-\u9fff]")
BUILT_IN = CatalogWords.built_in()
# Plain-language words for values, by attribute name (used when the category has the value).
_VALUE_WORDS: dict[str, dict[str, str]] = {
    "colour": COLOURS,
    "material": MATERIALS,
    "sugar": SUGAR,
    "ice": ICE,
}
_PREPARED = ("sugar", "ice")  # a shop that makes it "adjustable" takes any of these
_NOT_READ = frozenset({"tryon", "model"})
_APPAREL_SIZE = (
    re.compile(r"\bsize\s*(xxs|xs|s|m|l|xl|xxl)\b", re.I),
    re.compile(r"\b(xxs|xs|s|m|l|xl|xxl)\s*(?:码|号|size)", re.I),
    re.compile(r"(?<![a-z])(xxs|xs|s|m|l|xl|xxl)码", re.I),
)
_UPPER_SIZE = re.compile(r"(?<![A-Za-z'])(XXS|XS|S|M|L|XL|XXL)(?![A-Za-z'])")
_PACK = re.compile(r"(?<![\d.])(\d+(?:\.\d)?)\s*(kg|g|ml|l|pack)\b", re.I)
_STOP = frozenset(
    (  # noqa: SIM905 - a word list reads best as words
        "a an the some me my i we us you please order buy get find want need would like to for of "
        "and or with in on at from under below less than cny yuan rmb kuai each per one ones can "
        "could help looking look search show give send deliver bring pick up it its is are be this "
        "that these those new good nice best cheap cheapest quick quickly now today also just any "
        "anything something stuff thing things item items"
    ).split()
)
_VERBS_ZH = re.compile(
    r"帮我|给我|我想|我要|想要|请|买|订|点|来|要|一下|个|杯|件|的|吧|呢|吗|"
    r"。|!|！|\?|？"
)


@dataclass(frozen=True)
class Mention:
    word: ItemWord
    start: int
    end: int


def _phrase_at(text: str, phrase: str, start: int) -> tuple[int, int]:
    """(start, end) of the next occurrence of ``phrase`` at or after ``start``, or (-1, 0)."""
    if _CJK.search(phrase):
        index = text.find(phrase, start)
        return (index, index + len(phrase)) if index >= 0 else (-1, 0)
    # A plural ("oolongs", "lattes") is the same item.
    match = re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?:e?s)?(?![a-z0-9])").search(
        text, start
    )
    return (-1, 0) if match is None else (match.start(), match.end())


def find_items(text: str, words: CatalogWords | None = None) -> list[Mention]:
    """Non-overlapping item mentions, longest phrase first, in order of appearance."""
    taken = [False] * len(text)
    mentions: list[Mention] = []
    for phrase, word in (words or BUILT_IN).phrases:
        start = 0
        while True:
            index, end = _phrase_at(text, phrase, start)
            if index < 0:
                break
            if not any(taken[index:end]):
                mentions.append(Mention(word, index, end))
                for i in range(index, end):
                    taken[i] = True
            start = end
    mentions.sort(key=lambda m: m.start)
    return mentions


def _lookup(table: dict[str, str], text: str) -> str | None:
    for phrase in sorted(table, key=len, reverse=True):
        if _CJK.search(phrase):
            if phrase in text:
                return table[phrase]
        elif re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text):
            return table[phrase]
    return None


def _apparel_size(lowered: str, original: str) -> str | None:
    size = next((m.group(1).upper() for p in _APPAREL_SIZE if (m := p.search(lowered))), None)
    if size is None and (upper := _UPPER_SIZE.search(original)):
        size = upper.group(1)
    return size or _lookup(SIZE_WORDS, lowered)


def _pack(lowered: str) -> str | None:
    pack = _PACK.search(lowered)
    if pack is None:
        return None
    number, unit = pack.group(1), pack.group(2).lower()
    return f"{number} pack" if unit == "pack" else number + ("L" if unit == "l" else unit)


def _catalog_value(
    name: str, values: tuple[VocabularyValue, ...], lowered: str, original: str
) -> str | None:
    """The value of attribute ``name`` the text asks for, if the category sells it."""
    sold = {v.value.lower(): v.value for v in values}
    if name == "size" and set(sold) <= set(SIZES_APPAREL):
        size = _apparel_size(lowered, original)
        return sold.get(size.lower()) if size else None
    if name == "pack":
        pack = _pack(lowered)
        return sold.get(pack.lower()) if pack else None
    adjustable = name in _PREPARED and "adjustable" in sold
    phrases: dict[str, str] = {}
    plain = DRINK_SIZES if name == "size" else _VALUE_WORDS.get(name, {})
    for phrase, value in plain.items():
        if value.lower() in sold or adjustable:
            phrases[phrase] = sold.get(value.lower(), value)
    for entry in values:
        if len(entry.value) >= 2 and entry.value.lower() != "adjustable":
            phrases[entry.value.lower()] = entry.value
        if len(entry.name_zh) >= 2:
            phrases[entry.name_zh] = entry.value
    return _lookup(phrases, lowered)


def attributes_in(
    lowered: str, original: str, category: str, words: CatalogWords | None = None
) -> tuple[tuple[str, str], ...]:
    """The attributes the text asks for, for an item of ``category`` (see the docstring)."""
    table = None if words is None else words.attribute_values(category)
    if table is not None:
        read = {
            name: value
            for name, values in table.items()
            if name not in _NOT_READ
            and (value := _catalog_value(name, values, lowered, original)) is not None
        }
        return tuple(sorted(read.items()))
    found: dict[str, str] = {}
    family = category.split("/", maxsplit=1)[0]
    if family == "apparel":
        size = _apparel_size(lowered, original)
        if size:
            found["size"] = size
        if material := _lookup(MATERIALS, lowered):
            found["material"] = material
    if family in ("apparel", "accessories", "electronics") and (
        colour := _lookup(COLOURS, lowered)
    ):
        found["colour"] = colour
    if family == "grocery" and (pack := _pack(lowered)):
        found["pack"] = pack
    if family == "drinks":
        if size := _lookup(DRINK_SIZES, lowered):
            found["size"] = size
        if sugar := _lookup(SUGAR, lowered):
            found["sugar"] = sugar
        if ice := _lookup(ICE, lowered):
            found["ice"] = ice
    return tuple(sorted(found.items()))


def free_text_item(text: str) -> str | None:
    """What is left once shopping words are removed: "a salon chair" -> "salon chair"."""
    latin = [w for w in re.findall(r"[a-z][a-z0-9'&-]*", text) if w not in _STOP]
    chinese = "".join(_VERBS_ZH.sub(" ", "".join(_CJK.findall(text)) and text).split())
    chinese = "".join(_CJK.findall(chinese))
    words = " ".join(latin[:6])
    if len(chinese) >= 2:
        words = (words + " " + chinese[:12]).strip()
    return words or None
