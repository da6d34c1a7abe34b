"""Numbers as people write them in a shopping request: digits, English words, Chinese numerals.

This is the shared base of ``amounts`` (money) and ``quantities`` (counts). It turns one written
number into an exact ``Decimal`` (never a float) and says what a reading that went wrong is
(``ReadingProblem``: a stable ``ReadingCode`` plus an English and a Chinese sentence).

Rules (each function refuses, by returning ``None``, what it cannot read exactly):

- Digits are ASCII 0-9 (``fold`` makes full-width digits ASCII, keeping offsets). Groups of
  three after a comma ("1,000", "12,345,678.50") are grouping; any other comma or a second dot
  ("1,00", "1.000.000") makes the number *malformed*: ``read_digits`` says so rather than guess
  whether "1,00" is one or a hundred. A dot followed by digits is a decimal point.
- Chinese numerals: 零〇一二两三四五六七八九 with 十百千万亿 (兩萬億 too), 点 for decimals, and the
  spoken short forms "一百五" = 150, "一千二" = 1200, "两万五" = 25000 (a last digit right after
  百/千/万/亿 counts in the next lower place); "一千零五" = 1005 keeps its 零.
- English words: zero to nineteen, the tens, "hundred", "thousand", "million", "billion", with
  hyphens and "and" ("one hundred and fifty", "twenty-five", "a hundred"); words out of order
  ("five six", "hundred two thousand") are not a number.
- Multipliers after digits: "k" (thousand), "w" and 万 (ten thousand), 千, 百, 亿, and the words
  "thousand", "million", "billion" ("1.5k", "2w", "3千", "1.5万", "2 thousand").

>>> chinese_number("一百五"), chinese_number("两万"), chinese_number("一千零五")
(Decimal('150'), Decimal('20000'), Decimal('1005'))
>>> english_number("one hundred and fifty"), read_digits("1,000").value
(Decimal('150'), Decimal('1000'))
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trustcart.core.errors import ValidationError


class ReadingCode(StrEnum):
    """Stable codes of what could not be read as written; each becomes a question."""

    AMOUNT_CURRENCY_NOT_SOLD = "amount-currency-not-sold"
    AMOUNT_CURRENCY_MIXED = "amount-currency-mixed"
    AMOUNT_NOT_POSITIVE = "amount-not-positive"
    AMOUNT_TOO_LARGE = "amount-too-large"
    AMOUNT_UNCLEAR = "amount-unclear"
    QUANTITY_NOT_POSITIVE = "quantity-not-positive"
    QUANTITY_TOO_LARGE = "quantity-too-large"
    QUANTITY_NOT_WHOLE = "quantity-not-whole"


@dataclass(frozen=True)
class ReadingProblem:
    """A phrase that was found but cannot be used as written, with what to ask the person."""

    code: ReadingCode
    span: tuple[int, int]
    text: str
    english: str
    chinese: str

    def __post_init__(self) -> None:
        start, end = self.span
        if not 0 <= start <= end or not self.english or not self.chinese:
            raise ValidationError("a reading problem needs a span and both texts")

    def message(self, language: str) -> str:
        """The question in the person's language ("zh" or anything else for English)."""
        return self.chinese if language == "zh" else self.english


def fold(text: str) -> str:
    """Lower case and NFKC, character by character so that offsets stay those of ``text``
    ("３０ＣＮＹ" -> "30cny"); a character that would change length is kept as it is.

    >>> fold("Under ３０ ＣＮＹ")
    'under 30 cny'
    """
    out = []
    for char in text:
        normal = unicodedata.normalize("NFKC", char)
        normal = normal if len(normal) == 1 else char
        lower = normal.lower()
        out.append(lower if len(lower) == 1 else normal)
    return "".join(out)


@dataclass(frozen=True)
class Digits:
    """A run of digits as written: its value, how many decimals were written, and whether its
    separators were not valid grouping (then ``value`` is None)."""

    value: Decimal | None
    decimals: int


# A run of digits with its separators; validity is decided by ``read_digits``.
DIGITS_PATTERN = r"(?:(?<![0-9])[0-9]+(?:[.,][0-9]+)*|(?<![0-9])\.[0-9]+)"
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?\Z")
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
_SPACED = re.compile(r"[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?\Z")


def read_digits(text: str) -> Digits:
    """Read a run of digits: "1,000" and "1 000" (grouping), "29.90"; "1,00" is malformed.

    >>> read_digits("1 000").value, read_digits("29.90").decimals, read_digits("1,00").value
    (Decimal('1000'), 2, None)
    """
    if not (_SPACED.match(text) or _GROUPED.match(text) or _PLAIN.match(text)):
        return Digits(None, 0)
    plain = text.replace(",", "").replace(" ", "")
    return Digits(Decimal(plain), len(plain.partition(".")[2]))


# -- Chinese ------------------------------------------------------------------------------------

CN_DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_LEVELS = (("亿", 10**8), ("億", 10**8), ("万", 10**4), ("萬", 10**4))
_CN_CHARS = "零〇一二两兩三四五六七八九十百千万萬亿億"
# At most 24 characters: no real numeral is longer, and a bound keeps matching linear.
CHINESE_PATTERN = f"[{_CN_CHARS}](?:[{_CN_CHARS}点]{{0,22}}[{_CN_CHARS}])?"
MULTIPLIERS: dict[str, int] = {
    "k": 1000,
    "w": 10**4,
    "百": 100,
    "千": 1000,
    "万": 10**4,
    "亿": 10**8,
    "萬": 10**4,
    "億": 10**8,
    "hundred": 100,
    "thousand": 1000,
    "million": 10**6,
    "billion": 10**9,
}


