"""The demo catalog's bulk: products (SKUs) of four verticals, each listed by several shops.

A SKU is one variant of one product: a brand's style in one colour and size, one pack of one
grocery. It has its own GTIN-13 and a base price, and belongs to the product group of its model
(``group_id``: every size and colour of "Hangtee Classic Crew T-Shirt" shares one). Each SKU
drawn is listed by one to three of its vertical's shops (``seed_merchants.VERTICALS``), each at
its own price level, stock and delivery time, so the same GTIN is on sale at several prices and
``compare`` has something to compare.

``bulk_products`` draws verticals by weight and SKUs of a vertical in a shuffled order until the
catalog is large enough; a vertical whose SKUs are all listed drops out. Everything comes from
the ``random.Random`` passed in, in a fixed order, so one seed gives byte-identical products.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from trustcart.commerce.catalog import Product
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.local.seed_merchants import DELIVERY_MINUTES, PRICE_LEVELS, VERTICALS

COLOURS = (
    ("black", "黑色"),
    ("white", "白色"),
    ("navy", "藏青色"),
    ("grey", "灰色"),
    ("red", "红色"),
    ("olive", "橄榄绿"),
    ("sky blue", "天蓝色"),
    ("beige", "米色"),
)
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
_APPAREL = (
    ("Classic Crew T-Shirt", "经典圆领T恤", "apparel/t-shirt", 59, "cotton"),
    ("Heavyweight Oversized T-Shirt", "重磅宽松T恤", "apparel/t-shirt", 89, "cotton"),
    ("Quick-Dry Sport T-Shirt", "速干运动T恤", "apparel/t-shirt", 79, "polyester"),
    ("Linen Blend T-Shirt", "亚麻混纺T恤", "apparel/t-shirt", 129, "linen"),
    ("V-Neck T-Shirt", "V领T恤", "apparel/t-shirt", 49, "cotton"),
    ("Graphic Print T-Shirt", "印花T恤", "apparel/t-shirt", 69, "cotton"),
    ("Long Sleeve T-Shirt", "长袖T恤", "apparel/t-shirt", 79, "cotton"),
    ("Pocket T-Shirt", "口袋T恤", "apparel/t-shirt", 65, "cotton"),
    ("Slim Fit T-Shirt", "修身T恤", "apparel/t-shirt", 59, "cotton"),
    ("Zip Hoodie", "拉链连帽卫衣", "apparel/hoodie", 199, "cotton"),
    ("Pullover Hoodie", "套头连帽卫衣", "apparel/hoodie", 169, "fleece"),
    ("Oversized Hoodie", "宽松连帽卫衣", "apparel/hoodie", 219, "cotton"),
    ("Lightweight Hoodie", "薄款连帽卫衣", "apparel/hoodie", 149, "polyester"),
    ("Pique Polo Shirt", "珠地网眼Polo衫", "apparel/polo", 139, "cotton"),
    ("Performance Polo Shirt", "运动速干Polo衫", "apparel/polo", 159, "polyester"),
    ("Long Sleeve Polo Shirt", "长袖Polo衫", "apparel/polo", 169, "cotton"),
)
_APPAREL_BRANDS = (
    "Hangtee",
    "Lakewear",
    "Basics+",
    "Urban Leaf",
    "Mountain & River",
    "Silk Street",
)
_EYEWEAR_AND_HATS = (
    ("Polarized Sunglasses", "偏光太阳镜", "accessories/eyewear", 199),
    ("Blue-Light Glasses", "防蓝光眼镜", "accessories/eyewear", 129),
    ("Reading Glasses", "老花镜", "accessories/eyewear", 79),
    ("Titanium Optical Frame", "钛金属光学镜架", "accessories/eyewear", 399),
    ("Baseball Cap", "棒球帽", "accessories/hat", 69),
    ("Bucket Hat", "渔夫帽", "accessories/hat", 79),
    ("Knit Beanie", "针织毛线帽", "accessories/hat", 59),
    ("Wide-Brim Sun Hat", "宽檐遮阳帽", "accessories/hat", 99),
)
_EYEWEAR_BRANDS = ("Clear View", "Sunray", "Peakline", "Oriel")
_GROCERIES = (
    ("Whole Milk", "全脂牛奶", "grocery/dairy", 12, ("1L", "2L")),
    ("Skimmed Milk", "脱脂牛奶", "grocery/dairy", 11, ("1L",)),
    ("Greek Yogurt", "希腊酸奶", "grocery/dairy", 9, ("200g", "500g")),
    ("Cheddar Cheese", "切达奶酪", "grocery/dairy", 35, ("200g",)),
    ("Jasmine Rice", "茉莉香米", "grocery/staples", 45, ("2.5kg", "5kg")),
    ("Light Soy Sauce", "生抽酱油", "grocery/staples", 15, ("500ml", "1L")),
    ("Free-Range Eggs", "散养鸡蛋", "grocery/staples", 22, ("10 pack", "20 pack")),
    ("Peanut Oil", "花生油", "grocery/staples", 59, ("1.8L", "5L")),
    ("Fuji Apples", "红富士苹果", "grocery/produce", 18, ("1kg", "2kg")),
    ("Bananas", "香蕉", "grocery/produce", 9, ("1kg",)),
    ("Cherry Tomatoes", "圣女果", "grocery/produce", 14, ("500g",)),
    ("Longjing Green Tea Leaves", "西湖龙井茶叶", "grocery/tea", 168, ("100g", "250g")),
    ("Milk Tea Powder", "奶茶粉", "grocery/tea", 29, ("400g", "1kg")),
    ("Oolong Tea Leaves", "乌龙茶叶", "grocery/tea", 88, ("250g",)),
    ("Tapioca Pearls", "木薯珍珠", "grocery/snacks", 14, ("500g", "1kg")),
    ("Instant Noodles", "方便面", "grocery/snacks", 19, ("5 pack", "10 pack")),
    ("Roasted Peanuts", "烤花生", "grocery/snacks", 16, ("250g", "500g")),
)
_GROCERY_BRANDS = (
    "Fresh Mart",
    "Jiangnan Farm",
    "Golden Field",
    "Lakeside Organics",
    "Hubin Select",
    "Qiandao Spring",
)
_ELECTRONICS = (
    ("USB-C Charger 65W", "65W USB-C充电器", 149),
    ("Wireless Earbuds", "无线耳机", 299),
    ("Phone Case", "手机壳", 39),
    ("Power Bank 10000mAh", "10000毫安充电宝", 129),
    ("USB-C Cable 1m", "1米USB-C数据线", 29),
    ("Bluetooth Speaker", "蓝牙音箱", 199),
    ("Screen Protector", "钢化屏幕保护膜", 25),
    ("Wireless Mouse", "无线鼠标", 89),
)
_ELECTRONICS_BRANDS = ("Voltly", "Anchor", "Pixelwave", "Kestrel")
_WEIGHTS = (("apparel", 55), ("grocery", 20), ("eyewear-and-hats", 13), ("electronics", 12))
_SHOPS_PER_SKU = ((1, 2, 3), (15, 45, 40))  # how many of a vertical's shops list one SKU


@dataclass(frozen=True, slots=True)
class Sku:
    """One variant of one product, before any shop lists it."""

    title: str
    title_zh: str
    brand: str
    category: str
    base_price: int  # whole CNY
    attributes: tuple[tuple[str, str], ...]
    gtin: str
    group_id: str
    image_url: str | None = None


def slug(text: str) -> str:
    """'Mountain & River' -> 'mountain-river' (for group ids).

    >>> slug("Mountain & River Zip Hoodie")
    'mountain-river-zip-hoodie'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def group_id(*parts: str) -> str:
    """The id of a product group: ``g_`` and the slug of its brand and model."""
    return "g_" + slug(" ".join(parts))[:64].rstrip("-")


