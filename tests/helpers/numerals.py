"""Writing numbers the way people do, for property tests of the readers (an independent
renderer: it shares no code with ``trustcart.assistant.numerals``)."""

from __future__ import annotations

import re

_CN = "零一二三四五六七八九"
_EN_ONES = (  # noqa: SIM905 - a word list reads best as words
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905


def _chinese_below_10000(n: int, *, leading: bool) -> str:
    """0 < n < 10000; ``leading`` says nothing is written before it (no leading 零)."""
    out = ""
    zero = False
    for unit, place in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = n // place % 10
        if digit == 0:
            zero = bool(out) or not leading
            continue
        if zero:
            out += "零"
        zero = False
        out += _CN[digit] + unit
    return out


def chinese(n: int, *, liang: bool = False) -> str:
    """Standard Chinese numerals: 12 -> 十二, 105 -> 一百零五, 20000 -> 二万 (两万 with liang).

    >>> [chinese(n) for n in (0, 10, 12, 30, 105, 1200, 10005, 1_0000_0000)]
    ['零', '十', '十二', '三十', '一百零五', '一千二百', '一万零五', '一亿']
    """
    if n == 0:
        return "零"
    parts: list[str] = []
    rest = n
    for unit, size in (("亿", 10**8), ("万", 10**4), ("", 1)):
        section, rest = divmod(rest, size)
        if section:
            parts.append(_chinese_below_10000(section, leading=not parts) + unit)
        elif parts and rest:
            parts.append("零")
    text = "".join(parts)
    while "零零" in text:
        text = text.replace("零零", "零")
    text = text.removesuffix("零")
    if text.startswith("一十"):
        text = text[1:]  # 十二, 十万: the leading 一 is not said
    if liang:
        text = re.sub("(?<!十)二(?=[百千万亿])", "两", text)
    return text


def chinese_short(n: int) -> str | None:
    """The spoken short form where one exists: 150 -> 一百五, 1200 -> 一千二, 25000 -> 两万五."""
    for unit, place in (("万", 10**4), ("千", 1000), ("百", 100)):
        head, rest = divmod(n, place)
        if 1 <= head <= 9 and rest and rest % (place // 10) == 0 and rest < place:
            lead = "两" if head == 2 else _CN[head]
            return lead + unit + _CN[rest // (place // 10)]
    return None


def english(n: int) -> str:
    """English words: 25 -> twenty-five, 150 -> one hundred and fifty.

    >>> [english(n) for n in (7, 25, 150, 1200, 1_000_000)]
    ['seven', 'twenty-five', 'one hundred and fifty', 'one thousand two hundred', 'one million']
    """
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _EN_ONES[hundreds] + " hundred" + (f" and {english(rest)}" if rest else "")
    for word, size in (("billion", 10**9), ("million", 10**6), ("thousand", 1000)):
        if n >= size:
            head, rest = divmod(n, size)
            return english(head) + f" {word}" + (f" {english(rest)}" if rest else "")
    raise AssertionError(n)  # pragma: no cover


def grouped(digits: str, separator: str) -> str:
    """'1234567' -> '1,234,567' (or with spaces)."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)
