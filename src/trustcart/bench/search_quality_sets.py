"""Labelled queries for the search evaluation: Chinese, typos, and queries with no good match.

Two catalogs are judged. The demo seed (``local.seed``: English titles with ``title_zh``),
where an offer's label is the seed's base title it was made from ("Polarized Sunglasses"); and
a generated catalog (``generated_offers``) of goods the seed does not sell (kitchen, sport,
home, personal care), written with words that appear nowhere in the seed, in two forms: with
a Chinese title (as the seed) and English only (an imported feed), where only a cross-lingual
signal can find a Chinese query's goods. Each query names the labels that answer it; a query
with no label is one where the right answer is "no good match".

Queries were written before the ranking was tuned and are kept as written; several ask with
a word the product text does not contain (a synonym: "墨镜" for 太阳镜), where the lexical
side cannot help.
"""

from __future__ import annotations

import random
from decimal import Decimal

from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.search.documents import DeliveryZone, IndexedOffer

# (Chinese query, labels in the seed catalog that answer it)
SEED_CHINESE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("珍珠奶茶", ("Pearl Milk Tea",)),
    ("我想要一杯珍珠奶茶", ("Pearl Milk Tea",)),
    ("奶茶", ("Pearl Milk Tea", "Taro Milk Tea", "Oolong Milk Tea", "Coconut Milk Tea")),
    ("太阳镜", ("Polarized Sunglasses",)),
    ("墨镜", ("Polarized Sunglasses",)),
    ("T恤", tuple(f"{t} T-Shirt" for t in ("Crew", "Oversized", "Sport", "Blend", "V-Neck"))),
    ("短袖", ("Crew T-Shirt", "Oversized T-Shirt", "Sport T-Shirt", "V-Neck T-Shirt")),
    ("卫衣", ("Hoodie",)),  # every hoodie is a 卫衣 (the seed has zip, pullover, oversized, ...)
    ("眼镜", ("Blue-Light Glasses", "Reading Glasses", "Optical Frame")),
    ("帽子", ("Baseball Cap", "Bucket Hat", "Knit Beanie", "Sun Hat")),
    ("咖啡", ("Iced Americano", "Matcha Latte")),
    ("牛奶", ("Whole Milk",)),
    ("酸奶", ("Greek Yogurt",)),
    ("大米", ("Jasmine Rice",)),
    ("酱油", ("Soy Sauce",)),
    ("鸡蛋", ("Free-Range Eggs",)),
    ("苹果", ("Fuji Apples",)),
    ("水果", ("Fuji Apples", "Bananas")),
    ("绿茶", ("Jasmine Green Tea", "Longjing Green Tea Leaves")),
    ("茶叶", ("Longjing Green Tea Leaves",)),
    ("面条", ("Instant Noodles",)),
    ("耳机", ("Wireless Earbuds",)),
    ("蓝牙耳机", ("Wireless Earbuds",)),
    ("充电器", ("USB-C Charger",)),
    ("移动电源", ("Power Bank",)),
    ("手机壳", ("Phone Case",)),
    ("便宜的黑色T恤", ("Crew T-Shirt", "Oversized T-Shirt", "Sport T-Shirt", "V-Neck T-Shirt")),
    ("拿铁", ("Matcha Latte",)),
    ("柠檬茶", ("Lemon Black Tea",)),
    ("芒果", ("Mango Pomelo Sago",)),
    ("草莓", ("Strawberry Fruit Tea",)),
    ("椰子", ("Coconut Milk Tea",)),
    ("针织帽", ("Knit Beanie",)),
    ("老花眼镜", ("Reading Glasses",)),
    ("香蕉", ("Bananas",)),
    ("珍珠", ("Pearl Milk Tea", "Tapioca Pearls")),
)

# (typed query, labels that answer it) on the seed catalog
SEED_TYPOS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tshirt", ("T-Shirt",)),
    ("t shirt", ("T-Shirt",)),
    ("tshirts", ("T-Shirt",)),
    ("mlik tea", ("Milk Tea",)),
    ("milktea", ("Milk Tea",)),
    ("sunglases", ("Polarized Sunglasses",)),
    ("sunglass", ("Polarized Sunglasses",)),
    ("hodie", ("Hoodie",)),
    ("hoddie", ("Hoodie",)),
    ("beenie", ("Knit Beanie",)),
    ("bananna", ("Bananas",)),
    ("noodels", ("Instant Noodles",)),
    ("earbud", ("Wireless Earbuds",)),
    ("ear buds", ("Wireless Earbuds",)),
    ("powerbank", ("Power Bank",)),
    ("jasmin tea", ("Jasmine Green Tea", "Grape Jasmine Tea")),
    ("perl milk tea", ("Pearl Milk Tea",)),
    ("oolong mlik tea", ("Oolong Milk Tea",)),
    ("yogurtt", ("Greek Yogurt",)),
    ("basball cap", ("Baseball Cap",)),
)

# Queries the seed catalog has no good answer for (in both languages).
SEED_NO_MATCH: tuple[str, ...] = (
    "sparkling water",
    "laptop",
    "running shoes",
    "sofa",
    "pizza",
    "umbrella",
    "wool socks",
    "red wine",
    "guitar",
    "dog food",
    "bicycle",
    "perfume",
    "汽水",
    "笔记本电脑",
    "跑鞋",
    "沙发",
    "披萨",
    "雨伞",
    "袜子",
    "红酒",
    "吉他",
    "狗粮",
    "自行车",
    "香水",
)

