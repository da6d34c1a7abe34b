"""A generated merchant catalog for the assistant's evaluation: nothing the seed sells or says.

Hardware, garden, stationery and pet goods, in English and Chinese, from three new merchants.
The goods, brands, categories and variant words are chosen so that none appears in the demo
seed's titles or categories (``shared_vocabulary`` checks it and a test asserts it is empty).
Products are generated deterministically from a seeded ``random.Random``: per merchant, per
good it sells, two brands times every variant value, each at a price drawn inside the good's
documented range (``Good.low`` .. ``Good.high`` CNY), so a case can say "under ``high``" and
expect options, or "under ``low - 1``" and expect none, without asking the code under test.

The catalog reaches the store the way ``trustcart import`` brings one: the merchants are
registered, the products written as a JSONL feed (``commerce.ingest.FLAT_FIELDS``) and read by
``commerce.ingest.import_catalog``, into a fresh store that holds nothing of the seed.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from trustcart.commerce.catalog import Merchant, Product
from trustcart.commerce.ingest import import_catalog
from trustcart.commerce.repository import insert_catalog
from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.store.db import Database

GENERATED_SEED = 20261202


@dataclass(frozen=True, slots=True)
class Good:
    """One kind of good: its names, unit words, price range (whole CNY) and variants."""

    en: str  # singular, as a request names it: "claw hammer"
    plural: str  # "claw hammers"
    zh: str  # "羊角锤"
    category: str
    unit: str  # an English measure word a request may use ("box"), or "" for none
    classifier: str  # the Chinese measure word (量词): "把", "盒", "袋", "包"
    low: int
    high: int
    attribute: str
    values: tuple[tuple[str, str], ...]  # (English, Chinese) variant values

    def __post_init__(self) -> None:
        if not 0 < self.low < self.high:
            raise ValidationError(f"{self.en}: a price range needs 0 < low < high")
        if not self.values:
            raise ValidationError(f"{self.en}: at least one variant")


GOODS: tuple[Good, ...] = (
    Good(
        "claw hammer",
        "claw hammers",
        "羊角锤",
        "hardware/hammers",
        "",
        "把",
        35,
        90,
        "finish",
        (("chrome", "镀铬"), ("walnut", "胡桃木")),
    ),
    Good(
        "screwdriver",
        "screwdrivers",
        "螺丝刀",
        "hardware/screwdrivers",
        "",
        "把",
        9,
        30,
        "tip",
        (("phillips", "十字"), ("flathead", "一字")),
    ),
    Good(
        "wood screws",
        "wood screws",
        "木螺丝",
        "hardware/screws",
        "box",
        "盒",
        6,
        20,
        "gauge",
        (("m4", "四号"), ("m6", "六号")),
    ),
    Good(
        "potting soil",
        "potting soil",
        "营养土",
        "garden/potting-soil",
        "bag",
        "袋",
        15,
        45,
        "volume",
        (("10l", "十升"), ("25l", "二十五升")),
    ),
    Good(
        "flower seeds",
        "flower seeds",
        "花种子",
        "garden/flower-seeds",
        "packet",
        "包",
        3,
        12,
        "flower",
        (("sunflower", "向日葵"), ("marigold", "万寿菊")),
    ),
    Good(
        "pruning shears",
        "pruning shears",
        "修枝剪",
        "garden/shears",
        "",
        "把",
        28,
        75,
        "grip",
        (("ergonomic", "人体工学"), ("soft", "软柄")),
    ),
    Good(
        "pencils",
        "pencils",
        "铅笔",
        "stationery/pencils",
        "box",
        "盒",
        5,
        24,
        "hardness",
        (("hb", "HB"), ("2b", "2B")),
    ),
    Good(
        "sticky notes",
        "sticky notes",
        "便利贴",
        "stationery/sticky-notes",
        "pack",
        "包",
        4,
        15,
        "shade",
        (("neon", "荧光"), ("pastel", "马卡龙")),
    ),
    Good(
        "stapler",
        "staplers",
        "订书机",
        "stationery/staplers",
        "",
        "个",
        18,
        55,
        "capacity",
        (("20 sheets", "二十页"), ("50 sheets", "五十页")),
    ),
    Good(
        "envelopes",
        "envelopes",
        "信封",
        "stationery/envelopes",
        "pack",
        "包",
        6,
        22,
        "format",
        (("a4", "大号"), ("dl", "标准")),
    ),
    Good(
        "cat litter",
        "cat litter",
        "猫砂",
        "pets/cat-litter",
        "bag",
        "袋",
        30,
        85,
        "scent",
        (("unscented", "无香"), ("lavender", "薰衣草")),
    ),
    Good(
        "bird seed",
        "bird seed",
        "鸟食",
        "pets/bird-seed",
        "bag",
        "袋",
        12,
        40,
        "mix",
        (("millet", "小米"), ("sunflower", "葵花籽")),
    ),
    Good(
        "fish flakes",
        "fish flakes",
        "鱼饲料",
        "pets/fish-flakes",
        "box",
        "盒",
        9,
        32,
        "formula",
        (("tropical", "热带鱼"), ("goldfish", "金鱼")),
    ),
    Good(
        "dog leash",
        "dog leashes",
        "狗绳",
        "pets/leashes",
        "",
        "条",
        25,
        70,
        "length",
        (("1.5m", "一米五"), ("3m", "三米")),
    ),
)
BRANDS: tuple[str, ...] = ("Ironwood", "Fernvale", "Quillmark", "Tidewell", "Burrowby")

_WEST_LAKE = GeoPoint(Decimal("30.2600"), Decimal("120.1400"))


def _merchant(merchant_id: str, name: str, categories: Iterable[str], fee: int) -> Merchant:
    return Merchant(
        merchant_id,
        name,
        _WEST_LAKE,
        Decimal("3000"),
        tuple(categories),
        "CNY",
        Money(fee, "CNY"),
    )


def _categories(*prefixes: str) -> tuple[str, ...]:
    return tuple(g.category for g in GOODS if g.category.split("/")[0] in prefixes)


MERCHANTS: tuple[Merchant, ...] = (
    _merchant("m_toolshed", "Toolshed & Trowel 工具棚", _categories("hardware", "garden"), 0),
    _merchant("m_inkpot", "Inkpot Paper Co. 墨池文具", _categories("stationery"), 300),
    _merchant("m_burrow", "Burrow Pet Supply 洞穴宠物", _categories("pets", "garden"), 500),
)


def generated_products(rng: random.Random) -> list[Product]:
    """Every merchant's goods: per good, two brands x every variant, priced inside its range.

    >>> products = generated_products(random.Random(GENERATED_SEED))
    >>> len(products), products == generated_products(random.Random(GENERATED_SEED))
    (68, True)
    """
    products: list[Product] = []
    for merchant in MERCHANTS:
        for good in (g for g in GOODS if g.category in merchant.categories):
            for brand in rng.sample(BRANDS, 2):
                for value, value_zh in good.values:
                    cents = rng.randint(good.low * 10, good.high * 10) * 10
                    number = len(products)
                    products.append(
                        Product(
                            f"p_gen_{number:04d}",
                            merchant.merchant_id,
                            f"{brand} {good.en.title()} - {value}",
                            f"{brand} {good.zh} {value_zh}",
                            brand,
                            good.category,
                            Money(cents, "CNY"),
                            rng.randint(20, 200),
                            rng.choice((45, 60, 90, 120, 240)),
                            {good.attribute: value},
                        )
                    )
    return products


def feed_lines(products: Iterable[Product]) -> list[str]:
    """The products as a JSONL catalog feed in the import format (docs/catalog-format.md)."""
    return [
        json.dumps(
            {
                "product_id": p.product_id,
                "merchant_id": p.merchant_id,
                "title": p.title,
                "title_zh": p.title_zh,
                "brand": p.brand,
                "category": p.category,
                "price": p.price.amount_str(),
                "currency": p.price.currency,
                "stock": p.stock,
                "delivery_minutes": p.delivery_minutes,
                "attributes": dict(p.attributes),
            },
            ensure_ascii=False,
        )
        for p in products
    ]


_WORD = re.compile(r"[a-z]{3,}")
_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")


def _words(texts: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for text in texts:
        words.update(_WORD.findall(text.lower()))
    return words


def shared_vocabulary(generated: Iterable[Product], seed: Iterable[Product]) -> set[str]:
    """Words of the generated goods (titles, categories, variants) that the seed also uses.

    English: every word of three letters or more; Chinese: every run of two or more Han
    characters of a generated title that occurs anywhere in a seed title.
    """
    seed = list(seed)
    generated = list(generated)
    seed_words = _words(p.title for p in seed) | _words(p.category for p in seed)
    own = _words(p.title for p in generated) | _words(p.category for p in generated)
    own |= _words(v for p in generated for v in p.attributes.values())
    shared = own & seed_words
    seed_zh = " ".join(p.title_zh for p in seed)
    for product in generated:
        for run in _HAN.findall(product.title_zh):
            shared.update(run[i : i + 2] for i in range(len(run) - 1) if run[i : i + 2] in seed_zh)
    return shared


def build_generated_store(home: Path, now: datetime, seed: int = GENERATED_SEED) -> str:
    """A fresh store in ``home`` holding only the generated catalog; returns its database URL.

    The merchants are registered, then the products imported from a JSONL feed written to
    ``home/generated-catalog.jsonl`` through ``import_catalog`` (as ``trustcart import``).
    """
    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 'trustcart.db'}"
    feed = home / "generated-catalog.jsonl"
    rng = random.Random(seed)  # noqa: S311 - reproducible evaluation data, not secrets
    feed.write_text(
        "".join(line + "\n" for line in feed_lines(generated_products(rng))), encoding="utf-8"
    )
    db = Database(url)
    try:
        db.migrate()
        with db.transaction() as session:
            insert_catalog(session, MERCHANTS, [])
        report = import_catalog(db, feed, now=now)
        if report.issues:
            raise ValidationError(f"the generated catalog did not import: {report.issues[0]}")
    finally:
        db.dispose()
    return url
