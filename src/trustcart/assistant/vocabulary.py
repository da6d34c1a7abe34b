"""The marketplace's catalog vocabulary, as the agent reads it (``GET /catalog/vocabulary``).

The merchant side builds it from its own catalog (``commerce.vocabulary``); the agent reads it
once here (``Vocabulary.from_wire``) into frozen values, bounded and checked like any answer
from another party: a malformed vocabulary is a ``ValidationError``, and the agent then parses
with the built-in lexicon alone rather than with half a vocabulary. What it holds, per
category: the category's own names (English, from its path), its item names in English and
Chinese with how many offers carry each, whether a size must be chosen, and its attributes'
values with the Chinese word the titles use for each.

>>> v = Vocabulary.from_wire({"vocabulary_version": "x", "categories": [
...     {"category": "home/candles", "names": ["candles"], "products": 3, "size_required": False,
...      "items": [{"name": "scented candle", "name_zh": "香薰蜡烛", "products": 3}],
...      "attributes": {"scent": [{"value": "lavender", "name_zh": "薰衣草", "products": 2}]}}]})
>>> v.category("home/candles").items[0].name_zh
'香薰蜡烛'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trustcart.core.categories import category_within, check_category
from trustcart.core.errors import ValidationError

MAX_CATEGORIES = 2_000
MAX_ENTRIES = 500  # items per category, values per attribute
MAX_WORD = 120  # characters of one name


def _text(value: Any, what: str, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str) or len(value) > MAX_WORD or (not allow_empty and not value):
        raise ValidationError(f"{what} must be a string of at most {MAX_WORD} characters")
    return value


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{what} must be a count")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise ValidationError(f"{what} must be a list of at most {MAX_ENTRIES}")
    return value


@dataclass(frozen=True, slots=True)
class VocabularyItem:
    name: str  # English, lower case, or ""
    name_zh: str  # Chinese, or ""
    products: int


@dataclass(frozen=True, slots=True)
class VocabularyValue:
    value: str
    name_zh: str
    products: int


@dataclass(frozen=True, slots=True)
class VocabularyCategory:
    category: str
    names: tuple[str, ...]
    products: int
    items: tuple[VocabularyItem, ...]
    attributes: Mapping[str, tuple[VocabularyValue, ...]] = field(default_factory=dict)
    size_required: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    @classmethod
    def from_wire(cls, raw: Any) -> VocabularyCategory:
        if not isinstance(raw, Mapping):
            raise ValidationError("a vocabulary category must be an object")
        items = tuple(
            VocabularyItem(
                _text(i.get("name", ""), "item name").lower(),
                _text(i.get("name_zh", ""), "item name_zh"),
                _count(i.get("products", 0), "item products"),
            )
            for i in _list(raw.get("items", []), "items")
            if isinstance(i, Mapping)
        )
        attributes_raw = raw.get("attributes", {})
        if not isinstance(attributes_raw, Mapping) or len(attributes_raw) > MAX_ENTRIES:
            raise ValidationError("attributes must be an object")
        attributes = {
            _text(name, "attribute name", allow_empty=False).lower(): tuple(
                VocabularyValue(
                    _text(v.get("value"), "attribute value", allow_empty=False),
                    _text(v.get("name_zh", ""), "value name_zh"),
                    _count(v.get("products", 0), "value products"),
                )
                for v in _list(values, f"values of {name}")
                if isinstance(v, Mapping)
            )
            for name, values in attributes_raw.items()
        }
        names = tuple(
            _text(n, "category name", allow_empty=False).lower()
            for n in _list(raw.get("names", []), "names")
        )
        return cls(
            check_category(raw.get("category")),
            names,
            _count(raw.get("products", 0), "products"),
            items,
            attributes,
            raw.get("size_required") is True,
        )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every category's words; ``version`` tells one vocabulary from another."""

    version: str
    categories: tuple[VocabularyCategory, ...]
    _by_path: Mapping[str, VocabularyCategory] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_by_path", MappingProxyType({c.category: c for c in self.categories})
        )

    @classmethod
    def from_wire(cls, body: Any) -> Vocabulary:
        """Read ``GET /catalog/vocabulary``; anything malformed is a ``ValidationError``."""
        if not isinstance(body, Mapping):
            raise ValidationError("the vocabulary must be an object")
        raw = body.get("categories")
        if not isinstance(raw, list) or len(raw) > MAX_CATEGORIES:
            raise ValidationError(f"categories must be a list of at most {MAX_CATEGORIES}")
        try:
            categories = tuple(VocabularyCategory.from_wire(c) for c in raw)
        except (AttributeError, TypeError) as e:
            raise ValidationError(f"the vocabulary is malformed: {e}") from e
        return cls(str(body.get("vocabulary_version", "")), categories)

    def category(self, path: str) -> VocabularyCategory | None:
        """The words of one category, or None when the catalog has no such category."""
        return self._by_path.get(path)

    def has_category_within(self, prefix: str) -> bool:
        """Whether any category of the catalog is ``prefix`` or below it."""
        return any(category_within(c.category, prefix) for c in self.categories)
