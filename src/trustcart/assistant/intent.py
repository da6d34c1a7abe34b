"""Deterministic intent parsing: a sentence in, an ``IntentDraft`` out (no model needed).

It recognizes, in English and Chinese: the item (against a small lexicon of categories),
quantity ("2 milk teas", "up to 3", "两杯"), a per-item price cap ("under 30 CNY", "at most 30
each", "30元以内"), a total cap ("80 CNY in total", "总共80元"), a period ("this week", "本周",
"today") and whether the person is pre-authorizing ("up to", "this week", "每周" ...) or buying
now. What it cannot find it lists in ``missing`` so the caller can ask instead of guessing.

>>> parse_intent("order me a pearl milk tea under 30 CNY").item
'pearl milk tea'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from trustcart.core.money import Money
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.isr import ISR, ItemIntent, Location
from trustcart.delegation.terms import (
    AgentBehavior,
    CommerceConstraints,
    DelegationMode,
    DeviationAction,
)

# (phrases, canonical item, category). Longest phrase wins.
LEXICON: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("pearl milk tea", "bubble tea", "boba", "珍珠奶茶", "波霸奶茶"),
        "pearl milk tea",
        "drinks/milk-tea",
    ),
    (("milk tea", "milk teas", "奶茶"), "milk tea", "drinks/milk-tea"),
    (("coffee", "latte", "americano", "咖啡", "拿铁"), "coffee", "drinks/coffee"),
    (("fruit tea", "果茶"), "fruit tea", "drinks/fruit-tea"),
    (("t-shirt", "tshirt", "tee", "t恤", "短袖"), "t-shirt", "apparel/t-shirt"),
    (("sunglasses", "glasses", "eyewear", "眼镜", "墨镜"), "sunglasses", "apparel/eyewear"),
    (("hat", "cap", "帽子"), "hat", "apparel/headwear"),
    (("printer paper", "打印纸"), "printer paper", "office/paper"),
)

_CN_DIGITS = {
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_NUMBER = r"(\d+(?:\.\d{1,2})?)"
_CURRENCY = r"(?:\s*(?:cny|rmb|yuan|元|块|¥))"

_TOTAL_PATTERNS = (
    re.compile(_NUMBER + _CURRENCY + r"?\s*(?:in total|total|overall|altogether)", re.I),
    re.compile(r"(?:total(?: of)?|in total|budget(?: of)?)\s*(?:of\s*)?¥?\s*" + _NUMBER, re.I),
    re.compile(r"(?:总共|一共|总计|总额)\s*(?:不超过)?\s*¥?" + _NUMBER),
)
_EACH_PATTERNS = (
    re.compile(
        r"(?:at most|max(?:imum)?|no more than|up to)\s*¥?\s*"
        + _NUMBER
        + _CURRENCY
        + r"?\s*(?:each|apiece|per (?:cup|item|one))",
        re.I,
    ),
    re.compile(
        r"(?:under|below|less than|at most|max(?:imum)?|no more than|within|<)\s*¥?\s*" + _NUMBER,
        re.I,
    ),
    re.compile(r"(?:每杯|每件|每个|单价)\s*(?:不超过|最多)?\s*¥?" + _NUMBER),
    re.compile(_NUMBER + r"\s*(?:元|块)\s*(?:以内|以下|之内)"),
    re.compile(r"(?:不超过|低于|少于)\s*¥?" + _NUMBER),
)
_QUANTITY_PATTERNS = (
    re.compile(r"(?:up to|at most|no more than)\s+(\d+)\s+(?!cny|rmb|yuan)", re.I),
    re.compile(r"\b(\d+)\s+(?!cny|rmb|yuan|each|in total)(?:cups? of |x\s*)?[a-z]", re.I),
    re.compile(r"(?:最多)?([一两二三四五六七八九十\d]+)\s*(?:杯|件|个|顶|副)"),
)
_PERIODS = (
    (re.compile(r"this week|per week|every week|weekly|本周|这周|每周", re.I), timedelta(days=7)),
    (re.compile(r"this month|monthly|every month|本月|每月", re.I), timedelta(days=30)),
    (re.compile(r"today|今天", re.I), timedelta(days=1)),
)
_DELEGATION_HINTS = re.compile(
    r"up to \d+|pre-?authori[sz]e|without asking|every week|this week|weekly|monthly|"
    r"each time|最多\s*[一两二三四五六七八九十\d]+|本周|每周|每月|不用问",
    re.I,
)


@dataclass(frozen=True)
class IntentDraft:
    """What the words said. ``missing`` names what must be asked before an ISR can be built."""

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

    @property
    def complete(self) -> bool:
        return not self.missing


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS[text[1]]
    if len(text) == 2 and text[1] == "十":
        return _CN_DIGITS[text[0]] * 10
    return _CN_DIGITS.get(text, 1)


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def parse_intent(text: str, currency: str = "CNY") -> IntentDraft:
    """Parse one message. Never raises on odd input: unknown parts end up in ``missing``."""
    lowered = text.lower()
    item = category = None
    best = 0
    for phrases, canonical, cat in LEXICON:
        for phrase in phrases:
            if phrase in lowered and len(phrase) > best:
                item, category, best = canonical, cat, len(phrase)
    total_text = _first(_TOTAL_PATTERNS, lowered)
    remaining = lowered
    if total_text is not None:
        # Remove the total phrase so "80 CNY in total" is not read as a per-item cap too.
        for pattern in _TOTAL_PATTERNS:
            remaining = pattern.sub(" ", remaining)
    each_text = _first(_EACH_PATTERNS, remaining)
    for pattern in _EACH_PATTERNS:
        remaining = pattern.sub(" ", remaining)
    quantity_text = _first(_QUANTITY_PATTERNS, remaining)
    quantity = max(1, min(_number(quantity_text), 1000)) if quantity_text else 1
    period = next((delta for pattern, delta in _PERIODS if pattern.search(lowered)), None)
    delegated = bool(_DELEGATION_HINTS.search(lowered))
    max_unit = (
        Money.parse(Decimal(each_text).quantize(Decimal("0.01")).to_eng_string(), currency)
        if each_text
        else None
    )
    max_total = (
        Money.parse(Decimal(total_text).quantize(Decimal("0.01")).to_eng_string(), currency)
        if total_text
        else None
    )
    if max_total is None and max_unit is not None:
        max_total = max_unit * quantity
    missing = []
    if item is None:
        missing.append("item")
    if max_total is None:
        missing.append("budget")
    return IntentDraft(
        text=text,
        item=item,
        category=category,
        quantity=quantity,
        max_unit_price=max_unit,
        max_total=max_total,
        period=period,
        delegated=delegated,
        currency=currency,
        missing=tuple(missing),
    )


def build_isr(
    draft: IntentDraft,
    *,
    intent_id: str,
    agent_id: str,
    now: datetime,
    location: Location | None = None,
    payment_methods: tuple[str, ...] = ("trustcart-balance",),
    price_tolerance_percent: Decimal = Decimal("5"),
) -> ISR:
    """Turn a complete draft into an ISR for the person to confirm.

    A delegated draft ("up to 3 ... this week") becomes a BOUNDED ISR whose quantity is a total
    over many purchases (``max_total_quantity``) and whose per-item cap is the per-purchase limit;
    an instant draft becomes a SPECIFIED ISR valid for one hour.
    """
    if not draft.complete or draft.item is None or draft.max_total is None:
        raise InvalidCredential(f"the intent is incomplete: missing {list(draft.missing)}")
    delegated = draft.delegated
    lifetime = draft.period or (timedelta(days=7) if delegated else timedelta(hours=1))
    commerce = CommerceConstraints(
        max_single=draft.max_unit_price if delegated else draft.max_total,
        allowed_categories=(draft.category,) if draft.category else (),
        max_total_quantity=draft.quantity if delegated else None,
    )
    return ISR(
        intent_id=intent_id,
        user_intent_raw=draft.text,
        agent_id=agent_id,
        delegation_mode=DelegationMode.BOUNDED if delegated else DelegationMode.SPECIFIED,
        validity_start=now,
        validity_end=now + lifetime,
        max_total=draft.max_total,
        items=(
            ItemIntent(
                description=draft.item,
                quantity=1 if delegated else draft.quantity,
                category=draft.category,
                max_unit_price=draft.max_unit_price,
            ),
        ),
        allowed_payment_methods=payment_methods,
        created_at=now,
        location=location,
        commerce=commerce,
        behavior=AgentBehavior(
            price_deviation_tolerance=price_tolerance_percent,
            price_deviation_action=DeviationAction.PAUSE_AND_NOTIFY,
        ),
    )
