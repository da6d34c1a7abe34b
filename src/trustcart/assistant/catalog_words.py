"""The item words the intent parser matches: the catalog's own first, the built-in lexicon after.

A merchant's imported goods must be found in both languages even when the built-in lexicon
(``lexicon``, written for the demo's verticals) has never heard of them. So the words come from
the catalog vocabulary the marketplace publishes (``vocabulary``): each category's own names
("cat food", generic: any offer of the category is one), and its item names in English and
Chinese with their heads ("scented candle", "香薰蜡烛", "蜡烛": named, the offer's title must
carry them). The built-in lexicon keeps its synonyms ("boba", "墨镜", "tee"), but only for the
categories the catalog has, so no seed category is ever asked of a catalog without it.

When one phrase has several meanings, the most curated wins: the lexicon, then a category's
own name, then an item name; among item names of several categories, their common parent
category when they have one ("tea" in milk tea and fruit tea is a drink), else the one most
offers carry. Phrases are matched longest first. English phrases need three letters and are
no stop word; Chinese phrases need two characters (one character is too often a measure word:
"一包" is no bag).

Without a vocabulary (``CatalogWords.built_in``) the parser behaves as it always did, with the
lexicon alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from trustcart.assistant.errors import AssistantError
from trustcart.assistant.lexicon import ITEMS, ItemWord
from trustcart.assistant.vocabulary import Vocabulary, VocabularyValue
from trustcart.core.categories import category_within
from trustcart.core.clock import Clock

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z]")
_STOP = frozenset(
    (  # noqa: SIM905 - a word list reads best as words
        "the and for with from under over each one ones any some more less set pack size new "
        "all other item items thing things stuff accessories"
    ).split()
)
_LEXICON, _CATEGORY_NAME, _ITEM_NAME = 0, 1, 2
WORDS_TTL = timedelta(minutes=5)


def usable_phrase(phrase: str) -> bool:
    """Whether ``phrase`` is specific enough to be matched in a request.

    >>> usable_phrase("cat food"), usable_phrase("猫粮"), usable_phrase("包"), usable_phrase("set")
    (True, True, False, False)
    """
    phrase = phrase.strip()
    if _CJK.search(phrase):
        return len(phrase) >= 2
    return len(phrase) >= 3 and bool(_LATIN_WORD.search(phrase)) and phrase not in _STOP


def _common_parent(categories: set[str]) -> str:
    paths = [c.split("/") for c in sorted(categories)]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)


@dataclass(frozen=True)
class _Candidate:
    rank: int
    products: int
    word: ItemWord


def _resolve(phrase: str, candidates: list[_Candidate]) -> ItemWord:
    best_rank = min(c.rank for c in candidates)
    best = [c for c in candidates if c.rank == best_rank]
    categories = {c.word.category for c in best}
    if len(categories) > 1 and best_rank == _ITEM_NAME and (parent := _common_parent(categories)):
        query = max(best, key=lambda c: c.products).word.query
        return ItemWord((phrase,), query, parent, any(c.word.needs_size for c in best))
    return max(best, key=lambda c: (c.products, c.word.category)).word


@dataclass(frozen=True)
class CatalogWords:
    """The phrase table (longest first) and, with a vocabulary, each category's attributes."""

    phrases: tuple[tuple[str, ItemWord], ...]
    vocabulary: Vocabulary | None = None
    _values: Mapping[str, Mapping[str, tuple[VocabularyValue, ...]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def built_in(cls) -> CatalogWords:
        """The built-in lexicon alone (no catalog vocabulary)."""
        phrases = [(p, w) for w in ITEMS for p in w.phrases]
        return cls(tuple(sorted(phrases, key=lambda pair: -len(pair[0]))))

    @classmethod
    def from_vocabulary(cls, vocabulary: Vocabulary) -> CatalogWords:
        """The catalog's words, with the lexicon's for the categories the catalog has."""
        candidates: dict[str, list[_Candidate]] = {}

        def add(phrase: str, rank: int, products: int, word: ItemWord) -> None:
            phrase = phrase.strip().lower()
            if usable_phrase(phrase):
                candidates.setdefault(phrase, []).append(_Candidate(rank, products, word))

        for word in ITEMS:
            if vocabulary.has_category_within(word.category):
                for phrase in word.phrases:
                    add(phrase, _LEXICON, 0, word)
        for category in vocabulary.categories:
            path, sized = category.category, category.size_required
            for name in category.names:
                word = ItemWord((name,), name, path, sized, generic=True)
                add(name, _CATEGORY_NAME, category.products, word)
            for item in category.items:
                query = item.name or item.name_zh
                for phrase in (item.name, item.name_zh):
                    if phrase:
                        add(
                            phrase,
                            _ITEM_NAME,
                            item.products,
                            ItemWord((phrase,), query, path, sized),
                        )
        resolved = [(phrase, _resolve(phrase, found)) for phrase, found in candidates.items()]
        resolved.sort(key=lambda pair: (-len(pair[0]), pair[0]))
        values = {c.category: c.attributes for c in vocabulary.categories}
        return cls(tuple(resolved), vocabulary, MappingProxyType(values))

    def attribute_values(self, category: str) -> dict[str, tuple[VocabularyValue, ...]] | None:
        """The attributes and values of the catalog's categories within ``category``; None when
        there is no vocabulary or it has no such category (the lexicon's rules apply then)."""
        if self.vocabulary is None:
            return None
        within = [v for path, v in self._values.items() if category_within(path, category)]
        if not within:
            return None
        merged: dict[str, dict[str, VocabularyValue]] = {}
        for table in within:
            for name, values in table.items():
                for value in values:
                    merged.setdefault(name, {}).setdefault(value.value.lower(), value)
        return {name: tuple(values.values()) for name, values in merged.items()}


class CatalogWordsCache:
    """The catalog's words from ``fetch`` (the marketplace's vocabulary), kept for ``ttl``;
    when the marketplace cannot answer, the built-in lexicon until the next try."""

    def __init__(
        self, fetch: Callable[[], Vocabulary], clock: Clock, ttl: timedelta = WORDS_TTL
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._kept: tuple[datetime, CatalogWords] | None = None

    def current(self) -> CatalogWords:
        now = self._clock.now()
        if self._kept is None or now - self._kept[0] >= self._ttl:
            try:
                words = CatalogWords.from_vocabulary(self._fetch())
            except AssistantError:  # the marketplace refused or answered nonsense
                words = CatalogWords.built_in()
            self._kept = (now, words)
        return self._kept[1]
