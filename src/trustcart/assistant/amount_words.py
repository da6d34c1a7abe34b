"""The words around a number that make it money (EN + 中文), and the pattern built from them.

Read by ``amounts``, which holds the rules; this module only lists the words. Every list is
matched longest phrase first, and Latin words only between non-letters ("usd" is not in
"usdc", "over" not in "hangover"). Text is lower case and NFKC-normalized before matching, so
"US$" is "us$" and "￥" is "¥".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trustcart.assistant.numerals import (
    CHINESE_PATTERN,
    CN_DIGITS,
    DIGITS_PATTERN,
    ENGLISH_PATTERN,
)
from trustcart.assistant.quantities import CN_CLASSIFIERS, MEASURE_WORDS
from trustcart.core.money import CURRENCY_EXPONENTS


def _words(text: str) -> tuple[str, ...]:
    """A word list written as "a|b|c" (phrases may hold spaces)."""
    return tuple(word.strip() for word in text.split("|") if word.strip())


def _each(words: Iterable[str], currency: str) -> dict[str, str]:
    return dict.fromkeys(words, currency)


# Currency words -> ISO 4217 code. ¥ is yuan here (yen must be written yen/円/日元/JPY).
# Codes Money does not know (BTC, USDC) are listed so that they are asked about, not dropped.
CURRENCY_WORDS: dict[str, str] = {
    **{code.lower(): code for code in CURRENCY_EXPONENTS},
    **_each(_words("yuan|rmb|kuai|renminbi|元|块|块钱|圆|人民币|元人民币|毛|毛钱|角"), "CNY"),
    **_each(_words("塊|塊錢|人民幣|元人民幣"), "CNY"),
    **_each(_words("¥|￥|cn¥"), "CNY"),
    **_each(_words("$|us$|dollar|dollars|bucks|美元|美金"), "USD"),
    **_each(_words("€|euro|euros|欧元|歐元"), "EUR"),
    **_each(_words("£|pound|pounds|quid|英镑|英鎊"), "GBP"),
    **_each(_words("yen|円|日元|日币"), "JPY"),
    **_each(_words("₩|won|韩元"), "KRW"),
    **_each(_words("hk$|港币|港元|港幣"), "HKD"),
    **_each(_words("nt$|台币|新台币"), "TWD"),
    **_each(_words("s$|新币|新加坡元"), "SGD"),
    **_each(_words("a$|au$|澳元|澳币"), "AUD"),
    **_each(_words("c$|ca$|加元|加币"), "CAD"),
    **_each(_words("₹|rupee|rupees|卢比"), "INR"),
    **_each(_words("btc|bitcoin|bitcoins|比特币"), "BTC"),
    **_each(_words("₽|rub|ruble|rubles|rouble|roubles|卢布"), "RUB"),
    **_each(_words("usdc"), "USDC"),
    **_each(_words("usdt"), "USDT"),
    **_each(_words("eth"), "ETH"),
}
POST_ONLY_CURRENCY = frozenset(_words("元|块|块钱|圆|元人民币|毛|毛钱|角|塊|塊錢|元人民幣"))
WEAK_CURRENCY = frozenset(_words("pound|pounds|won"))  # money only beside a bound or scope word
TENTHS = frozenset(_words("毛|毛钱|角"))  # 五毛 = 0.50 CNY
CURRENCY_NAMES_ZH = {"CNY": "人民币", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元"}

# Caps that are about price only, and caps that may also bound a count ("up to 3 milk teas").
AT_MOST_PRICE = _words(
    "under|below|cheaper than|lower than|no higher than|not over|not above|not exceeding|"
    "not to exceed|within|<|<=|≤|≦|不超过|不要超过|不能超过|别超过|不得超过|不高于|不大于|低于|"
    "小于|最高|控制在|上限|不超過|不要超過|不能超過|別超過|不高於|低於|小於"
)
AT_MOST_COUNT = _words(
    "up to|at most|at the most|no more than|not more than|max|maximum|max of|maximum of|"
    "a max of|a maximum of|less than|最多|至多|顶多|不多于|少于|頂多|少於"
)
AT_MOST_POST = _words(
    "or less|or under|or below|or cheaper|or lower|and under|and below|max|maximum|at most|"
    "at the most|tops|以内|之内|以下|或以下|及以下|内|封顶|为限|以內|之內|內"
)
AT_LEAST_PRE = _words(
    "at least|no less than|not less than|more than|over|above|minimum|a minimum of|"
    "starting at|more expensive than|>|>=|≥|至少|最少|不低于|不少于|高于|超过|多于|大于|起码|"
    "不低於|高於|超過"
)
AT_LEAST_POST = _words("or more|and up|and above|or above|and over|or over|以上|或以上|及以上|起")

_NOUNS = (*MEASURE_WORDS, "one", "drink", "glass", "person")
_CLASSIFIERS = CN_CLASSIFIERS.replace("块", "").replace("塊", "")  # 一块 is one yuan
# "each one" is not a leading scope word: "each one hundred yuan" is 100 each.
EACH_PRE = (
    *_words("each|for each|单价|單價"),
    *(f"{lead} {noun}" for lead in ("per", "each") for noun in _NOUNS if noun != "one"),
    *(f"{lead}{c}" for lead in "每一" for c in _CLASSIFIERS),
)
EACH_POST = (
    *_words("each|apiece|a pop|each one|for each|for one"),
    *(f"{lead} {noun}" for lead in ("per", "a") for noun in _NOUNS),
    *(f"/{noun}" for noun in _NOUNS),
    *(f"{lead}{c}" for lead in "每一/" for c in _CLASSIFIERS),
)
TOTAL_PRE = _words(
    "in total|a total of|total of|total|total budget of|total budget|a budget of|budget of|"
    "budget|overall|altogether|all in|all together|combined|in all|spend|spending|总共|一共|"
    "总计|总额|总价|合计|共计|预算|总预算|加起来|全部|总花费|总金额|總共|總計|預算|合計|總價"
)
TOTAL_POST = _words(
    "in total|total|overall|altogether|all in|all together|combined|in all|for everything|"
    "for all|for both|for all of them|for the lot|total budget|budget|总共|总计|总价|预算"
)
# Words that may follow "at most 300" without making it a count ("at most 3 teas" is one).
NOT_A_NOUN = frozenset(
    _words(
        "and|or|for|from|with|please|pls|thanks|thank|delivered|delivery|near|at|in|on|by|"
        "this|today|tonight|tomorrow|if|but|so|then|ok|okay|only|is|would|will|to|without|no|not"
    )
)


def _alternation(words: Iterable[str]) -> str:
    """Longest first; Latin words bounded by non-letters, symbols and Chinese as they are."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        escaped = re.escape(word)
        if word[:1].isascii() and word[:1].isalpha():
            escaped = r"(?<![a-z])" + escaped
        if word[-1:].isascii() and word[-1:].isalpha():
            escaped += r"(?![a-z])"
        parts.append(escaped)
    return "|".join(parts)


