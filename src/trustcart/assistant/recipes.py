"""Dishes as shopping lists: "everything for hotpot for four" -> the ingredients for four (pure).

The table ships in the package (``recipes.toml``, read once with ``importlib.resources``): each
dish has its names in English and Chinese, how many people it serves when the request names no
number, and its ingredients with how many of the catalog's units one person needs (a fraction).
Scaling buys the next whole unit for the servings asked, at least one of each ingredient, never
more than a cart line holds (99). A dish is found by its longest name in the text (whole words
in English, anywhere in Chinese); the servings by "for four", "for 2 people", "serves 6",
"四人份", "两个人" (numbers read by ``numerals``, never guessed).

>>> hotpot = find_dish("everything for hotpot for four, under 200")
>>> hotpot.dish.key, servings_in("everything for hotpot for four, under 200")
('hotpot', 4)
>>> [(i.query, n) for i, n in hotpot.dish.scaled(4)][:2]
[('hotpot base', 1), ('lamb slices', 2)]
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources

from trustcart.assistant.errors import AssistantError
from trustcart.assistant.numerals import read_numeral

MAX_SERVINGS = 50
MAX_LINE_QUANTITY = 99


class RecipeError(AssistantError):
    """The shipped recipe table cannot be read (a packaging bug, never the person's words)."""


@dataclass(frozen=True, slots=True)
class Ingredient:
    """One ingredient: the catalog's words for it, its Chinese name, units per person."""

    query: str
    zh: str
    per_serving: Fraction

    def __post_init__(self) -> None:
        if not self.query or not self.zh or self.per_serving <= 0:
            raise RecipeError(f"ingredient {self.query!r} needs names and a positive amount")

    def quantity_for(self, servings: int) -> int:
        """Whole units for ``servings`` people: rounded up, 1..99."""
        return max(1, min(MAX_LINE_QUANTITY, math.ceil(self.per_serving * servings)))


@dataclass(frozen=True, slots=True)
class Dish:
    key: str
    names: tuple[str, ...]
    name_zh: str
    serves: int
    ingredients: tuple[Ingredient, ...]

    def __post_init__(self) -> None:
        if not self.names or not self.ingredients or not 1 <= self.serves <= MAX_SERVINGS:
            raise RecipeError(f"dish {self.key!r} needs names, ingredients and a serving count")

    def scaled(self, servings: int | None) -> tuple[tuple[Ingredient, int], ...]:
        """Each ingredient with how many units ``servings`` people need (default: ``serves``)."""
        people = self.serves if servings is None else servings
        return tuple((i, i.quantity_for(people)) for i in self.ingredients)


@dataclass(frozen=True, slots=True)
class DishMention:
    dish: Dish
    span: tuple[int, int]


@cache
def recipe_table() -> tuple[Dish, ...]:
    """The dishes shipped with the package (``recipes.toml``)."""
    text = resources.files("trustcart.assistant").joinpath("recipes.toml").read_text("utf-8")
    try:
        raw = tomllib.loads(text)
        return tuple(
            Dish(
                key=str(d["key"]),
                names=tuple(str(n).lower() for n in d["names"]),
                name_zh=str(d["name_zh"]),
                serves=int(d["serves"]),
                ingredients=tuple(
                    Ingredient(str(i["query"]), str(i["zh"]), Fraction(str(i["per_serving"])))
                    for i in d["ingredients"]
                ),
            )
            for d in raw["dish"]
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, ZeroDivisionError) as e:
        raise RecipeError(f"the recipe table cannot be read: {e}") from e


def _name_at(text: str, name: str) -> re.Match[str] | None:
    if re.search(r"[\u3400-\u9fff]", name):
        return re.search(re.escape(name), text)
    return re.search(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", text)


def find_dish(text: str, dishes: tuple[Dish, ...] | None = None) -> DishMention | None:
    """The dish named in ``text`` (its longest name wins), or None."""
    lowered = text.lower()
    names = sorted(
        ((name, dish) for dish in dishes or recipe_table() for name in dish.names),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    # An ingredient's words hold a dish's name ("hotpot base"): that is an item, not the dish.
    ingredients = [
        m.span()
        for dish in dishes or recipe_table()
        for i in dish.ingredients
        for m in (_name_at(lowered, i.query.lower()), _name_at(lowered, i.zh))
        if m is not None
    ]
    for name, dish in names:
        match = _name_at(lowered, name)
        if match is None:
            continue
        start, end = match.span()
        if not any(a <= start and end <= b and (a, b) != (start, end) for a, b in ingredients):
            return DishMention(dish, match.span())
    return None


_NUMBER = r"(\d{1,3}|[a-z]+(?:-[a-z]+)?|[零一二两三四五六七八九十百]+)"
_SERVINGS = (
    re.compile(rf"\bfor\s+{_NUMBER}(?:\s+(?:people|persons|guests|of us|adults))?\b"),
    re.compile(rf"\bserves?\s+{_NUMBER}\b"),
    re.compile(rf"\b{_NUMBER}\s+(?:people|persons|guests|servings|portions)\b"),
    re.compile(rf"{_NUMBER}\s*(?:人份|个人|位|人)"),
)


def servings_in(text: str) -> int | None:
    """How many people the request is for, or None when it names no usable number.

    >>> servings_in("hotpot for 2 people"), servings_in("四人份火锅"), servings_in("breakfast")
    (2, 4, None)
    """
    lowered = text.lower()
    for pattern in _SERVINGS:
        for match in pattern.finditer(lowered):
            value = read_numeral(match.group(1))
            if value is not None and value == int(value) and 1 <= value <= MAX_SERVINGS:
                return int(value)
    return None
