"""The catalog vocabulary: what a shopper may call the goods on sale, from the catalog itself.

An agent must understand "一袋猫粮" or "a scented candle" on any merchant's catalog, not only
on the demo's, and it must not read the merchant's storage. So the marketplace publishes its
own words (``GET /catalog/vocabulary``), built here from nothing but the catalog's categories,
titles and attributes (``build_vocabulary``, pure):

* per category: its English names (the last path segment, "cat-food" -> "cat food", and in
  the singular, "yoga-mats" -> "yoga mat"), the
  number of offers, and whether a size must be chosen (``size_required``: offers with one
  name differ in size and none is the plain product, as a T-shirt but not a milk tea whose
  medium is titled without a size);
* its items: product names in English and Chinese (``product_names``), most offers first, and
  the heads that at least ``MIN_SHARED`` different product names share ("crew t-shirt", "T恤",
  "猫粮"); an English head of one word only when it is the category's own name in the singular
  ("candle" for "home/candles"), since one word alone is too vague ("dog food" is no cat food);
* its attributes with their values, each with the Chinese word the Chinese titles use for it
  where one is consistently there ("black" -> "黑色": the leftover word of the titles that
  have that value, found in at least ``ALIGN_MIN`` of them and in no more than ``1/ALIGN_MIN``
  as many other titles).

``version`` is a digest of the content, so an agent can tell a changed vocabulary from the same.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from trustcart.commerce.catalog import VARIANT_ATTRIBUTES, Product
from trustcart.commerce.product_names import (
    chinese_heads,
    chinese_name,
    english_heads,
    english_name,
)
from trustcart.core.clock import Clock, format_instant
from trustcart.crypto.jcs import jcs_digest
from trustcart.search.segmentation import has_cjk
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

MAX_ITEMS = 120  # per category
MAX_VALUES = 60  # per attribute
MIN_SHARED = 2  # different product names a head must be shared by
ALIGN_MIN = 0.8
VOCABULARY_TTL = timedelta(seconds=60)
_SIZE = "size"


@dataclass(frozen=True, slots=True)
class Listing:
    """What the vocabulary reads of one offer (a ``Product`` has these fields too)."""

    title: str
    title_zh: str
    brand: str
    category: str
    attributes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ItemWords:
    name: str  # English, lower case ("" when the catalog has none)
    name_zh: str  # Chinese ("" when the catalog has none)
    products: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "name_zh": self.name_zh, "products": self.products}


@dataclass(frozen=True, slots=True)
class ValueWords:
    value: str
    name_zh: str
    products: int

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "name_zh": self.name_zh, "products": self.products}


@dataclass(frozen=True, slots=True)
class CategoryWords:
    category: str
    names: tuple[str, ...]
    products: int
    items: tuple[ItemWords, ...]
    attributes: Mapping[str, tuple[ValueWords, ...]] = field(default_factory=dict)
    size_required: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "names": list(self.names),
            "products": self.products,
            "size_required": self.size_required,
            "items": [i.to_json() for i in self.items],
            "attributes": {
                name: [v.to_json() for v in values] for name, values in self.attributes.items()
            },
        }


@dataclass(frozen=True, slots=True)
class CatalogVocabulary:
    categories: tuple[CategoryWords, ...]

    @property
    def version(self) -> str:
        return jcs_digest({"categories": [c.to_json() for c in self.categories]})

    def to_json(self) -> dict[str, Any]:
        return {
            "vocabulary_version": self.version,
            "languages": ["en", "zh"],
            "categories": [c.to_json() for c in self.categories],
        }


def singular(word: str) -> str:
    """'candles' -> 'candle', 'boxes' -> 'box', 'glass' stays (an English plural, roughly).

    >>> singular("candles"), singular("boxes"), singular("glass"), singular("tea")
    ('candle', 'box', 'glass', 'tea')
    """
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def category_names(category: str) -> tuple[str, ...]:
    """The category's own names: its last path segment, spaced, and in the singular.

    >>> category_names("apparel/t-shirt"), category_names("sports/yoga-mats")
    (('t shirt', 't-shirt'), ('yoga mats', 'yoga-mats', 'yoga mat'))
    """
    segment = category.rsplit("/", 1)[-1]
    spaced = segment.replace("-", " ")
    words = spaced.split()
    one = " ".join([*words[:-1], singular(words[-1])]) if words else spaced
    return tuple(sorted({spaced, segment, one}, key=lambda n: (-len(n), n)))


@dataclass
class _Category:
    products: int = 0
    names: Counter[tuple[str, str]] = field(default_factory=Counter)
    sizes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    plain: set[str] = field(default_factory=set)  # names sold without a variant in the title
    values: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    leftovers: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    words: Counter[str] = field(default_factory=Counter)  # leftover words of all titles


def _by_count(pair: tuple[str, int]) -> tuple[int, str]:
    return (-pair[1], pair[0])


def _most_common(counts: Counter[str]) -> str:
    """The most frequent key, ties by the key itself (so the input order does not matter)."""
    return min(counts.items(), key=_by_count)[0]


def _leftover_words(product: Listing | Product, name_zh: str) -> set[str]:
    """The Chinese title's words other than brand and name: the variant's words."""
    rest = product.title_zh.replace(product.brand, " ") if product.brand else product.title_zh
    rest = rest.replace(name_zh, " ") if name_zh else rest
    for bracket in "()（）[]【】":
        rest = rest.replace(bracket, " ")
    return {w for w in rest.split() if has_cjk(w)}


def _sold_plain(title: str, size: str) -> bool:
    """Whether the title names no size (the shop's default size is sold under the plain name)."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(size)}(?![A-Za-z0-9])", title, re.I) is None


def _add(state: _Category, product: Listing | Product) -> None:
    name = english_name(product.title, product.brand, product.attributes, VARIANT_ATTRIBUTES)
    name_zh = chinese_name(product.title_zh, product.brand, product.attributes, VARIANT_ATTRIBUTES)
    state.products += 1
    state.names[(name, name_zh)] += 1
    if _SIZE in product.attributes:
        state.sizes[name].add(product.attributes[_SIZE])
        if _sold_plain(product.title, product.attributes[_SIZE]):
            state.plain.add(name)
    leftover = _leftover_words(product, name_zh)
    state.words.update(leftover)
    for key, value in product.attributes.items():
        state.values[key][value] += 1
        state.leftovers[(key, value)].update(leftover)


def _items(state: _Category, own_names: tuple[str, ...]) -> tuple[ItemWords, ...]:
    by_name: Counter[str] = Counter()
    by_name_zh: Counter[str] = Counter()
    pairs: dict[str, Counter[str]] = defaultdict(Counter)
    for (name, name_zh), count in state.names.items():
        by_name[name] += count
        by_name_zh[name_zh] += count
        pairs[name][name_zh] += count
    items = [
        ItemWords(name, _most_common(pairs[name]), count) for name, count in by_name.items() if name
    ]
    paired_zh = {i.name_zh for i in items}
    items += [ItemWords("", zh, n) for zh, n in by_name_zh.items() if zh and zh not in paired_zh]
    heads = _heads(by_name, english_heads, own_names, one_word=True)
    heads_zh = _heads(by_name_zh, chinese_heads, (), one_word=False)
    known = {i.name for i in items} | set(own_names)
    known_zh = {i.name_zh for i in items}
    items += [ItemWords(h, "", n) for h, n in heads.items() if h not in known]
    items += [ItemWords("", h, n) for h, n in heads_zh.items() if h not in known_zh]
    items.sort(key=lambda i: (-i.products, i.name, i.name_zh))
    return tuple(items[:MAX_ITEMS])


def _names_category(word: str, own_names: tuple[str, ...]) -> bool:
    """'candle' names the category 'candles' (singular or plural of a one-word name)."""
    return any(
        word in (name, name + "s", name + "es") or name in (word + "s", word + "es")
        for name in own_names
        if " " not in name
    )


def _heads(
    names: Counter[str],
    heads_of: Any,
    own_names: tuple[str, ...],
    *,
    one_word: bool,
) -> dict[str, int]:
    sharing: dict[str, set[str]] = defaultdict(set)
    offers: Counter[str] = Counter()
    for name, count in names.items():
        for head in heads_of(name) if name else ():
            sharing[head].add(name)
            offers[head] += count
    kept = {}
    for head, shared in sharing.items():
        if len(shared) < MIN_SHARED or head in own_names:
            continue
        if one_word and " " not in head and not _names_category(head, own_names):
            continue  # "food" alone is too vague: "dog food" is no cat food
        kept[head] = offers[head]
    return kept


def _aligned(state: _Category, key: str, value: str, count: int) -> str:
    """The Chinese word the titles with ``key=value`` consistently carry, or ""."""
    for word, seen in sorted(state.leftovers[(key, value)].items(), key=_by_count)[:3]:
        if seen >= ALIGN_MIN * count and state.words[word] * ALIGN_MIN <= seen:
            return word
    return ""


def _attributes(state: _Category) -> dict[str, tuple[ValueWords, ...]]:
    found: dict[str, tuple[ValueWords, ...]] = {}
    for key in sorted(state.values):
        values = sorted(state.values[key].items(), key=_by_count)[:MAX_VALUES]
        found[key] = tuple(
            ValueWords(value, _aligned(state, key, value, count), count) for value, count in values
        )
    return found


def build_vocabulary(products: Iterable[Listing | Product]) -> CatalogVocabulary:
    """The vocabulary of ``products`` (see the module docstring); categories sorted by path."""
    states: dict[str, _Category] = defaultdict(_Category)
    for product in products:
        _add(states[product.category], product)
    categories = []
    for category in sorted(states):
        state = states[category]
        own = category_names(category)
        sized = [name for name, sizes in state.sizes.items() if len(sizes) > 1]
        required = bool(sized) and all(name not in state.plain for name in sized)
        categories.append(
            CategoryWords(
                category, own, state.products, _items(state, own), _attributes(state), required
            )
        )
    return CatalogVocabulary(tuple(categories))


def load_vocabulary(db: Database) -> CatalogVocabulary:
    """The vocabulary of every offer in the store (one pass, only the columns it reads)."""
    statement = select(
        ProductRow.title,
        ProductRow.title_zh,
        ProductRow.brand,
        ProductRow.category,
        ProductRow.attributes,
    ).execution_options(yield_per=5_000)
    with db.transaction() as session:
        return build_vocabulary(
            Listing(title, title_zh, brand, category, {str(k): str(v) for k, v in attrs.items()})
            for title, title_zh, brand, category, attrs in session.execute(statement)
        )


class VocabularyCache:
    """The store's vocabulary, rebuilt at most once per ``ttl`` (an import shows up within it)."""

    def __init__(self, db: Database, clock: Clock, ttl: timedelta = VOCABULARY_TTL) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl
        self._built: tuple[datetime, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def current(self) -> dict[str, Any]:
        """The vocabulary as JSON, with ``generated_at``."""
        now = self._clock.now()
        with self._lock:
            if self._built is None or now - self._built[0] >= self._ttl:
                body = {**load_vocabulary(self._db).to_json(), "generated_at": format_instant(now)}
                self._built = (now, body)
            return self._built[1]

    def invalidate(self) -> None:
        with self._lock:
            self._built = None
