"""Reading a basket from words (pure): several items, or a dish, under one cap.

"2 pearl milk teas and a taro milk tea, under 60 in total", "milk, eggs and bananas under 50",
"两杯珍珠奶茶和一杯芋泥奶茶，总共60元以内", "everything for hotpot for four, under 200",
"四人份火锅，200元以内". The existing readers do the reading: ``intent.parse_intent`` finds the
items, their counts and attributes; ``amounts.read_amounts`` the money; ``recipes`` the dish
and the servings. This module only decides what makes a basket and which cap binds what:

* a dish from the recipe table is a basket of its ingredients scaled to the servings;
* otherwise a basket is two or more items in a list cut by "and", ",", "、", "和", "以及",
  "plus", ";" (a single item is not one: it stays on the single-item path, as are standing
  orders, requests that name a merchant, and requests with a question still open);
* a list part that names nothing the catalog knows ("tofu") is still an item, by its words, so
  that the reply can say no shop sells it instead of dropping it;
* money: an amount said "each" caps every item's unit price; an amount inside one item's part
  of the list, when another item has its own or it is not the last part, caps that item;
  every other cap ("under 200", "200 max", "in total", "总共200元以内") is the whole basket's.

>>> basket = read_basket("milk, eggs and bananas under 50")
>>> [w.description for w in basket.wishes], str(basket.max_total)
(['whole milk', 'free-range eggs', 'bananas'], '50.00 CNY')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from trustcart.assistant.amounts import AmountReading, Bound, Scope, read_amounts
from trustcart.assistant.catalog_words import CatalogWords
from trustcart.assistant.context import PREPARATION_ATTRIBUTES
from trustcart.assistant.intent import IntentDraft, parse_intent
from trustcart.assistant.intent_words import attributes_in, find_items, free_text_item
from trustcart.assistant.quantities import count_for_free_text, read_quantities
from trustcart.assistant.recipes import find_dish, servings_in
from trustcart.core.money import Money

MAX_WISHES = 12
SEPARATOR = re.compile(r",|;|，|；|、|\band\b|\bplus\b|和|以及|还有|外加")
# Words a list part may hold besides an item: a size, the cap's own words, "everything".
_NOT_AN_ITEM = frozenset(
    ("size", "total", "max", "everything", "all", "altogether", "budget", "in", "of", "it")
)
_SIZE = re.compile(r"^(?:x{0,3}[sml]|xxl|xl|\d+)$")
_NEGATED = re.compile(r"\s*(?:(?:not|no|without|except|but not)\b|不要|别|除了|不去)", re.I)


@dataclass(frozen=True, slots=True)
class BasketWish:
    """One item of the basket: words to search with, category if the catalog knows it."""

    description: str
    category: str | None
    quantity: int
    attributes: tuple[tuple[str, str], ...] = ()
    max_unit_price: Money | None = None
    name_zh: str | None = None  # a recipe ingredient's Chinese name


@dataclass(frozen=True, slots=True)
class BasketRequest:
    """What the person asked for as one basket, and the cap on its delivered total."""

    text: str
    language: str
    wishes: tuple[BasketWish, ...]
    max_total: Money | None
    dish: str | None = None  # the recipe's key, when the basket is a dish
    dish_zh: str | None = None
    servings: int | None = None


def _language(text: str) -> str:
    return "zh" if re.search(r"[\u3400-\u9fff]", text) else "en"


def _parts(text: str) -> list[tuple[int, int]]:
    """The list's parts between its separators, as (start, end) offsets."""
    parts, start = [], 0
    for match in SEPARATOR.finditer(text):
        parts.append((start, match.start()))
        start = match.end()
    parts.append((start, len(text)))
    return [(a, b) for a, b in parts if b > a]


def _part_of(parts: Sequence[tuple[int, int]], position: int) -> int:
    return next((i for i, (a, b) in enumerate(parts) if a <= position < b), len(parts) - 1)


def _caps(readings: Sequence[AmountReading]) -> list[AmountReading]:
    return [r for r in readings if r.bound is not Bound.AT_LEAST]


def _lowest(readings: Sequence[AmountReading]) -> Money | None:
    return min((r.money for r in readings), key=lambda m: m.minor) if readings else None


def _free_words(part: str) -> str | None:
    """The words of a list part that names no catalog item, or None if it names nothing
    (or names what is not wanted: "not from ...", "不要...")."""
    if _NEGATED.match(part):
        return None
    rest = part
    for reading in read_quantities(part):
        start, end = reading.span
        rest = rest[:start] + " " * (end - start) + rest[end:]
    words = free_text_item(rest)
    if words is None:
        return None
    kept = [w for w in words.split() if w not in _NOT_AN_ITEM and not _SIZE.match(w)]
    found = " ".join(kept)
    return found if len(found) >= 2 else None


