"""The catalog vocabulary comes from the catalog itself: names, heads, Chinese words, sizes."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.foreign_catalog import foreign_products
from trustcart.commerce.catalog import Product
from trustcart.commerce.product_names import chinese_name, english_name
from trustcart.commerce.vocabulary import CategoryWords, build_vocabulary, load_vocabulary
from trustcart.core.money import Money
from trustcart.local.seed import generate_catalog, seed_catalog
from trustcart.store.db import Database


def _category(vocabulary_json: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in vocabulary_json["categories"] if c["category"] == path)
    return found


def test_a_foreign_catalog_names_its_own_goods_in_both_languages() -> None:
    body = build_vocabulary(foreign_products()).to_json()
    candles = _category(body, "home/candles")
    assert candles["names"] == ["candles", "candle"]
    items = {(i["name"], i["name_zh"]) for i in candles["items"]}
    assert ("scented candle", "香薰蜡烛") in items
    assert ("pillar candle", "柱形蜡烛") in items
    assert ("", "蜡烛") in items  # a head two Chinese names share
    scents = {v["value"]: v["name_zh"] for v in candles["attributes"]["scent"]}
    assert scents == {"rose": "玫瑰", "lavender": "薰衣草", "vanilla": "香草"}
    food = _category(body, "pets/cat-food")
    zh = {i["name_zh"] for i in food["items"]}
    assert "猫粮" in zh  # jieba cuts "湿猫/粮", the last two characters still name it
    yoga = _category(body, "sports/yoga-mats")
    assert "yoga mat" in yoga["names"]


def test_one_vague_english_word_is_no_head() -> None:
    body = build_vocabulary(foreign_products()).to_json()
    names = {i["name"] for i in _category(body, "pets/cat-food")["items"]}
    assert "food" not in names  # "dog food" must not read as cat food
    assert {"dry cat food", "wet cat food"} <= names


def test_the_seed_asks_a_size_for_clothes_not_for_milk_tea() -> None:
    catalog = generate_catalog(random.Random(3), product_count=1500)
    body = build_vocabulary(catalog.products).to_json()
    assert _category(body, "apparel/t-shirt")["size_required"] is True
    assert _category(body, "drinks/milk-tea")["size_required"] is False
    sizes = {
        v["value"]: v["name_zh"] for v in _category(body, "apparel/t-shirt")["attributes"]["size"]
    }
    assert sizes["M"] == "M码"
    colours = {
        v["value"]: v["name_zh"] for v in _category(body, "apparel/t-shirt")["attributes"]["colour"]
    }
    assert colours["black"] == "黑色"


def test_names_leave_out_brand_variant_and_measure() -> None:
    assert (
        english_name("Voltly Power Bank 10000mAh - black", "Voltly", {"colour": "black"}, ())
        == "power bank"
    )
    assert english_name("Pearl Milk Tea (Large)", "", {"size": "large"}, ("size",)) == (
        "pearl milk tea"
    )
    assert chinese_name("Voltly 10000毫安充电宝 黑色", "Voltly", {"colour": "black"}, ()) == (
        "10000毫安充电宝"
    )
    assert chinese_name("no chinese here", "", {}, ()) == ""


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(_WORD, _WORD, st.sampled_from(["a/b", "a/c", "d"])), min_size=1, max_size=12)
)
def test_every_offer_is_counted_once_and_the_version_follows_the_content(
    rows: list[tuple[str, str, str]],
) -> None:
    products = [
        Product(f"p_{i}", "m_x", f"{brand} {noun}", "", brand, category, Money(100, "CNY"), 1, 1)
        for i, (brand, noun, category) in enumerate(rows)
    ]
    vocabulary = build_vocabulary(products)
    assert sum(c.products for c in vocabulary.categories) == len(products)
    assert all(isinstance(c, CategoryWords) for c in vocabulary.categories)
    assert vocabulary.version == build_vocabulary(reversed(products)).version
    assert vocabulary.version != build_vocabulary(products[:-1]).version


def test_loaded_from_the_store(db: Database) -> None:
    catalog = seed_catalog(db, random.Random(4), product_count=400)
    loaded = load_vocabulary(db)
    assert loaded.version == build_vocabulary(catalog.products).version