def vary(rng: random.Random, base_cny: int) -> Money:
    """A price near ``base_cny``, ending in .90 or .00 as shop prices do."""
    whole = max(1, round(base_cny * rng.uniform(0.8, 1.35)))
    return Money(whole * 100 - rng.choice((0, 10)), "CNY")


def gtin13(rng: random.Random) -> str:
    """A GTIN-13 with China's GS1 prefix (690-699) and a valid check digit."""
    digits = [6, 9, 0, *map(int, f"{rng.randrange(10**9):09d}")]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _apparel(gtin: Iterator[str]) -> Iterator[Sku]:
    for title, zh, category, base, material in _APPAREL:
        for brand in _APPAREL_BRANDS:
            for (colour, colour_zh), size in ((c, s) for c in COLOURS for s in SIZES):
                yield Sku(
                    f"{brand} {title} - {colour}, {size}",
                    f"{brand} {zh} {colour_zh} {size}码",
                    brand,
                    category,
                    base,
                    (("colour", colour), ("material", material), ("size", size)),
                    next(gtin),
                    group_id(brand, title),
                    "https://img.trustcart.example/apparel.jpg",
                )


def _eyewear_and_hats(gtin: Iterator[str]) -> Iterator[Sku]:
    for title, zh, category, base in _EYEWEAR_AND_HATS:
        for brand in _EYEWEAR_BRANDS:
            for colour, colour_zh in COLOURS:
                yield Sku(
                    f"{brand} {title} - {colour}",
                    f"{brand} {zh} {colour_zh}",
                    brand,
                    category,
                    base,
                    (("colour", colour),),
                    next(gtin),
                    group_id(brand, title),
                )


