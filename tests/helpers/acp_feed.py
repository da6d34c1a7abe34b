"""The pinned ACP feed schema as a validator, and products drawn for feed round trips."""

from __future__ import annotations

import json
import random
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from trustcart.commerce.catalog import MAX_COUNT, Product
from trustcart.conformance.web_bot_auth import conformance_dir
from trustcart.core.money import MAX_MINOR, Money

FEED_SCHEMA = conformance_dir() / "acp/spec/2026-04-17/json-schema/schema.feed.json"


@cache
def feed_validator() -> Draft202012Validator:
    """A validator of ``ProductsResponse`` (``{"products": [...]}``) with formats checked."""
    bundle = json.loads(FEED_SCHEMA.read_text(encoding="utf-8"))
    schema = {"$ref": "#/$defs/ProductsResponse", "$defs": bundle["$defs"]}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def feed_errors(feed: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in feed_validator().iter_errors(feed)]


_TITLES = ["Pearl Milk Tea", "珍珠奶茶 大杯", "Café crème «spécial»", "🧋 Boba", "Ñandú ŁÓDŹ", "x"]


def generated_products(rng: random.Random, merchant_id: str, count: int) -> list[Product]:
    """``count`` varied products: unicode titles, prices at 0 and at the bound, stock 0 and the
    bound, groups, attributes, GTINs, images, brands or none."""
    products = []
    for n in range(count):
        currency = rng.choice(["CNY", "USD", "JPY", "KWD"])
        minor = rng.choice([0, 1, MAX_MINOR, rng.randrange(MAX_MINOR)])
        title = f"{rng.choice(_TITLES)} {n}"
        products.append(
            Product(
                product_id=f"p_gen{n:05d}",
                merchant_id=merchant_id,
                title=title,
                title_zh=rng.choice(["", "奶茶", "测试商品"]),
                brand=rng.choice(["", "Lotus", "品牌"]),
                category=rng.choice(["drinks/milk-tea", "apparel/t-shirt", "misc"]),
                price=Money(minor, currency),
                stock=rng.choice([0, 1, 7, MAX_COUNT]),
                delivery_minutes=rng.choice([0, 30, MAX_COUNT]),
                attributes=rng.choice([{}, {"size": "M"}, {"colour": "红", "Size": "L"}]),
                gtin=rng.choice([None, "6901234567892", "12345678"]),
                image_url=rng.choice([None, f"https://cdn.example.com/p/{n}.png"]),
                group_id=rng.choice([None, f"g_group{n % 7}"]),
            )
        )
    return products
