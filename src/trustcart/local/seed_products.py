"""The demo catalog's products, generated from small tables and one ``random.Random``.

The tea shops' menus come first and are hand-set where the demo depends on them: each of the
five tea shops sells "Pearl Milk Tea / 珍珠奶茶" (``PEARL_MILK_TEA``) at a fixed price between 12
and 28 CNY, and Lakeside sells a fixed-price signature drink; the other drinks vary around a
base price. Every drink comes in medium and large, two variants of one product group per shop;
a shop's own drink has no brand, so the same drink at five shops compares by its title. The
bulk (apparel in sizes and colours, eyewear, hats, groceries, electronics, each with a GTIN-13
and listed by several shops) comes from ``seed_skus``; the recipes' pantry (hotpot base, tofu,
...) from ``seed_pantry``, at every grocery shop. Everything comes from the
``random.Random`` passed in, in a fixed order, so one seed gives byte-identical products on
every machine.
"""

from __future__ import annotations

import random

from trustcart.commerce.catalog import Product
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.local.seed_merchants import MERCHANTS, cny
from trustcart.local.seed_pantry import pantry_products
from trustcart.local.seed_skus import bulk_products, group_id, vary

PEARL_MILK_TEA = ("Pearl Milk Tea", "珍珠奶茶")

# (title, title_zh, category, base price CNY) for every tea shop; the Pearl Milk Tea price is
# set per shop below so that the demo's best offer is fixed, not left to chance.
_DRINKS = (
    ("Taro Milk Tea", "芋泥奶茶", "drinks/milk-tea", 17),
    ("Brown Sugar Boba Milk", "黑糖珠珠鲜奶", "drinks/milk-tea", 19),
    ("Oolong Milk Tea", "乌龙奶茶", "drinks/milk-tea", 15),
    ("Coconut Milk Tea", "椰奶茶", "drinks/milk-tea", 16),
    ("Cheese Foam Oolong", "芝士奶盖乌龙", "drinks/milk-tea", 21),
    ("Jasmine Green Tea", "茉莉绿茶", "drinks/fruit-tea", 12),
    ("Mango Pomelo Sago", "杨枝甘露", "drinks/fruit-tea", 22),
    ("Grape Jasmine Tea", "多肉葡萄", "drinks/fruit-tea", 24),
    ("Lemon Black Tea", "柠檬红茶", "drinks/fruit-tea", 13),
    ("Strawberry Fruit Tea", "草莓果茶", "drinks/fruit-tea", 20),
    ("Matcha Latte", "抹茶拿铁", "drinks/coffee", 23),
    ("Iced Americano", "冰美式", "drinks/coffee", 14),
)
# Fixed-price signature drinks, no coupon reaches them: the delegated demo buys Lakeside's
# (28.00) twice and is then refused, because a third would pass its 80 CNY budget.
_SIGNATURES = (("m_lakeside_tea", "Lakeside Signature Cheese Tea", "湖畔招牌芝士茶", "28.00"),)
_PEARL_PRICES = {
    "m_lakeside_tea": "18.00",
    "m_pearl_house": "16.00",
    "m_leaf_and_cup": "19.00",
    "m_bobo_cha": "22.00",
    "m_bund_tea": "12.00",
}


def _tea_menus(rng: random.Random) -> list[Product]:
    products = []
    for merchant in MERCHANTS[:5]:
        mid = merchant.merchant_id
        menu = [(*PEARL_MILK_TEA, "drinks/milk-tea", cny(_PEARL_PRICES[mid]))]
        menu += [
            (t, zh, "drinks/milk-tea", cny(price))
            for shop, t, zh, price in _SIGNATURES
            if shop == mid
        ]
        menu += [(t, zh, c, vary(rng, base)) for t, zh, c, base in _DRINKS]
        for title, title_zh, category, price in menu:
            for size, size_zh, extra in (("medium", "中杯", 0), ("large", "大杯", 300)):
                products.append(
                    Product(
                        product_id=new_id("p", rng.randbytes),
                        merchant_id=mid,
                        title=title if not extra else f"{title} (Large)",
                        title_zh=title_zh if not extra else f"{title_zh}（{size_zh}）",
                        brand="",  # the shop's own drink
                        category=category,
                        price=Money(price.minor + extra, "CNY"),
                        stock=rng.randrange(50, 300),
                        delivery_minutes=rng.randrange(20, 45),
                        attributes={"size": size, "sugar": "adjustable", "ice": "adjustable"},
                        group_id=group_id(mid.removeprefix("m_"), title),
                    )
                )
    return products


def generate_products(rng: random.Random, *, product_count: int = 10_000) -> list[Product]:
    """The tea menus, the bulk's listings until there are ``product_count`` (or more), then the
    recipes' pantry (``seed_pantry``, drawn without advancing ``rng``)."""
    products = _tea_menus(rng)
    products += bulk_products(rng, product_count - len(products))
    return products + pantry_products(rng)
