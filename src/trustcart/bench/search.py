"""The catalog search benchmark: a deterministic synthetic marketplace and timed queries.

``synthetic_offers(n)`` builds N offers from many merchants (one per ~1,000 offers, spread over
eight Chinese cities, each with a delivery radius), from small word tables combined by a
seeded ``random.Random``: the same N gives the same catalog everywhere. Titles are English with
a Chinese title beside them, like the demo catalog, and many products are sold by several
merchants under the same title (as on a real marketplace).

With ``distinct_texts`` every title also carries a model code of its own (``"17WDRQP"``),
so no two offers share an embedding text and each is embedded: the default catalog repeats
42 % of its texts (one product at several merchants), which the index embeds once.

``run_search_bench`` ingests the offers (embeddings included, timed end to end), then times
lexical, semantic, filtered and hybrid queries, measures the recall@10 of the IVF search
against an exact scan of the same vectors (a result counts when its similarity reaches the
exact 10th best, so ties between identical titles do not count as misses; all 200 queries in
one pass over the stored vectors), and reports peak memory (``ru_maxrss``, taken before the
baselines). Then, in the same process, the baselines (``bench.search_baseline``): raw tantivy
BM25 over the same terms on the same index files, and an exact numpy scan of the stored
vectors; the report's ``ratios`` divide the index's times by them, which compares across
machines and loads far better than milliseconds do.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np

from trustcart.bench.search_baseline import exact_scan_baseline, ratios, raw_bm25_baseline
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.search.documents import DeliveryZone, IndexedOffer
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.query import SearchMode, SearchQuery

BATCH = 20_000
_CITIES = (
    ("Hangzhou", 30.2590, 120.1300),
    ("Shanghai", 31.2304, 121.4737),
    ("Beijing", 39.9042, 116.4074),
    ("Shenzhen", 22.5431, 114.0579),
    ("Chengdu", 30.5728, 104.0668),
    ("Wuhan", 30.5928, 114.3055),
    ("Xi'an", 34.3416, 108.9398),
    ("Nanjing", 32.0603, 118.7969),
)
_TYPES = (  # (english, chinese, category, base price CNY)
    ("Pearl Milk Tea", "珍珠奶茶", "drinks/milk-tea", 18),
    ("Taro Milk Tea", "芋泥奶茶", "drinks/milk-tea", 17),
    ("Oolong Tea", "乌龙茶", "drinks/tea", 15),
    ("Iced Americano", "冰美式", "drinks/coffee", 14),
    ("Latte", "拿铁", "drinks/coffee", 22),
    ("T-Shirt", "T恤", "apparel/t-shirt", 69),
    ("Hoodie", "连帽卫衣", "apparel/hoodie", 189),
    ("Polo Shirt", "Polo衫", "apparel/polo", 139),
    ("Jeans", "牛仔裤", "apparel/jeans", 229),
    ("Running Shoes", "跑步鞋", "shoes/running", 399),
    ("Sneakers", "运动鞋", "shoes/sneakers", 329),
    ("Sunglasses", "太阳镜", "accessories/eyewear", 199),
    ("Baseball Cap", "棒球帽", "accessories/hat", 69),
    ("Backpack", "双肩包", "bags/backpack", 259),
    ("Wireless Earbuds", "无线耳机", "electronics/audio", 299),
    ("Power Bank", "充电宝", "electronics/accessories", 129),
    ("USB-C Charger", "USB-C充电器", "electronics/accessories", 99),
    ("Phone Case", "手机壳", "electronics/accessories", 39),
    ("Smart Watch", "智能手表", "electronics/wearables", 899),
    ("Desk Lamp", "台灯", "home/lighting", 159),
    ("Rice Cooker", "电饭煲", "home/kitchen", 399),
    ("Green Tea Leaves", "绿茶茶叶", "grocery/tea", 128),
    ("Instant Noodles", "方便面", "grocery/snacks", 19),
    ("Greek Yogurt", "希腊酸奶", "grocery/dairy", 12),
    ("Face Cream", "面霜", "beauty/skincare", 159),
    ("Lipstick", "口红", "beauty/makeup", 189),
    ("Yoga Mat", "瑜伽垫", "sports/yoga", 99),
    ("Basketball", "篮球", "sports/ball", 149),
    ("Notebook", "笔记本", "office/paper", 15),
    ("Gel Pen", "中性笔", "office/pens", 9),
)
_ADJECTIVES = (
    "Classic",
    "Premium",
    "Lightweight",
    "Organic",
    "Vintage",
    "Slim",
    "Oversized",
    "Waterproof",
    "Portable",
    "Deluxe",
    "Eco",
    "Sport",
    "Kids",
    "Pro",
    "Mini",
    "Ultra",
    "Soft",
    "Quick-Dry",
    "Retro",
    "Essential",
)
_COLOURS = (
    ("black", "黑色"),
    ("white", "白色"),
    ("navy", "藏青"),
    ("grey", "灰色"),
    ("red", "红色"),
    ("olive", "橄榄绿"),
    ("pink", "粉色"),
    ("beige", "米色"),
)
_BRAND_SYLLABLES = (
    "Lan",
    "Hua",
    "Mei",
    "Jin",
    "Shan",
    "Yun",
    "Feng",
    "Long",
    "Xing",
    "Bao",
    "Tian",
    "Hai",
    "Le",
    "Kai",
    "Ming",
    "Rui",
)
QUERIES = (
    "pearl milk tea",
    "wireless earbuds",
    "black t-shirt",
    "running shoes",
    "waterproof backpack",
    "iced coffee",
    "smart watch",
    "sunglasses for summer",
    "organic green tea",
    "power bank",
    "yoga mat",
    "珍珠奶茶",
    "无线耳机",
    "跑步鞋",
    "red lipstick",
    "desk lamp",
    "kids hoodie",
    "rice cooker",
    "phone case",
    "basketball",
)


def _brands(rng: random.Random, count: int) -> list[str]:
    return [
        rng.choice(_BRAND_SYLLABLES) + rng.choice(_BRAND_SYLLABLES).lower() for _ in range(count)
    ]


def model_code(number: int) -> str:
    """A product code of its own for each number below 2**32 - 1 (a bijection, scrambled so
    that consecutive numbers do not share prefixes).

    >>> model_code(0), model_code(1), len({model_code(i) for i in range(10_000)})
    ('17WDRQP', 'GRNHIA', 10000)
    """
    return np.base_repr(((number + 1) * 2_654_435_761) % 2**32, 36)


def synthetic_offers(
    count: int, *, seed: int = 20261129, batch: int = BATCH, distinct_texts: bool = False
) -> Iterator[list[IndexedOffer]]:
    """``count`` offers in batches; deterministic for a given (count, seed, distinct_texts)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    merchants = max(10, count // 1000)
    zones = []
    for _ in range(merchants):
        _city, lat, lon = rng.choice(_CITIES)
        origin = GeoPoint(
            Decimal(f"{lat + rng.uniform(-0.2, 0.2):.4f}"),
            Decimal(f"{lon + rng.uniform(-0.2, 0.2):.4f}"),
        )
        zones.append(DeliveryZone(origin, Decimal(rng.choice(("5", "10", "30", "3000")))))
    brands = _brands(rng, 400)
    made = 0
    while made < count:
        offers = []
        for _ in range(min(batch, count - made)):
            title, title_zh, category, base = rng.choice(_TYPES)
            adjective, brand = rng.choice(_ADJECTIVES), rng.choice(brands)
            colour, colour_zh = rng.choice(_COLOURS)
            merchant = rng.randrange(merchants)
            full = f"{brand} {adjective} {title} - {colour}"
            if distinct_texts:
                full = f"{brand} {adjective} {title} {model_code(made)} - {colour}"
            price = max(1, round(base * rng.uniform(0.6, 1.6))) * 100 - rng.choice((0, 10))
            offers.append(
                IndexedOffer(
                    product_id=f"p_b{made:08d}",
                    merchant_id=f"m_b{merchant:05d}",
                    title=full,
                    text=f"{full} {brand} {title_zh} {colour_zh} {category.replace('/', ' ')}",
                    category=category,
                    price=Money(price, "CNY"),
                    stock=rng.choice((0, 3, 20, 100)),
                    zone=zones[merchant],
                )
            )
            made += 1
        yield offers


def _percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000
    return {f"p{q}_ms": round(float(np.percentile(values, q)), 3) for q in (50, 95, 99)}


def _timed(run: Callable[[SearchQuery], object], queries: list[SearchQuery]) -> dict[str, float]:
    for query in queries[:10]:
        run(query)  # warm caches
    samples = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        samples.append(time.perf_counter() - start)
    return _percentiles(samples)


def _recall_at_10(index: EmbeddedCatalogIndex, texts: list[str]) -> float:
    vectors = index.embedder.encode(texts)
    vectors = vectors[np.linalg.norm(vectors, axis=1) > 0]
    found = 0
    for vector, exact in zip(vectors, index.exact_nearest_many(vectors, 10), strict=True):
        tenth = float(index.stored_vectors(exact[-1:])[0] @ vector)
        keys = index.nearest(vector, 10)
        found += int((index.stored_vectors(keys) @ vector >= tenth - 1e-6).sum())
    return found / (10 * len(vectors))


def run_search_bench(
    index: EmbeddedCatalogIndex,
    items: int,
    *,
    queries_per_type: int = 200,
    distinct_texts: bool = False,
    progress: Callable[[int], None] = lambda _n: None,
) -> dict[str, Any]:
    """Ingest ``items`` synthetic offers into ``index`` (empty), then time the query types
    and the baselines (see the module docstring)."""
    ingest_seconds = 0.0
    for offers in synthetic_offers(items, distinct_texts=distinct_texts):
        start = time.perf_counter()
        index.upsert(offers)
        ingest_seconds += time.perf_counter() - start
        progress(len(offers))
    start = time.perf_counter()
    index.commit()
    commit_seconds = time.perf_counter() - start
    ingest_seconds += commit_seconds
    rng = random.Random(7)  # noqa: S311
    texts = [QUERIES[i % len(QUERIES)] for i in range(queries_per_type)]
    plain = [SearchQuery(t, limit=10, in_stock_only=False) for t in texts]
    _city, lat, lon = _CITIES[0]
    filtered = [
        SearchQuery(
            t,
            limit=10,
            max_price=Money(rng.choice((3000, 10000, 50000)), "CNY"),
            location=GeoPoint(Decimal(f"{lat:.4f}"), Decimal(f"{lon:.4f}")),
            radius_km=Decimal("20"),
        )
        for t in texts
    ]
    report: dict[str, Any] = {
        "items": items,
        "distinct_texts": distinct_texts,
        "ingest_seconds": round(ingest_seconds, 2),
        "commit_seconds": round(commit_seconds, 2),
        "ingest_items_per_s": round(items / ingest_seconds),
        "lexical": _timed(lambda q: index.search(q, SearchMode.LEXICAL), plain),
        "semantic": _timed(lambda q: index.search(q, SearchMode.SEMANTIC), plain),
        "filtered": _timed(lambda q: index.search(q, SearchMode.HYBRID), filtered),
        "hybrid": _timed(lambda q: index.search(q, SearchMode.HYBRID), plain),
    }
    sample = [
        offer.title
        for offers in synthetic_offers(min(items, 5000), seed=99, distinct_texts=distinct_texts)
        for offer in offers
    ][:200]
    report["recall_at_10"] = round(_recall_at_10(index, sample), 4)
    report["peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    report["index"] = index.debug_state()
    report["baseline"] = {
        "bm25": _percentiles(raw_bm25_baseline(index.path / "lexical", texts)),
        **exact_scan_baseline(index, texts),
    }
    report["ratios"] = ratios(report)
    return report
