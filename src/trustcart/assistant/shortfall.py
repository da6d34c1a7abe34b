"""Why nothing fits, honestly and in the person's language (pure).

When the planner finds no option, the conversation asks the marketplace once more for the same
item with the person's limits taken off (``relaxed_context``: no caps, merchants, brands,
delivery time or selecting attributes; the delivery area stays, it is physical). ``shortfall``
then replays the limits one at a time over the relevant offers (``planner.is_relevant``) and
names the first one that leaves nothing, with figures:

    not-sold           no shop sells it (and the nearest match, if any, is something else)
    attribute          sold, but not in that size / colour / ...; says what there is
    merchant-allowed   the shops asked for do not sell it; how many others do
    merchant-excluded  only the shops excluded sell it
    brand              only the brand excluded
    price-each         "5 shops sell pearl milk tea; the cheapest is 13.00, above your 5.00"
    price-total        the lowest delivered total is above the total cap
    delivery           the fastest delivery is slower than asked
    other              every limit passes one by one (stock, quantity): the planner's words

The search engine's ``good_match`` (when the merchant sends it) counts too: an offer the engine
itself calls a poor match is not "sold" here.

>>> Shortfall("not-sold", "sparkling water", 0).text("en")
'No shop sells sparkling water.'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from trustcart.assistant.context import PREPARATION_ATTRIBUTES, PRODUCT_ATTRIBUTES, intent_context
from trustcart.assistant.intent import IntentDraft, ItemRequest
from trustcart.assistant.lexicon import ITEMS
from trustcart.assistant.offers import Offer
from trustcart.assistant.planner import is_relevant
from trustcart.delegation.isr import Location

_TEXTS: dict[str, tuple[str, str]] = {
    "not-sold": ("No shop sells {item}.", "没有商家卖{item}。"),
    "nearest": (
        " The nearest match, {title}, is something else.",
        "最接近的是{title}，但不是您要的。",
    ),
    "attribute": (
        "{sold}, but none in {name} {wanted} (there is {available}).",
        "{sold}，但没有{wanted}的（有：{available}）。",
    ),
    "merchant-allowed": (
        "The shop you asked for does not sell {item}; {others} other {shops} do.",
        "您指定的商家不卖{item}；另有{others}家店在卖。",
    ),
    "merchant-excluded": ("Only shops you excluded sell {item}.", "只有您排除的商家卖{item}。"),
    "brand": (
        "Every {item} on offer is {brand}, the brand you excluded.",
        "在售的{item}都是您排除的品牌{brand}。",
    ),
    "price-each": (
        "{sold}; the cheapest is {cheapest} at {merchant}, above your {cap}.",
        "{sold}，最便宜的是{merchant}的{cheapest}，高于您的上限{cap}。",
    ),
    "price-total": (
        "{sold}; the lowest total is {cheapest} at {merchant}, above your {cap} in total.",
        "{sold}，最低总价是{merchant}的{cheapest}，高于您的总价上限{cap}。",
    ),
    "delivery": (
        "{sold}; the fastest delivers in {fastest} min, more than your {limit} min.",
        "{sold}，最快也要{fastest}分钟送达，超过您要求的{limit}分钟。",
    ),
    "other": ("Nothing fits what you asked: {detail}.", "没有符合您要求的{item}。"),
    "sold": ("{count} {shops} {sell} {item}", "有{count}家店卖{item}"),
}
_VALUES_ZH = {
    "large": "大杯",
    "medium": "中杯",
    "black": "黑色",
    "white": "白色",
    "navy": "藏青色",
    "grey": "灰色",
    "red": "红色",
    "olive": "橄榄绿",
    "sky blue": "天蓝色",
    "beige": "米色",
    "cotton": "纯棉",
    "linen": "亚麻",
    "polyester": "涤纶",
    "fleece": "抓绒",
}
_CHINESE_NAMES = {
    word.query: next((p for p in word.phrases if any("\u3400" <= ch <= "\u9fff" for ch in p)), "")
    for word in ITEMS
}


def item_name(item: ItemRequest, language: str) -> str:
    """The item in the person's language: the lexicon's Chinese name for a Chinese turn."""
    if language == "zh":
        return _CHINESE_NAMES.get(item.description) or item.description
    return item.description


def value_name(value: str, language: str) -> str:
    return _VALUES_ZH.get(value.lower(), value) if language == "zh" else value


@dataclass(frozen=True)
class Shortfall:
    """Which limit left nothing, with the figures to say so."""

    code: str
    item: str  # as the person would name it (English; ``item_zh`` for Chinese)
    shops: int
    values: Mapping[str, str] = field(default_factory=dict)
    item_zh: str = ""

    def __post_init__(self) -> None:
        if self.code not in _TEXTS:
            raise ValueError(f"unknown shortfall {self.code!r}")
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def text(self, language: str) -> str:
        """The explanation as a sentence in ``language`` (``en`` or ``zh``)."""
        zh = language == "zh"
        item = self.item_zh if zh and self.item_zh else self.item
        values = {
            k: (value_name(v, language) if k in ("wanted",) else v) for k, v in self.values.items()
        }
        if zh and "available" in values:
            values["available"] = "、".join(
                value_name(v, language) for v in values["available"].split(", ")
            )
        pick = 1 if zh else 0
        sold = _TEXTS["sold"][pick].format(
            count=self.shops,
            shops="shop" if self.shops == 1 else "shops",
            sell="sells" if self.shops == 1 else "sell",
            item=item,
        )
        others = int(values.get("others", "0") or 0)
        text = _TEXTS[self.code][pick].format(
            item=item,
            sold=sold[:1].upper() + sold[1:],
            shops="shop" if others == 1 else "shops",
            **{k: v for k, v in values.items() if k not in ("item", "sold", "shops")},
        )
        if self.code == "not-sold" and "title" in values:
            text += _TEXTS["nearest"][pick].format(title=values["title"])
        return re.sub(r"(\d+\.\d\d) CNY", r"\1元", text) if zh else text

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "item": self.item, "shops": self.shops, **self.values}


def relaxed_context(
    draft: IntentDraft, item: ItemRequest, location: Location | None
) -> dict[str, Any]:
    """The intent context for ``item`` without the person's limits (see the module docstring)."""
    relaxed = replace(
        draft,
        max_unit_price=None,
        max_total=None,
        allowed_merchants=(),
        forbidden_merchants=(),
        forbidden_brands=(),
        max_delivery_minutes=None,
    )
    return intent_context(relaxed, replace(item, attributes=()), location)