def _section(text: str, higher: int) -> int | None:
    """A Chinese numeral below ten thousand; ``higher`` is the level written before it (for the
    short form "两万五", where a lone digit after 万 means 5000)."""
    if not text:
        return 0
    if len(text) == 1 and text in CN_DIGITS and higher > 1:
        return CN_DIGITS[text] * higher // 10
    value, digit, last_unit, zero = 0, None, 10**4, False
    for char in text:
        if char in CN_DIGITS:
            if CN_DIGITS[char] == 0:
                if digit is not None:
                    return None
                zero = True
                continue
            if digit is not None:
                return None
            digit = CN_DIGITS[char]
            continue
        if char not in _CN_UNITS:
            return None
        unit = _CN_UNITS[char]
        if unit >= last_unit:
            return None
        if digit is None:
            if unit != 10 or (value and not zero):
                return None
            digit = 1  # "十二" = 12, "一百零十" = 110
        value, digit, last_unit, zero = value + digit * unit, None, unit, False
    if digit is not None:
        # "三十五", "一百零五": ones; "一百五", "一千二": the short form, one place lower.
        value += digit if zero or last_unit in (10, 10**4) else digit * last_unit // 10
    return value


def chinese_number(text: str) -> Decimal | None:
    """A number in Chinese numerals, or None if it is not one.

    >>> [str(chinese_number(t)) for t in ("十二", "三十", "一千二", "两万五", "三点五", "一亿")]
    ['12', '30', '1200', '25000', '3.5', '100000000']
    >>> chinese_number("五五"), chinese_number("十十")
    (None, None)
    """
    whole, dot, fraction = text.partition("点")
    if not whole or (dot and not fraction) or "点" in fraction:
        return None
    if any(char not in CN_DIGITS for char in fraction):
        return None
    total, rest, higher = 0, whole, 1
    for char, level in _CN_LEVELS:
        if char in rest:
            head, _, rest = rest.partition(char)
            if char in rest or not head:
                return None
            value = _section(head, 1)
            if value is None or value == 0:
                return None
            total, higher = total + value * level, level
    if any(char not in CN_DIGITS and char not in _CN_UNITS for char in rest):
        return None
    tail = _section(rest, higher)
    if tail is None or (dot and higher > 1 and rest == ""):
        return None
    number = Decimal(total + tail)
    if dot:
        number += Decimal("0." + "".join(str(CN_DIGITS[c]) for c in fraction))
    return number


# -- English ------------------------------------------------------------------------------------

_ONES = (  # noqa: SIM905 - a word list reads best as words
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
EN_NUMBER_WORDS: dict[str, int] = {
    **{word: value for value, word in enumerate(_ONES)},
    **{word: 20 + 10 * index for index, word in enumerate(_TENS)},
}
_SCALES = {"thousand": 1000, "million": 10**6, "billion": 10**9}
_EN_WORD = "|".join(sorted([*EN_NUMBER_WORDS, "hundred", *_SCALES], key=len, reverse=True))
ENGLISH_PATTERN = (
    r"(?<![a-z])(?:(?:a|one)[\s-]+(?=hundred|thousand|million|billion))?(?:"
    + _EN_WORD
    + r")(?:(?:[\s-]+and)?[\s-]+(?:"
    + _EN_WORD
    + r"))*(?![a-z])"
)


def english_number(text: str) -> Decimal | None:
    """A whole number in English words, or None if the words are not one number.

    >>> english_number("twenty-five"), english_number("a thousand"), english_number("five six")
    (Decimal('25'), Decimal('1000'), None)
    """
    words = [w for w in re.split(r"[\s-]+", text.strip()) if w]
    if words[:1] == ["a"] and len(words) > 1:
        words[0] = "one"
    total, current, last, last_scale = 0, 0, "", 10**12
    for index, word in enumerate(words):
        if word == "and":
            if last not in ("hundred", "scale") or index == len(words) - 1:
                return None
            continue
        if word in EN_NUMBER_WORDS:
            value = EN_NUMBER_WORDS[word]
            joins_tens = last == "tens" and 0 < value < 10
            if last not in ("", "hundred", "scale") and not joins_tens:
                return None
            if value == 0 and (index or len(words) > 1):
                return None
            current += value
            last = "tens" if value >= 20 and value % 10 == 0 else "ones"
        elif word == "hundred":
            if last != "ones" or not 0 < current < 10:
                return None
            current, last = current * 100, "hundred"
        elif word in _SCALES:
            scale = _SCALES[word]
            if current == 0 or scale >= last_scale:
                return None
            total, current, last, last_scale = total + current * scale, 0, "scale", scale
        else:
            return None
    return Decimal(total + current) if last else None


def read_numeral(text: str) -> Decimal | None:
    """Any one written number (digits, Chinese or English), or None.

    >>> read_numeral("1,200"), read_numeral("一千二"), read_numeral("twelve hundred")
    (Decimal('1200'), Decimal('1200'), None)
    """
    if text[:1].isascii() and text[:1].isdigit():
        return read_digits(text).value
    if re.fullmatch(CHINESE_PATTERN, text):
        return chinese_number(text)
    return english_number(text)