def _groceries(gtin: Iterator[str]) -> Iterator[Sku]:
    for title, zh, category, base, packs in _GROCERIES:
        for brand in _GROCERY_BRANDS:
            for number, pack in enumerate(packs):
                yield Sku(
                    f"{brand} {title} {pack}",
                    f"{brand} {zh} {pack}",
                    brand,
                    category,
                    base * (1 + number),  # the bigger pack costs more
                    (("pack", pack),),
                    next(gtin),
                    group_id(brand, title),
                )


def _electronics(gtin: Iterator[str]) -> Iterator[Sku]:
    for title, zh, base in _ELECTRONICS:
        for brand in _ELECTRONICS_BRANDS:
            for colour, colour_zh in COLOURS:
                yield Sku(
                    f"{brand} {title} - {colour}",
                    f"{brand} {zh} {colour_zh}",
                    brand,
                    "electronics/accessories",
                    base,
                    (("colour", colour),),
                    next(gtin),
                    group_id(brand, title),
                )


def _unique_gtins(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        code = gtin13(rng)
        if code not in seen:
            seen.add(code)
            yield code


def sku_universe(rng: random.Random) -> dict[str, list[Sku]]:
    """Every SKU of each vertical, in a shuffled order drawn from ``rng``."""
    gtins = _unique_gtins(rng)
    universe = {
        "apparel": list(_apparel(gtins)),
        "eyewear-and-hats": list(_eyewear_and_hats(gtins)),
        "grocery": list(_groceries(gtins)),
        "electronics": list(_electronics(gtins)),
    }
    for skus in universe.values():
        rng.shuffle(skus)
    return universe


def list_sku(rng: random.Random, sku: Sku, shops: tuple[str, ...]) -> list[Product]:
    """The SKU on sale at one to three of ``shops``, each at its own price, stock and speed."""
    count = rng.choices(*_SHOPS_PER_SKU)[0]
    base = vary(rng, sku.base_price)
    products = []
    for merchant_id in sorted(rng.sample(shops, min(count, len(shops)))):
        low, high = PRICE_LEVELS[merchant_id]
        whole = max(1, round(base.minor / 100 * rng.randrange(low, high + 1) / 100))
        fastest, slowest = DELIVERY_MINUTES[merchant_id]
        products.append(
            Product(
                new_id("p", rng.randbytes),
                merchant_id,
                sku.title,
                sku.title_zh,
                sku.brand,
                sku.category,
                Money(whole * 100 - rng.choice((0, 10)), "CNY"),
                rng.randrange(0, 200),
                rng.randrange(fastest, slowest + 1),
                dict(sku.attributes),
                gtin=sku.gtin,
                image_url=sku.image_url,
                group_id=sku.group_id,
            )
        )
    return products


def bulk_products(rng: random.Random, count: int) -> list[Product]:
    """At least ``count`` listings (fewer only when every SKU is listed), verticals by weight."""
    universe = sku_universe(rng)
    products: list[Product] = []
    while len(products) < count:
        open_verticals = [(v, w) for v, w in _WEIGHTS if universe[v]]
        if not open_verticals:
            break
        vertical = rng.choices([v for v, _ in open_verticals], [w for _, w in open_verticals])[0]
        products += list_sku(rng, universe[vertical].pop(), VERTICALS[vertical])
    return products
