"""Counts in a shopping request: "2 bags of", "two bottles", "a dozen", "两杯", "一打", "x3".

Strategy: ``read_quantities`` finds every count phrase in (lower-cased, NFKC) text, each with
its span, its measure word and its kind; ``count_for_item`` then picks the one that belongs to
an item mention. Amounts are read first (``amounts``) and their text blanked, so a number that
is part of a price is never a count, and a number followed by a measure word is never a price.

Rules:

- A count is a number with a measure word ("2 bags of", "3 pairs", "两杯", "一盒", "五瓶"), a
  times mark after an item ("x3", "×3"), an English number word ("two", "a", "a couple of") or
  a bare number ("2 large teas"). "a dozen" = 12, "half a dozen" = 6, "two dozen" = 24,
  "一打" = 12, "半打" = 6; "a pair of sunglasses" is one pair, so 1.
- English measure words agree in number: "2 bags" counts, while "2 piece", "5 drawer" and
  "6 pack" describe the item (a 2-piece set) and are no count. A number before a unit that is
  not a count ("500 ml", "2 kg", "30 minutes", "4k", "65w", "5x6", "第二个") is no count either.
- "up to 3", "at most 3", "no more than 3", "最多5杯", "最多买5杯" mark ``at_most``: the most a
  standing order may buy.
- Nothing is clamped or replaced by 1: zero or negative gives ``quantity-not-positive``, more
  than ``MAX_QUANTITY`` (1000, one order's sane ceiling) ``quantity-too-large``, "1.5 bottles"
  ``quantity-not-whole``; the caller turns the problem into a question.

>>> [(r.value, r.unit) for r in read_quantities("buy 2 bags of dry cat food and 一打鸡蛋")]
[(Decimal('2'), 'bag'), (Decimal('12'), '打')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trustcart.assistant.numerals import (
    CHINESE_PATTERN,
    DIGITS_PATTERN,
    ENGLISH_PATTERN,
    ReadingCode,
    ReadingProblem,
    fold,
    read_numeral,
)
from trustcart.core.errors import ValidationError

MAX_QUANTITY = 1000

# singular -> plural; the canonical unit is the singular.
MEASURE_WORDS: dict[str, str] = {
    "bag": "bags",
    "bar": "bars",
    "bottle": "bottles",
    "bowl": "bowls",
    "box": "boxes",
    "bunch": "bunches",
    "bundle": "bundles",
    "can": "cans",
    "carton": "cartons",
    "case": "cases",
    "crate": "crates",
    "cup": "cups",
    "item": "items",
    "jar": "jars",
    "loaf": "loaves",
    "pack": "packs",
    "packet": "packets",
    "pair": "pairs",
    "pc": "pcs",
    "piece": "pieces",
    "portion": "portions",
    "roll": "rolls",
    "sachet": "sachets",
    "serving": "servings",
    "set": "sets",
    "tin": "tins",
    "tray": "trays",
    "tub": "tubs",
    "unit": "units",
}
_PLURALS = {plural: singular for singular, plural in MEASURE_WORDS.items()}
# Chinese classifiers (量词): a Chinese count needs one. 打 is a dozen.
CN_CLASSIFIERS = (
    "杯件个顶副瓶盒袋包份条只双台斤箱打罐支本片桶听串把张套对碗根枚颗粒块部個雙條隻張臺塊對顆聽頂"
)
_MEASURE = "|".join(sorted([*MEASURE_WORDS, *_PLURALS], key=len, reverse=True))
MEASURE_AFTER_NUMBER = re.compile(
    r"\s*-?\s*(?:(?:" + _MEASURE + r")(?![a-z])|[" + CN_CLASSIFIERS + "])"
)
# Units after a number that make it a measure, not a count (and not money).
NOT_A_COUNT = re.compile(
    r"\s*-?\s*(?:(?:kg|g|mg|lbs?|oz|ml|cl|inch(?:es)?|cm|mm|km|ft|feet|kw|mah|gb|tb|mb|hz|mins?|"
    r"minutes?|hours?|hrs?|days?|weeks?|months?|years?|yo|percent)(?![a-z])|[x×]\s*[0-9]|%|:|°|"
    r"分钟|小时|天|周|个月|月|年|岁|公里|千米|米|厘米|毫米|克|千克|公斤|毫升|升|度|号|码|寸|英寸|折|"
    r"元|块钱|楼|点|分|倍|层|人|位)"
)
_NUMBER = "(?:" + DIGITS_PATTERN + "|" + ENGLISH_PATTERN + r"|(?:a single|single|an?)(?![a-z]))"
_ENGLISH_COUNT = re.compile(
    r"(?<![a-z0-9.,])(?:(?P<half>half (?:a )?dozen)|(?P<couple>(?:a )?couple of)|"
    r"(?P<sign>[-−] ?)?(?P<number>" + _NUMBER + r")(?P<dozen> dozen)?)"
    r"(?:(?P<unit> ?-? ?(?:" + _MEASURE + r"))(?![a-z])(?P<of> of(?![a-z]))?)?"
)
_CHINESE_COUNT = re.compile(
    r"(?<!第)(?P<number>"
    + CHINESE_PATTERN
    + "|"
    + DIGITS_PATTERN
    + r"|半) ?(?P<unit>["
    + CN_CLASSIFIERS
    + "])"
)
_TIMES = re.compile(r"(?<![a-z0-9])(?<![0-9] )[x×] ?(?P<number>[0-9]+)(?![0-9.,a-z])")
_AT_MOST = re.compile(
    r"(?:up to|at most|no more than|not more than|max(?:imum)?(?: of)?|最多|至多|不超过|不要超过|"
    r"顶多)\s*(?:买|点|要|订|来)?\s*\Z"
)
_BUY_VERB = re.compile(r"(?:\b(?:buy|order|get|get me|want|need|like|purchase)|买|要|来|订)\s*\Z")


class CountKind(StrEnum):
    MEASURED = "measured"  # with a measure word or classifier: "2 bags", "两杯", "a dozen"
    TIMES = "times"  # after the item: "x3"
    WORD = "word"  # an English number word: "two", "a"
    BARE = "bare"  # digits alone: "2 large teas"


@dataclass(frozen=True)
class QuantityReading:
    """One count phrase: ``value`` as written (it may be 0, 1.5 or absurd: see ``problem``)."""

    value: Decimal
    unit: str | None
    kind: CountKind
    span: tuple[int, int]
    text: str
    at_most: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.span[0] < self.span[1] or not self.value.is_finite():
            raise ValidationError("a quantity reading needs a span and a finite value")

    @property
    def count(self) -> int | None:
        """The whole count if it can be ordered, else None (``problem`` says why)."""
        return None if self.problem else int(self.value)

    @property
    def problem(self) -> ReadingProblem | None:
        """Why this count cannot be ordered, or None."""
        return self.problem_for(None)

    def problem_for(self, item: str | None) -> ReadingProblem | None:
        """``problem``, its question naming the item it counts.

        >>> read_quantities("0 cups of tea")[0].problem_for("tea").english
        '“0 cups of” is not a quantity I can buy. How many of “tea” do you want (at least 1)?'
        """
        if self.value <= 0:
            code = ReadingCode.QUANTITY_NOT_POSITIVE
        elif self.value > MAX_QUANTITY:
            code = ReadingCode.QUANTITY_TOO_LARGE
        elif self.value != self.value.to_integral_value():
            code = ReadingCode.QUANTITY_NOT_WHOLE
        else:
            return None
        english, chinese = _TEXTS[code]
        values = {
            "text": self.text,
            "of_item": f" of “{item}”" if item else "",
            "item_zh": f"“{item}”" if item else "",
            "limit": str(MAX_QUANTITY),
        }
        return ReadingProblem(
            code, self.span, self.text, english.format(**values), chinese.format(**values)
        )


_TEXTS = {
    ReadingCode.QUANTITY_NOT_POSITIVE: (
        "“{text}” is not a quantity I can buy. How many{of_item} do you want (at least 1)?",
        "“{text}”不是可以购买的数量。{item_zh}您要几份（至少 1）？",
    ),
    ReadingCode.QUANTITY_TOO_LARGE: (
        "“{text}” is more than I can order at once (at most {limit}). How many{of_item} do you "
        "want?",
        "“{text}”超过了一次能下单的数量（最多 {limit}）。{item_zh}您要几份？",
    ),
    ReadingCode.QUANTITY_NOT_WHOLE: (
        "“{text}” is not a whole number. How many{of_item} do you want?",
        "“{text}”不是整数。{item_zh}您要几份？",
    ),
}


def _english_value(match: re.Match[str]) -> Decimal | None:
    if match.group("half"):
        return Decimal(6)
    if match.group("couple"):
        return Decimal(2)
    number = match.group("number")
    value = Decimal(1) if number in ("a", "an", "single", "a single") else read_numeral(number)
    if value is None:
        return None
    if match.group("sign"):
        value = -value
    return value * 12 if match.group("dozen") else value


def _english_count(
    match: re.Match[str], value: Decimal, text: str
) -> tuple[str | None, int] | None:
    """(canonical unit, end of the count phrase), or None if the phrase is not a count.

    A measure word is a unit when "of" or another word follows ("2 bags of food", "2 bottles
    water"); alone at the end it is the item itself ("buy 2 boxes"). A singular one after a
    number other than one describes the item ("2 piece set", "6 pack") and is no count.
    """
    dozen = bool(match.group("dozen") or match.group("half"))
    if match.group("half") or match.group("couple"):
        number_end = match.end("half") if match.group("half") else match.end("couple")
    else:
        number_end = match.end("dozen") if match.group("dozen") else match.end("number")
    word = (match.group("unit") or "").strip(" -")
    if not word:
        return ("dozen" if dozen else None), number_end
    followed = bool(re.match(r"\s*[a-z\u3400-\u9fff]", text[match.end() :]))
    if word in _PLURALS:
        if match.group("of") or followed:
            return _PLURALS[word], match.end()
        return ("dozen" if dozen else None), number_end
    if value != 1 and not dozen:
        return None
    if match.group("of"):
        return word, match.end()
    return ("dozen" if dozen else None), number_end


def read_quantities(text: str) -> tuple[QuantityReading, ...]:
    """Every count phrase in ``text`` (any case; offsets are those of ``text``), in order.

    >>> [(str(r.value), r.kind.value) for r in read_quantities("两杯 tea, a dozen eggs, 5 drawer")]
    [('2', 'measured'), ('12', 'measured'), ('5', 'bare')]
    >>> read_quantities("kari 2 piece, 500 ml, a 4k tv")[0].text
    'a'

    """
    text = fold(text)
    readings: list[QuantityReading] = []
    taken = [False] * len(text)

    def add(start: int, end: int, value: Decimal, unit: str | None, kind: CountKind) -> None:
        if any(taken[start:end]):
            return
        for index in range(start, end):
            taken[index] = True
        at_most = bool(_AT_MOST.search(text, max(0, start - 24), start))
        readings.append(QuantityReading(value, unit, kind, (start, end), text[start:end], at_most))

    for match in _CHINESE_COUNT.finditer(text):
        number, unit = match.group("number"), match.group("unit")
        value = Decimal("0.5") if number == "半" else read_numeral(number)
        if value is not None:
            add(*match.span(), value * 12 if unit == "打" else value, unit, CountKind.MEASURED)
    for match in _TIMES.finditer(text):
        add(*match.span(), Decimal(match.group("number")), None, CountKind.TIMES)
    for match in _ENGLISH_COUNT.finditer(text):
        value = _english_value(match)
        number = match.group("number") or ""
        if value is None:
            continue
        if number[:1].isdigit():
            after = text[match.end("number") : match.end("number") + 1]
            if after.isalpha() and after not in "x×" and not match.group("unit"):
                continue  # glued to letters: "4k", "65w", "e12", "1990s"
            if NOT_A_COUNT.match(text, match.end("number")):
                continue
        found = _english_count(match, value, text)
        if found is None:
            continue
        unit, end = found
        kind = CountKind.BARE if number[:1].isdigit() else CountKind.WORD
        add(match.start(), end, value, unit, CountKind.MEASURED if unit else kind)
    readings.sort(key=lambda reading: reading.span)
    return tuple(readings)


def count_for_item(
    readings: tuple[QuantityReading, ...],
    text: str,
    stretch: tuple[int, int],
    mention: tuple[int, int],
) -> QuantityReading | None:
    """The count written for one item: right after it ("x3", "两杯") or else nearest before it
    in its own stretch of the sentence ("2 large taro milk teas"), at most 24 characters away
    with no other number between.

    >>> text = "2 large pearl milk teas"
    >>> count_for_item(read_quantities(text), text, (0, 23), (8, 23)).value
    Decimal('2')
    """
    start, end = stretch
    mention_start, mention_end = mention
    for reading in readings:
        near = mention_end <= reading.span[0] < min(end, mention_end + 7)
        gap = text[mention_end : reading.span[0]]
        chinese = (
            reading.unit is not None and len(reading.unit) == 1 and reading.unit in CN_CLASSIFIERS
        )
        if near and (reading.kind is CountKind.TIMES or chinese) and not re.search(r"[,，\d]", gap):
            return reading
    before = [r for r in readings if start <= r.span[0] and r.span[1] <= mention_start]
    if before:
        reading = before[-1]
        gap = text[reading.span[1] : mention_start]
        if len(gap) <= 24 and not re.search(r"\d", gap):
            return reading
    return None


def count_for_free_text(readings: tuple[QuantityReading, ...], text: str) -> QuantityReading | None:
    """The count of an item the lexicon does not know ("2 bags of dry cat food"): a count with
    a measure word anywhere, or a number right after a buying verb ("buy 3 salon chairs");
    a number inside a product's own name ("kohen 5 drawer dresser") is not a count."""
    for reading in readings:
        if reading.kind in (CountKind.MEASURED, CountKind.TIMES):
            return reading
        if _BUY_VERB.search(text, max(0, reading.span[0] - 24), reading.span[0]):
            return reading
    return None
