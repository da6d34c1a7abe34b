"""A merchant's own catalog that shares no product word with the demo seed (EN + 中文).

Pets, candles, stationery, yoga and snacks: categories, titles, brands and attributes the
built-in lexicon has never seen, in the shapes merchants write them (brand first, a variant
after " - ", Chinese titles with the colour or scent as a separate word, no spaces elsewhere).
"""

from __future__ import annotations

from decimal import Decimal

from trustcart.commerce.catalog import Merchant, Product
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money

MERCHANT = Merchant(
    "m_paws_and_wax",
    "Paws & Wax 爪与蜡",
    GeoPoint(Decimal("30.2600"), Decimal("120.1400")),
    Decimal("3000"),
    ("pets/cat-food", "home/candles", "stationery/pens", "sports/yoga-mats", "snacks/chips"),
    "CNY",
    Money(0, "CNY"),
)
SECOND = Merchant(
    "m_cosy_corner",
    "Cosy Corner 温馨角",
    GeoPoint(Decimal("30.2700"), Decimal("120.1500")),
    Decimal("3000"),
    MERCHANT.categories,
    "CNY",
    Money(500, "CNY"),
)

# (title, title_zh, brand, category, price, attributes)
_ROWS: tuple[tuple[str, str, str, str, str, dict[str, str]], ...] = (
    (
        "Whisker Dry Cat Food 2kg",
        "Whisker 成猫干猫粮 2kg",
        "Whisker",
        "pets/cat-food",
        "89.00",
        {"pack": "2kg", "flavour": "chicken"},
    ),
    (
        "Whisker Wet Cat Food 85g",
        "Whisker 幼猫湿猫粮 85g",
        "Whisker",
        "pets/cat-food",
        "6.50",
        {"pack": "85g", "flavour": "tuna"},
    ),
    (
        "Purrfect Dry Cat Food 5kg",
        "Purrfect 全价干猫粮 5kg",
        "Purrfect",
        "pets/cat-food",
        "199.00",
        {"pack": "5kg", "flavour": "salmon"},
    ),
    (
        "Lumen Scented Candle - lavender",
        "Lumen 香薰蜡烛 薰衣草",
        "Lumen",
        "home/candles",
        "39.00",
        {"scent": "lavender"},
    ),
    (
        "Lumen Scented Candle - rose",
        "Lumen 香薰蜡烛 玫瑰",
        "Lumen",
        "home/candles",
        "39.00",
        {"scent": "rose"},
    ),
    (
        "Glow Pillar Candle - vanilla",
        "Glow 柱形蜡烛 香草",
        "Glow",
        "home/candles",
        "25.00",
        {"scent": "vanilla"},
    ),
    (
        "Glow Pillar Candle - rose",
        "Glow 柱形蜡烛 玫瑰",
        "Glow",
        "home/candles",
        "25.00",
        {"scent": "rose"},
    ),
    (
        "Inkwell Gel Pen - blue",
        "Inkwell 中性笔 蓝色",
        "Inkwell",
        "stationery/pens",
        "3.50",
        {"ink": "blue"},
    ),
    (
        "Inkwell Gel Pen - red",
        "Inkwell 中性笔 红色",
        "Inkwell",
        "stationery/pens",
        "3.50",
        {"ink": "red"},
    ),
    (
        "Inkwell Fountain Pen - blue",
        "Inkwell 钢笔 蓝色",
        "Inkwell",
        "stationery/pens",
        "59.00",
        {"ink": "blue"},
    ),
    (
        "Zenflow Yoga Mat 6mm - purple",
        "Zenflow 瑜伽垫 紫色",
        "Zenflow",
        "sports/yoga-mats",
        "129.00",
        {"thickness": "6mm", "shade": "purple"},
    ),
    (
        "Zenflow Yoga Mat 6mm - teal",
        "Zenflow 瑜伽垫 青色",
        "Zenflow",
        "sports/yoga-mats",
        "129.00",
        {"thickness": "6mm", "shade": "teal"},
    ),
    (
        "Crispy Potato Chips Original",
        "脆脆 原味薯片",
        "Crispy",
        "snacks/chips",
        "7.90",
        {"flavour": "original"},
    ),
    (
        "Crispy Potato Chips BBQ",
        "脆脆 烧烤味薯片",
        "Crispy",
        "snacks/chips",
        "7.90",
        {"flavour": "bbq"},
    ),
)


def foreign_products() -> list[Product]:
    """Every row at the first shop; the candles and cat food at the second too, dearer."""
    products = []
    for index, (title, zh, brand, category, price, attributes) in enumerate(_ROWS):
        for shop, markup in ((MERCHANT, 0), (SECOND, 200)):
            if shop is SECOND and category not in ("home/candles", "pets/cat-food"):
                continue
            products.append(
                Product(
                    f"p_{shop.merchant_id.removeprefix('m_')}_{index}",
                    shop.merchant_id,
                    title,
                    zh,
                    brand,
                    category,
                    Money.parse(price, "CNY") + Money(markup, "CNY"),
                    20,
                    90,
                    attributes,
                    gtin=f"69{index:011d}",
                )
            )
    return products
