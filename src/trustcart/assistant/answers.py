"""Answers in a conversation (pure): to an open question, or a pick among the options shown.

* ``chosen_alternative``: which alternative of a choice question ("hat / sunglasses?") the
  answer takes: by position ("the second", "第二个"), by the words written ("sunglasses"), or by
  an item of the same kind ("墨镜" for "sunglasses"); None when it names neither or both.
* ``answered``: the request with the answer put in its place: a bare size is the item's size,
  a number answering a count or an amount replaces the phrase asked about ("0 pearl milk teas"
  + "2"; "under 30 USD" + "25" is "under 25"), a standing order's budget becomes a total
  ("80" is "80 yuan in total"), anything else is added to the request.
* ``picked``: the option shown with the lowest delivered total, the shortest distance or the
  fastest delivery ("the cheapest one", "the closest one", "最快的").

>>> answered("a black t-shirt under 120", (), "M")
'a black t-shirt under 120 size M'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trustcart.assistant.amounts import read_amounts
from trustcart.assistant.followups import FollowUp, FollowUpKind, Pick
from trustcart.assistant.intent_words import find_items
from trustcart.assistant.numerals import read_numeral
from trustcart.assistant.planner import Option
from trustcart.assistant.questions import Question

_BARE_SIZE = re.compile(r"^\s*(xxs|xs|s|m|l|xl|xxl)\s*(?:码|号)?\s*$", re.I)
NO_DISTANCE = 1e9


def picked(options: Sequence[Option], pick: Pick) -> int:
    """The position of the option ``pick`` names (ties: the lower total, then the first)."""

    def key(index: int) -> tuple[float, int, int]:
        option = options[index]
        if pick is Pick.CLOSEST:
            distance = min(line.distance_km or NO_DISTANCE for line in option.lines)
            return (distance, option.total.minor, index)
        if pick is Pick.FASTEST:
            return (max(line.delivery_minutes for line in option.lines), option.total.minor, index)
        return (option.total.minor, 0, index)

    return min(range(len(options)), key=key)


def chosen_alternative(question: Question, text: str, followup: FollowUp) -> str | None:
    """The alternative of a choice question that ``text`` picks, or None."""
    choices = question.choices
    if followup.kind is FollowUpKind.SELECT and followup.index is not None:
        index = len(choices) - 1 if followup.index == -1 else followup.index
        return choices[index] if 0 <= index < len(choices) else None
    lowered = text.lower()
    named = [c for c in choices if c in lowered]
    if len(named) == 1:
        return named[0]
    wanted = {m.word.query for m in find_items(lowered)}
    matching = [c for c in choices if {m.word.query for m in find_items(c)} & wanted]
    return matching[0] if len(matching) == 1 else None


def answered(request: str, questions: tuple[Question, ...], answer: str) -> str:
    """The open request with the answer put in (see the module's docstring)."""
    chinese = bool(re.search(r"[\u3400-\u9fff]", request))
    if _BARE_SIZE.match(answer):
        return f"{request} size {answer}"
    number = read_numeral(answer.strip()) is not None
    amount = number or bool(read_amounts(answer).readings)
    for question in questions:
        if question.span is None or question.code == "amount-currency-mixed":
            continue
        start, end = question.span
        if end > len(request):
            continue
        if question.code.startswith("quantity-") and number:
            replacement = answer.strip()
        elif question.code.startswith("amount-") and amount:
            replacement = (("不超过" if chinese else "under ") if number else "") + answer
        else:
            continue
        return f"{request[:start]} {replacement} {request[end:]}"
    if any(q.code == "budget" for q in questions) and amount:
        currency = ("元" if chinese else " yuan") if number else ""
        return (
            f"{request} 总共{answer}{currency}"
            if chinese
            else (f"{request} {answer}{currency} in total")
        )
    return f"{request} {answer}"
