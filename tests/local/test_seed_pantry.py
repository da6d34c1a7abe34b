"""The recipes' pantry: every ingredient the shipped dishes name is on sale, and adding the
pantry changed nothing else in the seeded catalog."""

from __future__ import annotations

import random

import pytest

from trustcart.assistant.recipes import recipe_table
from trustcart.local.seed import DEMO_SEED
from trustcart.local.seed_merchants import VERTICALS
from trustcart.local.seed_pantry import PANTRY, pantry_products
from trustcart.local.seed_products import _tea_menus, generate_products
from trustcart.local.seed_skus import bulk_products


def test_the_pantry_is_appended_without_disturbing_any_other_draw() -> None:
    with_pantry = random.Random(DEMO_SEED)
    products = generate_products(with_pantry, product_count=2_000)
    without = random.Random(DEMO_SEED)
    earlier = _tea_menus(without)
    earlier += bulk_products(without, 2_000 - len(earlier))
    assert products[: len(earlier)] == earlier
    assert len(products) == len(earlier) + len(PANTRY) * len(VERTICALS["grocery"])
    assert with_pantry.getstate() == without.getstate()  # later draws (price history) unchanged


@pytest.mark.parametrize("seed", [DEMO_SEED, 7, 12345])
def test_every_pantry_item_is_at_every_grocery_shop_in_stock(seed: int) -> None:
    products = pantry_products(random.Random(seed))
    assert products == pantry_products(random.Random(seed))  # reproducible
    for title, *_ in PANTRY:
        listed = [p for p in products if title in p.title]
        assert {p.merchant_id for p in listed} == set(VERTICALS["grocery"]), title
        assert all(p.stock >= 40 and p.price.minor > 0 for p in listed)
        assert len({p.gtin for p in listed}) == 1  # one product, listed by three shops


def test_every_ingredient_of_every_dish_is_sold_in_the_demo_catalog() -> None:
    titles = [p.title.lower() for p in generate_products(random.Random(DEMO_SEED))]
    missing = {
        (dish.key, ingredient.query)
        for dish in recipe_table()
        for ingredient in dish.ingredients
        if not any(all(word in title for word in ingredient.query.split()) for title in titles)
    }
    assert not missing