Check = tuple[str, Callable[[Offer], bool]]


def _has(name: str, wanted: str, adjustable: bool) -> Callable[[Offer], bool]:
    accepted = {wanted.lower(), "adjustable"} if adjustable else {wanted.lower()}
    return lambda offer: offer.attributes.get(name) in accepted


def _checks(draft: IntentDraft, item: ItemRequest) -> list[Check]:
    """The person's limits, in the order they are replayed."""
    checks: list[Check] = [
        (f"attribute:{name}", _has(name, wanted, name in PREPARATION_ATTRIBUTES))
        for name in (*PRODUCT_ATTRIBUTES, *PREPARATION_ATTRIBUTES)
        if (wanted := item.attribute(name)) is not None
    ]
    allowed, forbidden, brands = (
        draft.allowed_merchants,
        draft.forbidden_merchants,
        draft.forbidden_brands,
    )
    if allowed:
        checks.append(("merchant-allowed", lambda o: o.merchant_id in allowed))
    if forbidden:
        checks.append(("merchant-excluded", lambda o: o.merchant_id not in forbidden))
    if brands:
        checks.append(("brand", lambda o: not (o.brand and o.brand in brands)))
    cap, total, limit = draft.max_unit_price, draft.max_total, draft.max_delivery_minutes
    if cap is not None:
        checks.append(
            ("price-each", lambda o: o.unit_price.currency == cap.currency and o.unit_price <= cap)
        )
    if total is not None:
        checks.append(
            ("price-total", lambda o: o.total.currency == total.currency and o.total <= total)
        )
    if limit is not None:
        checks.append(("delivery", lambda o: o.delivery_minutes <= limit))
    return checks


def shortfall(
    draft: IntentDraft, item: ItemRequest, relaxed: Sequence[Offer], explain: str = ""
) -> Shortfall:
    """Which of the person's limits excludes every offer of ``item`` in ``relaxed``."""
    names = {"item": item_name(item, "en"), "item_zh": item_name(item, "zh")}
    relevant = [o for o in relaxed if is_relevant(item, o) and o.good_match is not False]
    if not relevant:
        values = {"title": relaxed[0].title} if relaxed else {}
        return Shortfall("not-sold", names["item"], 0, values, names["item_zh"])
    shops = len({o.merchant_id for o in relevant})
    remaining = relevant
    for code, passes in _checks(draft, item):
        kept = [o for o in remaining if passes(o)]
        if kept:
            remaining = kept
            continue
        return _explained(code, draft, item=item, remaining=remaining, shops=shops, names=names)
    return Shortfall(
        "other", names["item"], shops, {"detail": explain or "no offer is left"}, names["item_zh"]
    )


def _explained(
    code: str,
    draft: IntentDraft,
    *,
    item: ItemRequest,
    remaining: Sequence[Offer],
    shops: int,
    names: dict[str, str],
) -> Shortfall:
    values: dict[str, str] = {}
    if code.startswith("attribute:"):
        name = code.split(":", 1)[1]
        available = sorted({o.attributes.get(name, "") for o in remaining} - {""})
        values = {
            "name": name,
            "wanted": str(item.attribute(name)),
            "available": ", ".join(available) or "none",
        }
        code = "attribute"
    elif code == "merchant-allowed":
        values = {"others": str(len({o.merchant_id for o in remaining}))}
    elif code == "brand":
        values = {"brand": ", ".join(sorted({o.brand for o in remaining}))}
    elif code in ("price-each", "price-total"):
        each = code == "price-each"
        cheapest = min(remaining, key=lambda o: (o.unit_price if each else o.total).minor)
        cap = draft.max_unit_price if each else draft.max_total
        values = {
            "cheapest": str(cheapest.unit_price if each else cheapest.total),
            "merchant": cheapest.merchant_name,
            "cap": str(cap),
        }
    elif code == "delivery":
        fastest = min(o.delivery_minutes for o in remaining)
        values = {"fastest": str(fastest), "limit": str(draft.max_delivery_minutes)}
    return Shortfall(code, names["item"], shops, values, names["item_zh"])