# A Chinese number stops before a classifier, so that "一百一杯" is 100 for 一杯 (per cup).
_CHINESE = CHINESE_PATTERN + "(?![" + _CLASSIFIERS + "])"
_NUMBER = "(?:" + DIGITS_PATTERN + "|" + _CHINESE + "|" + ENGLISH_PATTERN + ")"
_LOW = "(?:" + DIGITS_PATTERN + "|" + CHINESE_PATTERN + ")"  # "twenty-five" is no range
# "1 000": read only beside a currency or a bound (see ``amounts``)
_SPACED = r"[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?(?![0-9])"
_CN_DIGIT = "[0-9" + "".join(CN_DIGITS) + "]"
_FILLER = r"(?:\s*(?:of|is|:|=|must be|should be|是|在|为|要|花|控制在))?"


def _amount_pattern(number: str) -> re.Pattern[str]:
    pre_currency = _alternation(w for w in CURRENCY_WORDS if w not in POST_ONLY_CURRENCY)
    any_currency = _alternation(CURRENCY_WORDS)
    return re.compile(
        r"(?:(?P<scope_pre>" + _alternation([*EACH_PRE, *TOTAL_PRE]) + ")" + _FILLER + r"\s*)?"
        r"(?:(?P<bound_pre>"
        + _alternation([*AT_MOST_PRICE, *AT_MOST_COUNT, *AT_LEAST_PRE])
        + r")\s*)?"
        r"(?:(?P<between>between|from)\s+)?"
        r"(?:(?P<currency_pre>" + pre_currency + r")\s*)?"
        r"(?P<sign>[-−]\s*|负|minus\s+)?"
        r"(?:(?P<low>" + _LOW + r")\s*(?:" + any_currency + r")?\s*"
        r"(?:-|–|—|~|～|到|至|(?<![a-z])to(?![a-z])|(?(between)and|(?!)))\s*"
        r"(?:" + pre_currency + r")?\s*)?"
        r"(?P<number>" + number + ")"
        r"(?P<multiplier>(?:k|w)(?![a-z])|[百千万亿]|\s?(?:hundred|thousand|million|billion)"
        r"(?![a-z]))?"
        r"(?:\s*(?P<currency_post>" + any_currency + "))?"
        r"(?:(?<=[块元塊])(?P<jiao>" + _CN_DIGIT + r")(?:[毛角](?P<fen>" + _CN_DIGIT + r")?分?)?"
        r"(?![0-9" + CN_CLASSIFIERS + "]))?"
        r"(?:\s*(?P<bound_post>" + _alternation([*AT_MOST_POST, *AT_LEAST_POST]) + "))?"
        r"(?:\s*(?P<scope_post>" + _alternation([*EACH_POST, *TOTAL_POST]) + "))?"
    )


AMOUNT_PATTERN = _amount_pattern(_NUMBER)
AMOUNT_PATTERN_SPACED = _amount_pattern("(?:" + _SPACED + "|" + _NUMBER + ")")
