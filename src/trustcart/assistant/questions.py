"""What the assistant must ask before it can shop, with stable codes and EN/中文 wording.

    item       nothing to buy was named ("buy something nice", "买点东西")
    reference  "the cheap one" / "选它" with no options shown yet
    choice     two things offered as alternatives ("a hat or sunglasses")
    size       clothes without a size
    budget     a standing order (delegation) without a price cap: an IAC needs a maximum

and, from reading money and counts (``numerals.ReadingCode``; the wording comes with the
reading, see ``amounts`` and ``quantities``):

    amount-currency-not-sold  a currency the catalog does not sell in ("under 30 USD")
    amount-currency-mixed     caps in two currencies
    amount-not-positive       a zero or negative cap ("under -5")
    amount-too-large          above the sane ceiling (``amounts.MAX_AMOUNT``) or Money's range
    amount-unclear            digits that cannot be read exactly ("1,00", "29.999")
    quantity-not-positive     "0 pearl milk teas"
    quantity-too-large        above ``quantities.MAX_QUANTITY``
    quantity-not-whole        "1.5 bottles"

Asking is preferred to guessing whenever a guess could buy the wrong thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trustcart.assistant.intent import ItemRequest
    from trustcart.assistant.intent_words import Mention
    from trustcart.assistant.numerals import ReadingProblem

_REFERENCE = re.compile(
    r"\b(?:the|that|this) (?:cheap|cheaper|cheapest|first|second|third|last|other|same|"
    r"expensive|best|previous|usual) ones?\b|\bselect it\b|\bpick it\b|\bthat one\b|"
    r"\bthe (?:first|second|third|last)\b|\bsame as (?:last time|before)\b|\bthe usual\b|"
    r"选它|就它|这个|那个|第[一二三四五1-5]个|便宜的那个|上次那个|老样子",
    re.I,
)
_ALTERNATIVE = re.compile(r"\bor\b|或者|还是|或")
_VAGUE = re.compile(
    r"\b(?:something|anything|a gift|stuff|whatever|surprise me)\b|东西|礼物|随便", re.I
)
_TEXTS = {
    "item": ("What would you like to buy?", "您想买什么？"),
    "reference": (
        "Nothing has been shown yet: what should I look for?",
        "还没有可选的商品：您想找什么？",
    ),
    "choice": ("Which one do you want: {choices}?", "您要哪一个：{choices}？"),
    "size": (
        "What size should the {item} be (XS, S, M, L, XL, XXL)?",
        "{item}要什么尺码（XS、S、M、L、XL、XXL）？",
    ),
    "budget": (
        "Up to how much may I spend in total for this standing order?",
        "这个长期委托最多可以花多少钱？",
    ),
}


@dataclass(frozen=True)
class Question:
    """A question with its stable code; ``span`` is where in the request the phrase it asks
    about stands (amounts and counts), so that an answer can take its place."""

    code: str
    text: str
    item_index: int | None = None
    span: tuple[int, int] | None = None
    choices: tuple[str, ...] = ()  # a choice question: the alternatives, in the person's words

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "text": self.text}
        if self.item_index is not None:
            out["item_index"] = self.item_index
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _question(code: str, language: str, item_index: int | None = None, **values: str) -> Question:
    english, chinese = _TEXTS[code]
    return Question(code, (chinese if language == "zh" else english).format(**values), item_index)


def from_problem(
    problem: ReadingProblem, language: str, item_index: int | None = None, *, located: bool = True
) -> Question:
    """The question for an amount or count that could not be used as written; ``located``
    says whether the problem's span points into the person's own text."""
    span = problem.span if located else None
    return Question(problem.code.value, problem.message(language), item_index, span)


def ask(
    lowered: str,
    rest: str,
    mentions: Sequence[Mention],
    items: Sequence[ItemRequest],
    *,
    delegated: bool,
    has_budget: bool,
    options_shown: bool,
    language: str,
    located: bool = True,
) -> tuple[Question, ...]:
    """Every question the text leaves open, most important first. A choice names its
    alternatives as written and, when ``located`` (offsets point into the person's text), the
    span from the first to the last, so that an answer can take its place."""
    if not options_shown and _REFERENCE.search(lowered) and not mentions:
        return (_question("reference", language),)
    if not items or (not mentions and _VAGUE.search(lowered)):
        return (_question("item", language),)
    questions: list[Question] = []
    for left, right in pairwise(mentions):
        if _ALTERNATIVE.search(rest[left.end : right.start]):
            written = (rest[left.start : left.end], rest[right.start : right.end])
            asked = _question("choice", language, choices=" / ".join(written))
            span = (left.start, right.end) if located else None
            questions.append(Question(asked.code, asked.text, None, span, written))
            break
    for index, item in enumerate(items):
        needs_size = any(m.word.needs_size for m in mentions if m.word.query == item.description)
        if needs_size and item.attribute("size") is None:
            questions.append(_question("size", language, index, item=item.description))
    if delegated and not has_budget:
        questions.append(_question("budget", language))
    return tuple(questions)
