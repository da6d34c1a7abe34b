"""Hand-set pantry listings: what the shipped recipes need and the bulk's groceries lack.

The recipe table (``assistant/recipes.toml``: "everything for hotpot for four") names
ingredients the bulk's grocery SKUs do not have: hotpot base, lamb slices, tofu, napa
cabbage, enoki mushrooms, sliced bread, scallions. Each is listed here by every grocery shop,
at that shop's price level and delivery speed and with stock, so a dish's basket has a real
split to choose (and Farm Basket's produce coupon and Hubin's "5 off from 39" a combined cart
to reach).

Determinism without disturbing anything earlier: the listings draw from their own
``random.Random`` seeded from the state of the caller's generator, which is read and not
advanced, so for one seed every earlier product, and every draw after this, stays as it was.
"""

from __future__ import annotations

import hashlib
import random

from trustcart.commerce.catalog import Product
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.local.seed_merchants import DELIVERY_MINUTES, PRICE_LEVELS, VERTICALS
from trustcart.local.seed_skus import group_id, gtin13

# (title, title_zh, category, base price CNY, pack); "fresh" (生鲜) is produce here, meat too.
PANTRY = (
    ("Hotpot Base", "火锅底料", "grocery/staples", 22, "200g"),
    ("Lamb Slices", "羊肉片", "grocery/produce", 42, "500g"),
    ("Firm Tofu", "老豆腐", "grocery/produce", 9, "800g"),
    ("Napa Cabbage", "大白菜", "grocery/produce", 9, "2kg"),
    ("Enoki Mushrooms", "金针菇", "grocery/produce", 9, "400g"),
    ("Sliced Bread", "切片面包", "grocery/staples", 12, "400g"),
    ("Scallions", "小葱", "grocery/produce", 8, "300g"),
)
# No pantry price is below 6.90 CNY (base 8 at the cheapest shop's 85 %), so the low price caps
# that found nothing in the catalog before ("pearl milk tea under 5") still find nothing.
_BRAND = "Jiangnan Farm"


def pantry_products(rng: random.Random) -> list[Product]:
    """Every pantry item at every grocery shop, drawn from a generator derived from ``rng``."""
    state = repr(rng.getstate()).encode()
    own = random.Random(hashlib.sha256(b"pantry:" + state).digest())  # noqa: S311 - demo data
    products = []
    for title, title_zh, category, base, pack in PANTRY:
        gtin = gtin13(own)
        for merchant_id in VERTICALS["grocery"]:
            low, high = PRICE_LEVELS[merchant_id]
            whole = max(1, round(base * own.randrange(low, high + 1) / 100))
            fastest, slowest = DELIVERY_MINUTES[merchant_id]
            products.append(
                Product(
                    new_id("p", own.randbytes),
                    merchant_id,
                    f"{_BRAND} {title} {pack}",
                    f"{_BRAND} {title_zh} {pack}",
                    _BRAND,
                    category,
                    Money(whole * 100 - own.choice((0, 10)), "CNY"),
                    own.randrange(40, 200),
                    own.randrange(fastest, slowest + 1),
                    {"pack": pack},
                    gtin=gtin,
                    group_id=group_id(_BRAND, title),
                )
            )
    return products