# Good matches that are not typos, English, on the seed (for the relevance calibration).
SEED_ENGLISH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pearl milk tea", ("Pearl Milk Tea",)),
    ("sunglasses", ("Polarized Sunglasses",)),
    ("bubble tea drink", ("Milk Tea", "Boba")),
    ("hat", ("Cap", "Hat", "Beanie")),
    ("charger", ("USB-C Charger",)),
    ("green tea", ("Green Tea",)),
    ("black t-shirt", ("T-Shirt",)),
    ("coffee", ("Iced Americano", "Matcha Latte")),
    ("rice", ("Jasmine Rice",)),
    ("headphones", ("Wireless Earbuds",)),
)

# The generated catalog: (label, English title, Chinese title, category).
GENERATED_GOODS: tuple[tuple[str, str, str, str], ...] = (
    ("bottle", "Insulated Steel Water Bottle", "不锈钢保温杯", "home/kitchen"),
    ("yoga", "Non-Slip Yoga Mat", "防滑瑜伽垫", "sport/fitness"),
    ("runners", "Cushioned Running Shoes", "缓震跑步鞋", "sport/footwear"),
    ("backpack", "Travel Backpack 30L", "旅行双肩包", "bags/backpack"),
    ("umbrella", "Folding Umbrella", "折叠雨伞", "home/outdoor"),
    ("lamp", "LED Desk Lamp", "护眼台灯", "home/lighting"),
    ("socks", "Merino Wool Socks", "羊毛袜", "apparel/socks"),
    ("pan", "Nonstick Frying Pan", "不粘平底锅", "home/kitchen"),
    ("cooker", "Smart Rice Cooker", "智能电饭煲", "home/appliance"),
    ("toothbrush", "Sonic Electric Toothbrush", "声波电动牙刷", "care/oral"),
    ("shampoo", "Anti-Dandruff Shampoo", "去屑洗发水", "care/hair"),
    ("sparkling", "Sparkling Mineral Water", "气泡矿泉水", "grocery/drinks"),
    ("chocolate", "Dark Chocolate Bar", "黑巧克力", "grocery/snacks"),
    ("dumplings", "Frozen Pork Dumplings", "速冻猪肉水饺", "grocery/frozen"),
    ("pillow", "Memory Foam Pillow", "记忆棉枕头", "home/bedding"),
    ("kettle", "Electric Kettle 1.7L", "电热水壶", "home/appliance"),
    ("jeans", "Slim Fit Denim Jeans", "修身牛仔裤", "apparel/trousers"),
    ("watch", "Fitness Smart Watch", "运动智能手表", "electronics/wearable"),
)

# Chinese queries on the generated catalog, many with words its text lacks.
GENERATED_CHINESE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("保温杯", ("bottle",)),
    ("水杯", ("bottle",)),
    ("瑜伽垫", ("yoga",)),
    ("跑鞋", ("runners",)),
    ("运动鞋", ("runners",)),
    ("书包", ("backpack",)),
    ("背包", ("backpack",)),
    ("雨伞", ("umbrella",)),
    ("台灯", ("lamp",)),
    ("袜子", ("socks",)),
    ("炒锅", ("pan",)),
    ("电饭锅", ("cooker",)),
    ("牙刷", ("toothbrush",)),
    ("洗发水", ("shampoo",)),
    ("苏打水", ("sparkling",)),
    ("巧克力", ("chocolate",)),
    ("饺子", ("dumplings",)),
    ("枕头", ("pillow",)),
    ("烧水壶", ("kettle",)),
    ("牛仔裤", ("jeans",)),
    ("手表", ("watch",)),
    ("矿泉水", ("sparkling",)),
)

GENERATED_NO_MATCH: tuple[str, ...] = (
    "珍珠奶茶",
    "太阳镜",
    "耳机",
    "吉他",
    "香水",
    "pearl milk tea",
    "sunglasses",
    "guitar",
)

_BRANDS = ("Northwind", "Kestrel", "Bluepine", "Orchard Lane")
_ZONE = DeliveryZone(GeoPoint(Decimal("30.2590"), Decimal("120.1300")), Decimal("50"))


def generated_offers(
    rng: random.Random, per_good: int = 40, *, chinese: bool
) -> list[IndexedOffer]:
    """``per_good`` offers of each generated good; ``chinese`` adds the Chinese title to the
    searchable text (as the seed does), otherwise the feed is English only."""
    offers = []
    for label, title, title_zh, category in GENERATED_GOODS:
        for n in range(per_good):
            brand = rng.choice(_BRANDS)
            full = f"{brand} {title}"
            text = " ".join(
                p
                for p in (full, title_zh if chinese else "", brand, category.replace("/", " "))
                if p
            )
            offers.append(
                IndexedOffer(
                    f"g_{label}_{n:03d}",
                    "m_generated",
                    full,
                    text,
                    category,
                    Money(rng.randrange(1_000, 50_000), "CNY"),
                    rng.randrange(1, 100),
                    _ZONE,
                )
            )
    return offers


def generated_label(product_id: str) -> str:
    """The label of a generated offer (its product id names it)."""
    return product_id.split("_")[1]