def _single_path(whole: IntentDraft) -> bool:
    """Limits the marketplace's basket planner cannot keep (it plans over every merchant, by
    price): these requests stay on the single-item path, which keeps them."""
    preparing = any(
        name in PREPARATION_ATTRIBUTES for item in whole.items for name, _ in item.attributes
    )
    return bool(
        whole.delegated
        or whole.questions
        or whole.allowed_merchants
        or whole.forbidden_merchants
        or whole.max_delivery_minutes is not None
        or whole.near
        or preparing
    )


def _only_attributes(
    part: str, found: Sequence[tuple[int, int, BasketWish]], words: CatalogWords | None
) -> bool:
    """The part reads as attributes of an item already found (its category's values)."""
    categories = {wish.category for _, _, wish in found if wish.category}
    return any(attributes_in(part, part, category, words) for category in categories)


def _dish_basket(text: str, words: CatalogWords | None) -> BasketRequest | None:
    mention = find_dish(text)
    if mention is None:
        return None
    servings = servings_in(text)
    caps = _caps(read_amounts(text.lower()).readings)
    each = _lowest([r for r in caps if r.scope is Scope.EACH])
    wishes = []
    for ingredient, quantity in mention.dish.scaled(servings):
        found = find_items(ingredient.query, words)
        known = found[0].word if len(found) == 1 else None
        wishes.append(
            BasketWish(
                known.query if known else ingredient.query,
                known.category if known else None,
                quantity,
                max_unit_price=each,
                name_zh=ingredient.zh,
            )
        )
    return BasketRequest(
        text=text,
        language=_language(text),
        wishes=tuple(wishes),
        max_total=_lowest([r for r in caps if r.scope is not Scope.EACH]),
        dish=mention.dish.key,
        dish_zh=mention.dish.name_zh,
        servings=servings or mention.dish.serves,
    )


def read_basket(
    text: str, *, words: CatalogWords | None = None, merchants: Sequence[tuple[str, str]] = ()
) -> BasketRequest | None:
    """The basket ``text`` asks for, or None when it is a single item or not a basket."""
    dish = _dish_basket(text, words)
    if dish is not None:
        return dish
    whole = parse_intent(text, merchants=merchants, words=words)
    if not whole.items or _single_path(whole):
        return None
    lowered = text.lower()
    for _, name in merchants:  # a shop's name is no item ("Leaf & Cup", "叶与杯")
        latin = re.sub(r"[\u3400-\u9fff]+", " ", name).strip().lower()
        cjk = "".join(re.findall(r"[\u3400-\u9fff]+", name))
        for phrase in (latin, latin.replace("&", "and"), cjk):
            if len(phrase) >= 2:
                lowered = lowered.replace(phrase, " " * len(phrase))
    amounts = read_amounts(lowered)
    blanked = lowered
    for start, end in amounts.spans:
        blanked = blanked[:start] + " " * (end - start) + blanked[end:]
    parts = _parts(blanked)
    mentions = find_items(blanked, words)
    # (part index, position, wish) for every item, in the order of the sentence.
    found: list[tuple[int, int, BasketWish]] = []
    if len(mentions) == len(whole.items):
        for mention, item in zip(mentions, whole.items, strict=True):
            wish = BasketWish(item.description, item.category, item.quantity, item.attributes)
            found.append((_part_of(parts, mention.start), mention.start, wish))
    taken = {index for index, _, _ in found}
    for index, (start, end) in enumerate(parts):
        free = None if index in taken else _free_words(blanked[start:end])
        if free is not None and _only_attributes(blanked[start:end], found, words):
            free = None  # "half sugar", "size M": how the item before it is wanted
        if free is not None:
            count = count_for_free_text(read_quantities(blanked[start:end]), blanked[start:end])
            quantity = count.count if count is not None and count.count else 1
            found.append((index, start, BasketWish(free, None, quantity)))
    if len(found) < 2 or len(found) > MAX_WISHES:
        return None
    found.sort(key=lambda entry: entry[1])
    return _capped(text, found, parts, _caps(amounts.readings))


def _capped(
    text: str,
    found: list[tuple[int, int, BasketWish]],
    parts: Sequence[tuple[int, int]],
    caps: Sequence[AmountReading],
) -> BasketRequest:
    """Give each cap to what it binds (see the module's rules)."""
    item_parts = {index for index, _, _ in found}
    last_item_part = max(item_parts)
    own = [
        r for r in caps if r.scope is not Scope.TOTAL and _part_of(parts, r.span[0]) in item_parts
    ]
    per_item = {
        _part_of(parts, r.span[0]): r.money
        for r in own
        if len(own) >= 2 or _part_of(parts, r.span[0]) != last_item_part
    }
    each = _lowest(
        [r for r in caps if r.scope is Scope.EACH and _part_of(parts, r.span[0]) not in per_item]
    )
    whole = [
        r for r in caps if r.scope is not Scope.EACH and _part_of(parts, r.span[0]) not in per_item
    ]
    wishes = []
    for index, _, wish in found:
        cap = per_item.get(index, each)
        wishes.append(
            wish
            if cap is None
            else BasketWish(wish.description, wish.category, wish.quantity, wish.attributes, cap)
        )
    return BasketRequest(text, _language(text), tuple(wishes), _lowest(whole))
