"""Intent parsing on a catalog the built-in lexicon has never seen, in English and Chinese.

The words come from the catalog's own vocabulary (built here by the merchant side's
``commerce.vocabulary`` from a catalog generated in the test, read back by the agent's
``Vocabulary.from_wire``). Expected outcomes are written from the request text.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.helpers.clock import T0
from tests.helpers.foreign_catalog import foreign_products
from trustcart.assistant.agent_answers import AgentCode, PurchaseRefused
from trustcart.assistant.catalog_words import WORDS_TTL, CatalogWords, CatalogWordsCache
from trustcart.assistant.intent import parse_intent
from trustcart.assistant.vocabulary import Vocabulary
from trustcart.commerce.vocabulary import build_vocabulary
from trustcart.core.clock import FixedClock
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money


def _wire() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(build_vocabulary(foreign_products()).to_json()))
    return body


@pytest.fixture(scope="module")
def words() -> CatalogWords:
    return CatalogWords.from_vocabulary(Vocabulary.from_wire(_wire()))


# (request, category, quantity, attributes that must be read, max unit price)
CASES: list[tuple[str, str, int, dict[str, str], str | None]] = [
    ("一袋猫粮", "pets/cat-food", 1, {}, None),
    ("两袋干猫粮", "pets/cat-food", 2, {}, None),
    ("两盒香薰蜡烛", "home/candles", 2, {}, None),
    ("一盒玫瑰香薰蜡烛，50元以内", "home/candles", 1, {"scent": "rose"}, "50.00"),
    ("三支蓝色中性笔", "stationery/pens", 3, {"ink": "blue"}, None),
    ("我要一包薯片", "snacks/chips", 1, {}, None),
    ("一张紫色的瑜伽垫", "sports/yoga-mats", 1, {"shade": "purple"}, None),
    ("来两根薰衣草蜡烛", "home/candles", 2, {"scent": "lavender"}, None),
    ("a lavender scented candle under 50", "home/candles", 1, {"scent": "lavender"}, "50.00"),
    ("3 bags of dry cat food", "pets/cat-food", 3, {}, None),
    ("two red gel pens", "stationery/pens", 2, {"ink": "red"}, None),
    ("buy 2 packs of potato chips", "snacks/chips", 2, {}, None),
    ("a teal yoga mat", "sports/yoga-mats", 1, {"shade": "teal"}, None),
    ("5 candles", "home/candles", 5, {}, None),
]


@pytest.mark.parametrize(("text", "category", "quantity", "attributes", "cap"), CASES)
def test_requests_on_a_foreign_catalog(
    words: CatalogWords,
    text: str,
    category: str,
    quantity: int,
    attributes: dict[str, str],
    cap: str | None,
) -> None:
    draft = parse_intent(text, words=words)
    assert draft.complete, draft.questions
    assert len(draft.items) == 1
    item = draft.items[0]
    assert item.category == category
    assert item.quantity == quantity
    assert attributes.items() <= dict(item.attributes).items()
    assert draft.max_unit_price == (None if cap is None else Money.parse(cap, "CNY"))


def test_without_the_vocabulary_the_words_are_only_free_text() -> None:
    draft = parse_intent("一袋猫粮")
    assert draft.items[0].category is None


def test_no_seed_category_is_asked_of_a_catalog_without_it(words: CatalogWords) -> None:
    # The built-in lexicon knows pearl milk tea, but this catalog sells no drinks.
    draft = parse_intent("a pearl milk tea", words=words)
    assert draft.items[0].category is None
    assert parse_intent("a pearl milk tea").items[0].category == "drinks/milk-tea"


def test_a_category_name_is_generic_a_product_name_is_not(words: CatalogWords) -> None:
    assert parse_intent("a candle", words=words).items[0].generic
    assert not parse_intent("a scented candle", words=words).items[0].generic


@pytest.mark.parametrize(
    "broken",
    [
        [],
        {"categories": "all"},
        {"categories": [{"category": "Home/Candles"}]},
        {"categories": [{"category": "home/candles", "items": [{"name": 5}]}]},
        {"categories": [{"category": "home/candles", "products": -1}]},
        {"categories": [{"category": "home/candles", "attributes": {"scent": [{"value": ""}]}}]},
        {"categories": [{"category": "home/candles", "items": [{"name": "x" * 500}]}]},
    ],
)
def test_a_malformed_vocabulary_is_refused(broken: Any) -> None:
    with pytest.raises(ValidationError):
        Vocabulary.from_wire(broken)


def test_the_cache_falls_back_to_the_lexicon_and_tries_again_later() -> None:
    clock = FixedClock(T0)
    answers: list[Vocabulary | PurchaseRefused] = [
        PurchaseRefused(AgentCode.BAD_ANSWER, "down"),
        Vocabulary.from_wire(_wire()),
    ]

    def fetch() -> Vocabulary:
        answer = answers.pop(0)
        if isinstance(answer, PurchaseRefused):
            raise answer
        return answer

    cache = CatalogWordsCache(fetch, clock)
    first = cache.current()
    assert first.vocabulary is None  # the built-in lexicon while the marketplace is down
    assert cache.current() is first  # kept for the TTL, not asked again
    clock.advance(WORDS_TTL + timedelta(seconds=1))
    assert cache.current().vocabulary is not None
