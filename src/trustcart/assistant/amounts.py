"""Money in a shopping request: "under 1,000 yuan", "¥88", "每杯不超过三十元", "80 CNY in total".

Strategy: one pattern (``amount_words``) finds each number with what surrounds it: a scope word
("each", "in total", "每杯", "总共"), a bound ("under", "at most", "不超过", "以内"), a currency
before or after ("¥", "RMB", "$", "元", "块钱", "美元") and a multiplier ("1.5k", "2w", "3千").
A phrase is an amount only with at least one of those; a bare number is not. Its value is read
exactly (``numerals``), checked, and becomes ``Money`` in a currency the catalog sells, or a
``ReadingProblem`` (a stable code and a question in English and Chinese). Nothing here raises on
odd text.

Rules:

- Currency: yuan/元/块/块钱/RMB/CNY/人民币/¥ are CNY (¥ is read as yuan, never yen); $, USD,
  dollars, 美元 are USD; €/EUR/欧元, £/GBP/英镑, yen/円/日元, HK$/港币 and the ISO codes Money
  knows likewise. No currency stated means the catalog's first currency. A stated currency the
  catalog does not sell is ``amount-currency-not-sold``: never converted, never relabelled.
  "pounds" and "won" are money only beside a bound or scope word ("under 5 pounds").
- Bound: under/below/less than/at most/no more than/up to/within/max/以内/以下/不超过/最多/低于
  make a cap (``AT_MOST``); a range "20-30元", "between 20 and 30 yuan" caps at its upper end;
  over/at least/以上/至少 are lower bounds (``AT_LEAST``): read so that their number is not taken
  for anything else, and left to the caller (trustcart has no minimum price). A price without a
  bound word ("¥88", "30 each") is ``STATED``; a caller caps at it.
- Scope: each/apiece/a piece/per cup/每杯/每件/单价/"30元一杯" mean per item (``EACH``);
  in total/total/altogether/budget/一共/总共/预算 the whole request (``TOTAL``); neither is
  ``UNSTATED``, which a caller reads as per item.
- A count is not a price: "at most 3 bags", "最多5杯" (a measure word follows), "up to 3 milk
  teas" (a bound that may count, no currency, a noun follows) and "within 30 minutes" (a unit
  follows) are no amounts. Number words ("thirty") need a currency or a price-only bound
  ("under"); "k" needs a currency or bound, "w" (万) a currency or Chinese words.
- Checks, in order: digits that cannot be read exactly ("1,00", ".5", "1e3", "29.999" with
  more decimals than the currency has, "$30 yuan") ``amount-unclear``; a foreign currency; zero
  or negative ``amount-not-positive``; above ``MAX_AMOUNT`` (1,000,000 in the currency's major
  unit: more than any one shopping request here, far inside what Money holds)
  ``amount-too-large``.
- A later usable amount of the same scope replaces an earlier one that could not be used: that
  is how an answer appended to the question is read ("under 30 USD" + "100 yuan"). Caps in two
  currencies are ``amount-currency-mixed``.

Simplified and traditional Chinese are both read (块/塊, 以内/以內, 不超过/不超過, 两万/兩萬).

>>> read = read_amounts("a pair of sunglasses under 1,000 yuan")
>>> str(read.readings[0].money), read.readings[0].bound.value
('1000.00 CNY', 'at-most')
>>> read_amounts("under 30 USD").problems[0].code.value
'amount-currency-not-sold'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trustcart.assistant.amount_words import (
    AMOUNT_PATTERN,
    AMOUNT_PATTERN_SPACED,
    AT_LEAST_POST,
    AT_LEAST_PRE,
    AT_MOST_COUNT,
    AT_MOST_PRICE,
    CURRENCY_NAMES_ZH,
    CURRENCY_WORDS,
    NOT_A_NOUN,
    TENTHS,
    TOTAL_POST,
    TOTAL_PRE,
    WEAK_CURRENCY,
)
from trustcart.assistant.numerals import (
    CN_DIGITS,
    MULTIPLIERS,
    ReadingCode,
    ReadingProblem,
    chinese_number,
    english_number,
    fold,
    read_digits,
)
from trustcart.assistant.quantities import MEASURE_AFTER_NUMBER, NOT_A_COUNT
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money, currency_exponent

MAX_AMOUNT = Decimal(1_000_000)


class Bound(StrEnum):
    AT_MOST = "at-most"
    AT_LEAST = "at-least"
    STATED = "stated"


class Scope(StrEnum):
    EACH = "each"
    TOTAL = "total"
    UNSTATED = "unstated"


@dataclass(frozen=True)
class AmountReading:
    """One usable amount: positive Money in a catalog currency, its bound, scope and span."""

    money: Money
    bound: Bound
    scope: Scope
    span: tuple[int, int]
    text: str

    def __post_init__(self) -> None:
        if self.money.minor <= 0 or not 0 <= self.span[0] < self.span[1]:
            raise ValidationError("an amount reading is positive and has a span")


@dataclass(frozen=True)
class AmountsRead:
    """Every amount phrase of a text: the usable ones, the problems, and the spans of all
    (lower bounds included), so that a caller can take them out of the text."""

    readings: tuple[AmountReading, ...]
    problems: tuple[ReadingProblem, ...]
    spans: tuple[tuple[int, int], ...]

    def cap(self, scope: Scope) -> Money | None:
        """The smallest cap for ``EACH`` (with ``UNSTATED``) or ``TOTAL``: every cap holds.

        >>> str(read_amounts("under 30 each, at most 25, 80 in total").cap(Scope.EACH))
        '25.00 CNY'
        """
        wanted = (scope,) if scope is Scope.TOTAL else (Scope.EACH, Scope.UNSTATED)
        caps = [
            r.money for r in self.readings if r.bound is not Bound.AT_LEAST and r.scope in wanted
        ]
        return min(caps, key=lambda money: money.minor) if caps else None


_TEXTS = {
    ReadingCode.AMOUNT_CURRENCY_NOT_SOLD: (
        "You said “{text}” ({currency}), but prices here are in {catalog} and I do not convert "
        "currencies. What is the most you want to pay in {catalog}?",
        "您说的是“{text}”（{currency}），但这里的价格以{catalog_zh}计，我不做货币换算。"
        "您最多愿意付多少{catalog_zh}？",
    ),
    ReadingCode.AMOUNT_NOT_POSITIVE: (
        "“{text}” cannot be a price limit: it must be more than zero. What is the most you want "
        "to pay?",
        "“{text}”不能作为价格上限：必须大于零。您最多愿意付多少钱？",
    ),
    ReadingCode.AMOUNT_TOO_LARGE: (
        "“{text}” is more than I may spend on one request (at most {limit}). What is the most "
        "you want to pay?",
        "“{text}”超过了单次购物的上限（最多 {limit}）。您最多愿意付多少钱？",
    ),
    ReadingCode.AMOUNT_UNCLEAR: (
        "I could not read “{text}” as an amount. What is the most you want to pay, written "
        "like 30, 29.90 or 1,000?",
        "我没看懂金额“{text}”。您最多愿意付多少钱？请写成 30、29.90 或 1000 这样。",
    ),
    ReadingCode.AMOUNT_CURRENCY_MIXED: (
        "Your price limits are in {currencies}: which currency should I use?",
        "您给的价格上限用了{currencies}：按哪一种货币？",
    ),
}


def _problem(code: ReadingCode, span: tuple[int, int], text: str, **values: str) -> ReadingProblem:
    english, chinese = _TEXTS[code]
    return ReadingProblem(
        code, span, text, english.format(text=text, **values), chinese.format(text=text, **values)
    )


def _value(text: str) -> Decimal | None:
    if text[:1].isdigit():
        return read_digits(text).value
    return english_number(text) if text[:1].isascii() else chinese_number(text)


def _digit(char: str) -> Decimal:
    return Decimal(char) if char.isdigit() else Decimal(CN_DIGITS[char])


def _bound(match: re.Match[str]) -> Bound:
    before, after = match.group("bound_pre") or "", match.group("bound_post") or ""
    if match.group("low"):
        return Bound.AT_MOST
    if before in AT_LEAST_PRE or after in AT_LEAST_POST:
        return Bound.AT_LEAST
    return Bound.AT_MOST if before or after else Bound.STATED


def _scope(match: re.Match[str]) -> Scope:
    word = match.group("scope_pre") or match.group("scope_post")
    if not word:
        return Scope.UNSTATED
    return Scope.TOTAL if word in TOTAL_PRE or word in TOTAL_POST else Scope.EACH


def _is_amount(match: re.Match[str], text: str) -> bool:
    """Whether the words around the number make it money (see the module's rules)."""
    group = match.group
    currency_word = group("currency_pre") or group("currency_post") or ""
    currency = currency_word or group("jiao")
    bound = group("bound_pre") or group("bound_post") or group("between")
    scope = group("scope_pre") or group("scope_post")
    number = group("number")
    chinese_words = bool(re.search(r"[\u3400-\u9fff]", group(0)))
    if not (currency or bound or scope):
        return False
    if group("multiplier") == "k" and not (currency or bound):
        return False
    if group("multiplier") == "w" and not (currency or chinese_words):
        return False  # "65w" is watts in English
    if currency_word in WEAK_CURRENCY and not (bound or scope):
        return False
    if group("currency_post") in ("块", "塊") and not (bound or scope or group("jiao")):
        following = text[match.end() : match.end() + 1]
        if re.match(r"[\u3400-\u9fff]", following) and following not in "的钱":
            return False  # "两块蛋糕": a measure word, not money
    if currency:
        return True
    if not bound and (not number[:1].isdigit() or (not group("scope_pre") and chinese_words)):
        return False  # "30 each" is a price; "一千零一杯" is a count, not 1000 per cup
    number_end = match.end("multiplier") if group("multiplier") else match.end("number")
    if NOT_A_COUNT.match(text, number_end) or MEASURE_AFTER_NUMBER.match(text, number_end):
        return False
    if re.match(r"\s*/\s*[0-9]", text[number_end:]):
        return False  # a fraction or a size: "3-3/4"
    if number[:1].isascii() and number[:1].isalpha():
        return (group("bound_pre") or "") in AT_MOST_PRICE  # "under thirty"; not "at most three"
    if (group("bound_pre") or "") in AT_MOST_COUNT and not scope:
        word = re.match(r"\s*([a-z]+)", text[match.end() :])
        return word is None or word.group(1) in NOT_A_NOUN  # "up to 3 milk teas" is a count
    return True


def _evaluate(
    match: re.Match[str], text: str, currencies: tuple[str, ...]
) -> AmountReading | ReadingProblem:
    group, span, phrase = match.group, match.span(), match.group(0)
    glued = re.match(r"[a-z0-9]+", text[match.end() :])
    if match.end() == match.end("number") and glued:  # "under 1e3", "under 30x"
        span = (span[0], match.end() + glued.end())
        return _problem(ReadingCode.AMOUNT_UNCLEAR, span, text[span[0] : span[1]])
    stated = {CURRENCY_WORDS[w] for w in (group("currency_pre"), group("currency_post")) if w}
    if group("jiao"):
        stated.add("CNY")
    if len(stated) > 1:
        return _problem(ReadingCode.AMOUNT_UNCLEAR, span, phrase)
    currency = stated.pop() if stated else currencies[0]
    if currency not in currencies:
        return _problem(
            ReadingCode.AMOUNT_CURRENCY_NOT_SOLD,
            span,
            phrase,
            currency=currency,
            catalog="/".join(currencies),
            catalog_zh="/".join(CURRENCY_NAMES_ZH.get(c, c) for c in currencies),
        )
    number = group("number")
    value = _value(number)
    low = _value(group("low")) if group("low") else None
    if value is None or (group("low") and (low is None or low > value)):
        return _problem(ReadingCode.AMOUNT_UNCLEAR, span, phrase)
    decimals = read_digits(number).decimals if number[:1].isdigit() else 0
    if group("multiplier"):
        value *= MULTIPLIERS[group("multiplier").strip()]
        decimals = 0
    if group("jiao"):
        value += _digit(group("jiao")) / 10 + _digit(group("fen") or "0") / 100
    if group("currency_post") in TENTHS:
        value /= 10
        decimals = max(0, decimals - 1)
    if group("sign"):
        value = -value
    exponent = currency_exponent(currency)
    if value <= 0:
        return _problem(ReadingCode.AMOUNT_NOT_POSITIVE, span, phrase)
    if value > MAX_AMOUNT:
        limit = f"{MAX_AMOUNT:,} {currency}"
        return _problem(ReadingCode.AMOUNT_TOO_LARGE, span, phrase, limit=limit)
    scaled = value.scaleb(exponent)
    if decimals > exponent or scaled != scaled.to_integral_value():
        return _problem(ReadingCode.AMOUNT_UNCLEAR, span, phrase)
    return AmountReading(Money(int(scaled), currency), _bound(match), _scope(match), span, phrase)


def _matches(text: str) -> list[re.Match[str]]:
    """Every amount phrase, left to right; "1 000" groups only beside a currency or bound."""
    found: list[re.Match[str]] = []
    position = plain_until = 0  # before plain_until, "1 000" was tried and is no grouping
    while True:
        match = AMOUNT_PATTERN.search(text, position) if position < plain_until else None
        if match is None or match.start() >= plain_until:
            start = position if match is None else match.start()
            match = AMOUNT_PATTERN_SPACED.search(text, max(start, plain_until))
        if match is None:
            break
        spaced = " " in match.group("number") and match.group("number")[0].isdigit()
        beside = match.group("currency_pre") or match.group("currency_post")
        if spaced and not (beside or _bound(match) is not Bound.STATED):
            plain_until, position = match.end("number"), match.start()
            continue
        if _is_amount(match, text):
            found.append(match)
            position = match.end()
        else:  # no later part of the same number is money either ("一千零一杯", "3 bags")
            position = max(match.start() + 1, match.end("number"))
    return found


def read_amounts(text: str, currencies: Sequence[str] = ("CNY",)) -> AmountsRead:
    """Every amount phrase in ``text`` (NFKC-normalized; case does not matter).

    ``currencies`` are those the catalog sells, the first being the one meant when none is
    stated; each must be one Money knows (else ``MoneyError``: the caller's mistake, not the
    text's). Never raises on the text.

    >>> [str(r.money) for r in read_amounts("每杯不超过三十元，总共一百五十块").readings]
    ['30.00 CNY', '150.00 CNY']
    >>> [p.code.value for p in read_amounts("under -5, under 99999999999999999999 yuan").problems]
    ['amount-not-positive', 'amount-too-large']
    """
    catalog = tuple(currencies)
    if not catalog:
        raise ValidationError("the catalog sells in at least one currency")
    for currency in catalog:
        currency_exponent(currency)
    folded = fold(text)
    found = [(_evaluate(match, folded, catalog), match) for match in _matches(folded)]
    readings = [item for item, _ in found if isinstance(item, AmountReading)]
    caps = [r for r in readings if r.bound is not Bound.AT_LEAST]
    problems = []
    for item, match in found:
        if isinstance(item, AmountReading) or _bound(match) is Bound.AT_LEAST:
            continue  # a lower bound is not used, so neither is it asked about
        scope = _scope(match)
        replaced = any(
            later.span[0] >= item.span[1]
            and (later.scope is scope or Scope.UNSTATED in (later.scope, scope))
            for later in caps
        )
        if not replaced:
            problems.append(item)
    used = sorted({reading.money.currency for reading in caps})
    if len(used) > 1:
        span = (caps[0].span[0], caps[-1].span[1])
        phrase = folded[span[0] : span[1]]
        currencies_text = " / ".join(used)
        problems.append(
            _problem(ReadingCode.AMOUNT_CURRENCY_MIXED, span, phrase, currencies=currencies_text)
        )
    return AmountsRead(tuple(readings), tuple(problems), tuple(item.span for item, _ in found))
