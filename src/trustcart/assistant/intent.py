"""Intent structuring (ACT ADD-INT-ICS), deterministic: a message in, an ``IntentDraft`` out.

Strategy: normalize (NFKC, lower case), take out the phrases whose meaning does not depend on
an item (delivery time, price caps read by ``amounts``, merchants, delegation words), read the
counts (``quantities``), then find the items with the catalog's own words (``catalog_words``:
its vocabulary, then the lexicon's synonyms; the lexicon alone without one; longest phrase
first) and give each item the count and attributes written in its own stretch of the sentence
(stretches are cut at the last separator between two items: "a black t-shirt, size M, and a
white cap"). What cannot be settled becomes a question (``questions``) rather than a guess: no
item, a T-shirt without a size, "the cheap one" with nothing shown, "a hat or sunglasses", a
standing order without a budget, an amount or count that cannot be used as written.

It never raises on odd input; ``isr_draft.build_isr`` turns a complete draft into the ISR the person
confirms. An LLM back end may produce the same draft better (``assistant.llm``); the checks
after it are the same.

>>> parse_intent("order me a pearl milk tea under 30 CNY").item
'pearl milk tea'
>>> parse_intent("两件M码的黑色T恤，每件不超过100元").items[0].attributes
(('colour', 'black'), ('size', 'M'))
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise

from trustcart.assistant.amounts import Scope, read_amounts
from trustcart.assistant.catalog_words import CatalogWords
from trustcart.assistant.intent_words import Mention, attributes_in, find_items, free_text_item
from trustcart.assistant.numerals import ReadingProblem
from trustcart.assistant.quantities import (
    QuantityReading,
    count_for_free_text,
    count_for_item,
    read_quantities,
)
from trustcart.assistant.questions import Question, ask, from_problem
from trustcart.core.money import Money

_DELIVERY_PATTERNS = (
    (re.compile(r"(?:within|in|under)\s*(\d{1,3})\s*(?:min(?:ute)?s?)\b", re.I), 1),
    (re.compile(r"(\d{1,3})\s*分钟\s*(?:内|以内|之内|送达|到)"), 1),
    (re.compile(r"(?:within|in) (?:an|one|1) hour", re.I), 60),
    (re.compile(r"一(?:个)?小时(?:内|以内|之内)"), 60),
)
_PERIODS = (
    (
        re.compile(
            r"this week|per week|every week|weekly|each week|本周|这周|每周|每星期|一周内", re.I
        ),
        timedelta(days=7),
    ),
    (
        re.compile(r"this month|monthly|every month|per month|本月|这个月|每月", re.I),
        timedelta(days=30),
    ),
    (re.compile(r"today|tonight|今天|今晚", re.I), timedelta(days=1)),
)
_RECURRING = re.compile(
    r"every|weekly|monthly|each (?:week|month|day)|daily|每周|每月|每天|每星期", re.I
)
_DELEGATION_HINTS = re.compile(
    r"up to \d+|pre-?authori[sz]e|without asking|don'?t ask|no need to ask|every week|this week|"
    r"weekly|monthly|every month|each time|daily|every day|on my behalf|"
    r"最多\s*[一两二三四五六七八九十\d]+|本周|每周|每月|每天|不用问|不必问|直接买|自动",
    re.I,
)
_PREFERENCES = (
    (
        re.compile(r"cheapest|cheap|lowest price|best price|budget|便宜|最低价|实惠", re.I),
        "cheapest",
    ),
    (re.compile(r"closest|nearest|nearby|最近|离我近", re.I), "closest"),
    (re.compile(r"fastest|quickest|asap|as soon as possible|最快|尽快|马上", re.I), "fastest"),
)
_NEAR = re.compile(r"near (?:me|here|west lake|the lake)|nearby|around here|附近|西湖|周边", re.I)
_NEGATION = re.compile(
    r"(?:not|no|except|avoid|without|but not|anything but|不要|别|不去|除了|"
    r"不买)\s*(?:from|at|in|the)?\s*$",
    re.I,
)


@dataclass(frozen=True)
class ItemRequest:
    """One line of what was asked: words to search with, category, quantity, attributes.
    ``generic``: named by its category ("a hat"), so any product of the category is one."""

    description: str
    category: str | None
    quantity: int
    attributes: tuple[tuple[str, str], ...] = ()
    generic: bool = False

    def attribute(self, name: str) -> str | None:
        return dict(self.attributes).get(name)

    def to_json(self) -> dict[str, object]:
        return {
            "description": self.description,
            "category": self.category,
            "quantity": self.quantity,
            "attributes": dict(self.attributes),
        }


@dataclass(frozen=True)
class IntentDraft:
    """What the words said. ``missing`` names what must be asked before buying."""

    text: str
    item: str | None
    category: str | None
    quantity: int
    max_unit_price: Money | None
    max_total: Money | None
    period: timedelta | None
    delegated: bool
    currency: str = "CNY"
    missing: tuple[str, ...] = field(default=())
    items: tuple[ItemRequest, ...] = ()
    questions: tuple[Question, ...] = ()
    allowed_merchants: tuple[str, ...] = ()
    forbidden_merchants: tuple[str, ...] = ()
    max_delivery_minutes: int | None = None
    near: bool = False
    recurring: bool = False
    preference: str | None = None
    language: str = "en"
    max_quantity: int | None = None
    forbidden_brands: tuple[str, ...] = ()  # set in a conversation ("not that brand")

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_json(self) -> dict[str, object]:
        """The structured intent as ``chat --once --json`` prints it."""
        return {
            "text": self.text,
            "language": self.language,
            "items": [item.to_json() for item in self.items],
            "max_unit_price": None
            if self.max_unit_price is None
            else self.max_unit_price.to_json(),
            "max_total": None if self.max_total is None else self.max_total.to_json(),
            "delegation": {
                "delegated": self.delegated,
                "recurring": self.recurring,
                "period_days": None if self.period is None else self.period.days,
                "max_quantity": self.max_quantity if self.delegated else None,
            },
            "merchants": {
                "allowed": list(self.allowed_merchants),
                "forbidden": list(self.forbidden_merchants),
            },
            "brands": {"forbidden": list(self.forbidden_brands)},
            "near": self.near,
            "max_delivery_minutes": self.max_delivery_minutes,
            "preference": self.preference,
            "missing": list(self.missing),
        }


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text with each span replaced by spaces (offsets stay valid)."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _merchant_names(name: str) -> tuple[str, ...]:
    """'Leaf & Cup 叶与杯' -> ('leaf & cup', 'leaf and cup', '叶与杯')."""
    latin = re.sub(r"[\u3400-\u9fff]+", " ", name).strip().lower()
    cjk = "".join(re.findall(r"[\u3400-\u9fff]+", name))
    names = {n for n in (latin, latin.replace("&", "and"), cjk) if len(n) >= 2}
    return tuple(sorted(names, key=len, reverse=True))


def _merchants(
    text: str, merchants: Sequence[tuple[str, str]]
) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    allowed: list[str] = []
    forbidden: list[str] = []
    for merchant_id, name in merchants:
        for phrase in _merchant_names(name):
            index = text.find(phrase)
            if index < 0:
                continue
            before = text[max(0, index - 16) : index]
            (forbidden if _NEGATION.search(before) else allowed).append(merchant_id)
            text = text.replace(phrase, " " * len(phrase))
            break
    return tuple(allowed), tuple(forbidden), text


def parse_intent(
    text: str,
    currency: str = "CNY",
    *,
    merchants: Sequence[tuple[str, str]] = (),
    options_shown: bool = False,
    words: CatalogWords | None = None,
) -> IntentDraft:
    """Parse one message. Never raises on odd input: what is unclear becomes a question.

    ``merchants`` are (merchant_id, display name) pairs to recognize preferences ("from Leaf &
    Cup", "不要波波茶"); ``options_shown`` says whether "the cheap one" can refer to anything;
    ``words`` are the catalog's item words (``CatalogWords.from_vocabulary``), else the lexicon.
    """
    normalized = unicodedata.normalize("NFKC", text)
    lowered = normalized.lower()
    language = "zh" if re.search(r"[\u3400-\u9fff]", normalized) else "en"
    rest = lowered
    minutes: int | None = None
    for pattern, scale in _DELIVERY_PATTERNS:  # first: "within 30 minutes" is not a price
        match = pattern.search(rest)
        if match:
            minutes = int(match.group(1)) if match.groups() else scale
            rest = pattern.sub(lambda m: " " * len(m.group(0)), rest)
            break
    amounts = read_amounts(rest, (currency,))  # before counts: "under 30" is no quantity
    rest = _blank(rest, amounts.spans)
    allowed, forbidden, rest = _merchants(rest, merchants)
    delegated = bool(_DELEGATION_HINTS.search(rest))  # "up to 30 yuan" is a price, not a count
    recurring = bool(_RECURRING.search(lowered))
    period = next((delta for pattern, delta in _PERIODS if pattern.search(lowered)), None)
    preference = next((name for pattern, name in _PREFERENCES if pattern.search(lowered)), None)
    # The original case tells a size "M" from the word "m"; offsets agree unless lower() changed
    # the length (rare letters such as "İ"), and then case is simply not used.
    original = normalized if len(normalized) == len(lowered) else lowered
    counts = read_quantities(rest)
    mentions = find_items(rest, words)
    items, problems = _items(rest, original, mentions, counts, words)
    if not items:
        free_count = count_for_free_text(counts, rest)
        spans = () if free_count is None else (free_count.span,)
        free = free_text_item(_blank(rest, spans))  # "2 bags of dry cat food" -> "dry cat food"
        if free is not None:
            items = [ItemRequest(free, None, _count(free_count, 0, problems, free), ())]
    max_quantity = None
    up_to = next((reading for reading in counts if reading.at_most), None)
    if up_to is not None and len(items) == 1:
        max_quantity = _count(up_to, 0, problems, items[0].description)
        only = items[0]
        items = [
            ItemRequest(
                only.description, only.category, max_quantity, only.attributes, only.generic
            )
        ]
    max_unit = amounts.cap(Scope.EACH)
    max_total = amounts.cap(Scope.TOTAL)
    if max_unit is not None:
        currency = max_unit.currency
    elif max_total is not None:
        currency = max_total.currency
    quantity = sum(item.quantity for item in items) if items else 1
    if max_total is None and max_unit is not None:
        max_total = max_unit * quantity
    if (
        max_unit is not None
        and max_total is not None
        and max_unit.currency == max_total.currency
        and max_unit > max_total
    ):
        max_unit = max_total  # "under 30 each, 20 in total": the total binds every item too
    located = len(lowered) == len(text)  # else spans do not point into the person's text
    read_problems = tuple(
        from_problem(problem, language, index, located=located)
        for problem, index in [*((p, None) for p in amounts.problems), *problems]
    )
    questions = read_problems + ask(
        lowered,
        rest,
        mentions,
        items,
        delegated=delegated,
        has_budget=max_total is not None,
        options_shown=options_shown,
        language=language,
        located=located,
    )
    first = items[0] if items else None
    return IntentDraft(
        text=text,
        item=first.description if first else None,
        category=first.category if first else None,
        quantity=quantity,
        max_unit_price=max_unit,
        max_total=max_total,
        period=period,
        delegated=delegated,
        currency=currency,
        missing=tuple(q.code for q in questions),
        items=tuple(items),
        questions=questions,
        allowed_merchants=allowed,
        forbidden_merchants=forbidden,
        max_delivery_minutes=minutes,
        near=bool(_NEAR.search(lowered)),
        recurring=recurring,
        preference=preference,
        language=language,
        max_quantity=max_quantity,
    )


def _count(
    reading: QuantityReading | None,
    index: int,
    problems: list[tuple[ReadingProblem, int | None]],
    item: str | None = None,
) -> int:
    """The count read for item ``index`` (1 if none was written); a count that cannot be
    ordered ("0", "99999999999999999999") is recorded as a problem, never replaced silently."""
    if reading is None:
        return 1
    if reading.count is None:
        problem = reading.problem_for(item)
        if problem is not None and all(p.span != problem.span for p, _ in problems):
            problems.append((problem, index))
        return 1  # a placeholder: the question stops the purchase until it is answered
    return reading.count


def _items(
    rest: str,
    original: str,
    mentions: list[Mention],
    counts: tuple[QuantityReading, ...],
    words: CatalogWords | None = None,
) -> tuple[list[ItemRequest], list[tuple[ReadingProblem, int | None]]]:
    """Each mention with the quantity and attributes of its own stretch of the sentence."""
    items: list[ItemRequest] = []
    problems: list[tuple[ReadingProblem, int | None]] = []
    bounds = _stretches(rest, mentions)
    for index, (mention, (start, end)) in enumerate(zip(mentions, bounds, strict=True)):
        reading = count_for_item(counts, rest, (start, end), (mention.start, mention.end))
        quantity = _count(reading, index, problems, mention.word.query)
        word = mention.word
        attributes = attributes_in(rest[start:end], original[start:end], word.category, words)
        items.append(ItemRequest(word.query, word.category, quantity, attributes, word.generic))
    return items, problems


_SEPARATOR = re.compile(r",|;|\band\b|\bplus\b|\balso\b|\bwith\b|和|还有|以及|、|再来|外加|另外|跟")


def _stretches(text: str, mentions: list[Mention]) -> list[tuple[int, int]]:
    cuts = [0]
    for left, right in pairwise(mentions):
        between = list(_SEPARATOR.finditer(text, left.end, right.start))
        cuts.append(between[-1].start() if between else left.end)
    cuts.append(len(text))
    return [(cuts[i], cuts[i + 1]) for i in range(len(mentions))]
