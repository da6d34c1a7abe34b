"""Writes cases.jsonl: the assistant's evaluation suite (run once; the JSONL is the data).

Expected outcomes follow from the seeded marketplace's documented ranges (local/seed_products.py):
drinks 12-40 CNY near West Lake, clothes 40-200 CNY, nothing above those families.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from more_cases import dialogue_cases, generated_cases

DRINKS = [
    ("pearl milk tea", "珍珠奶茶"),
    ("taro milk tea", "芋泥奶茶"),
    ("oolong milk tea", "乌龙奶茶"),
    ("coconut milk tea", "椰奶茶"),
    ("brown sugar boba milk", "黑糖珠珠鲜奶"),
    ("cheese foam oolong", "芝士奶盖乌龙"),
    ("jasmine green tea", "茉莉绿茶"),
    ("mango pomelo sago", "杨枝甘露"),
    ("grape jasmine tea", "多肉葡萄"),
    ("lemon black tea", "柠檬红茶"),
    ("strawberry fruit tea", "草莓果茶"),
    ("matcha latte", "抹茶拿铁"),
    ("iced americano", "冰美式"),
]
CATEGORY = {
    "pearl milk tea": "drinks/milk-tea",
    "taro milk tea": "drinks/milk-tea",
    "oolong milk tea": "drinks/milk-tea",
    "coconut milk tea": "drinks/milk-tea",
    "brown sugar boba milk": "drinks/milk-tea",
    "cheese foam oolong": "drinks/milk-tea",
    "jasmine green tea": "drinks/fruit-tea",
    "mango pomelo sago": "drinks/fruit-tea",
    "grape jasmine tea": "drinks/fruit-tea",
    "lemon black tea": "drinks/fruit-tea",
    "strawberry fruit tea": "drinks/fruit-tea",
    "matcha latte": "drinks/coffee",
    "iced americano": "drinks/coffee",
}
cases = []


def add(kind, text, expect, question=None, **constraints):
    case = {"id": f"{kind}-{len(cases) + 1:03d}", "kind": kind, "text": text, "expect": expect}
    if question:
        case["question"] = question
    if constraints:
        case["constraints"] = constraints
    cases.append(case)


for en, zh in DRINKS:
    add(
        "single-en",
        f"order me a {en} under 40 CNY",
        "options",
        max_unit_price="40",
        quantity=1,
        category=CATEGORY[en],
    )
    add(
        "single-zh",
        f"来一杯{zh}，40元以内",
        "options",
        max_unit_price="40",
        quantity=1,
        category=CATEGORY[en],
    )
    add(
        "single-en",
        f"2 large {en}s, at most 45 each",
        "options",
        max_unit_price="45",
        quantity=2,
        category=CATEGORY[en],
        attributes={"size": "large"},
    )
    add(
        "single-zh",
        f"帮我点两杯{zh}，每杯不超过45元",
        "options",
        max_unit_price="45",
        quantity=2,
        category=CATEGORY[en],
    )
COLOURS = [("black", "黑色"), ("white", "白色"), ("navy", "藏青色"), ("grey", "灰色")]
for colour, colour_zh in COLOURS:
    for size in ("S", "M", "L"):
        add(
            "single-en",
            f"a {colour} t-shirt size {size} under 200",
            "options",
            max_unit_price="200",
            quantity=1,
            category="apparel/t-shirt",
            attributes={"size": size, "colour": colour},
        )
    add(
        "single-zh",
        f"买一件{colour_zh}M码T恤，200元以内",
        "options",
        max_unit_price="200",
        quantity=1,
        category="apparel/t-shirt",
        attributes={"size": "M", "colour": colour},
    )
    add(
        "single-en",
        f"a {colour} hoodie in size L, at most 300",
        "options",
        max_unit_price="300",
        quantity=1,
        category="apparel/hoodie",
        attributes={"size": "L", "colour": colour},
    )
for text, category, cap in [
    ("sunglasses under 300", "accessories/eyewear", "300"),
    ("a baseball cap under 100", "accessories/hat", "100"),
    ("a knit beanie under 90", "accessories/hat", "90"),
    ("a bucket hat under 120", "accessories/hat", "120"),
    ("reading glasses under 120", "accessories/eyewear", "120"),
    ("a power bank under 200", "electronics/accessories", "200"),
    ("a phone case under 60", "electronics/accessories", "60"),
    ("wireless earbuds under 420", "electronics/accessories", "420"),
    ("a usb-c charger under 220", "electronics/accessories", "220"),
    ("whole milk under 20", "grocery/dairy", "20"),
    ("greek yogurt under 15", "grocery/dairy", "15"),
    ("free-range eggs under 35", "grocery/staples", "35"),
    ("bananas under 15", "grocery/produce", "15"),
    ("instant noodles under 30", "grocery/snacks", "30"),
    ("墨镜，300元以内", "accessories/eyewear", "300"),
    ("买一顶棒球帽，100元以内", "accessories/hat", "100"),
    ("一个充电宝，不超过200元", "electronics/accessories", "200"),
    ("买一盒鸡蛋，35元以内", "grocery/staples", "35"),
    ("买香蕉，15元以内", "grocery/produce", "15"),
    ("一个手机壳，60元以下", "electronics/accessories", "60"),
]:
    add(
        "single-" + ("zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"),
        text,
        "options",
        max_unit_price=cap,
        quantity=1,
        category=category,
    )
for text, items, total in [
    ("a pearl milk tea and a taro milk tea, under 30 each", 2, "60"),
    ("一杯珍珠奶茶和一杯芋泥奶茶，每杯不超过30元", 2, "60"),
    ("a black t-shirt size M and a baseball cap, 300 in total", 2, "300"),
    ("a mango pomelo sago and an iced americano under 40", 2, "80"),
    ("2 bananas and a whole milk, 80 in total", 2, "80"),
    ("a lemon black tea, a matcha latte and a taro milk tea, 100 in total", 3, "100"),
    ("一杯杨枝甘露，还有一杯冰美式，总共80元", 2, "80"),
    ("sunglasses and a bucket hat, 500 total", 2, "500"),
    ("a power bank and a phone case under 250 each", 2, "500"),
    ("a white t-shirt size L, a navy hoodie size L, 600 in total", 2, "600"),
    ("greek yogurt and free-range eggs, 60 in total", 2, "60"),
    ("一杯乌龙奶茶和一杯椰奶茶，总共60元", 2, "60"),
]:
    add("multi", text, "basket", items=items, max_total=total)  # one basket in the chat
for text, unit, total in [
    ("up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total", "30", "80"),
    ("every week buy me a pearl milk tea under 25, 100 in total", "25", "100"),
    ("每周帮我买一杯珍珠奶茶，每杯不超过25元，总共100元", "25", "100"),
    ("without asking, order up to 5 iced americanos this month, 30 each, 150 total", "30", "150"),
    ("up to 4 taro milk teas this week, 30 each, 100 in total", "30", "100"),
    ("每月最多买5杯杨枝甘露，每杯不超过35元，总共150元", "35", "150"),
    ("pre-authorize up to 2 lemon black teas today, 25 each, 50 total", "25", "50"),
    ("每周帮我买一杯冰美式，每杯不超过30元，一共120元", "30", "120"),
    ("weekly: up to 3 coconut milk teas, max 30 each, 90 total", "30", "90"),
    ("up to 2 matcha lattes this week without asking, 35 each, 70 in total", "35", "70"),
]:
    add(
        "delegated",
        text,
        "options",
        max_unit_price=unit,
        max_total=total,
        quantity=1,
        delegated=True,
    )
for text, code in [
    ("buy a t-shirt", "size"),
    ("I want a black hoodie", "size"),
    ("a polo shirt under 200", "size"),
    ("两件T恤", "size"),
    ("买一件白色卫衣", "size"),
    ("the cheap one", "reference"),
    ("select it", "reference"),
    ("选它", "reference"),
    ("第二个", "reference"),
    ("the second one", "reference"),
    ("a hat or sunglasses", "choice"),
    ("coffee or milk tea?", "choice"),
    ("帽子还是墨镜", "choice"),
    ("buy something nice", "item"),
    ("order me something", "item"),
    ("买点东西", "item"),
    ("get me a gift", "item"),
    ("surprise me", "item"),
    ("every week buy me a milk tea", "budget"),
    ("每周帮我买一杯奶茶", "budget"),
    ("order a t-shirt, black, cotton", "size"),
    ("same as last time", "reference"),
    ("the usual", "reference"),
    ("随便买点", "item"),
    ("a hoodie or a t-shirt, size M", "choice"),
]:
    add("ambiguous", text, "question", question=code)
for text in [
    "a pearl milk tea under 5 CNY",
    "a laptop under 3000",
    "a sofa",
    "a dining table for six",
    "t-shirt size M under 10",
    "一台笔记本电脑",
    "a pearl milk tea from Bund Tea Bar",
    "20 pearl milk teas, 50 in total",
    "a 4k tv",
    "sunglasses under 20",
    "a king size bed frame",
    "一张沙发",
    "wireless earbuds under 50",
    "iced americano under 3",
    "a hoodie size XL under 30",
    "a bicycle",
    "机票",
    "coffee delivered within 5 minutes",
]:
    add("impossible", text, "impossible")
for text, constraints in [
    ("a pearl milk tea from Pearl House", {"merchant": "m_pearl_house"}),
    ("a pearl milk tea, not from Leaf & Cup", {"not_merchant": "m_leaf_and_cup"}),
    ("在珍珠坊买一杯珍珠奶茶", {"merchant": "m_pearl_house"}),
    ("不要叶与杯，来一杯珍珠奶茶", {"not_merchant": "m_leaf_and_cup"}),
    ("an iced americano within 30 minutes", {"max_delivery_minutes": 30}),
    (
        "a taro milk tea delivered within 35 minutes, under 30",
        {"max_delivery_minutes": 35, "max_unit_price": "30"},
    ),
    ("the cheapest pearl milk tea near me", {"category": "drinks/milk-tea"}),
    (
        "a lemon black tea from Lakeside Tea under 25",
        {"merchant": "m_lakeside_tea", "max_unit_price": "25"},
    ),
    ("30分钟内送到的冰美式", {"max_delivery_minutes": 30}),
    ("a large pearl milk tea, half sugar, less ice", {"attributes": {"size": "large"}}),
    ("一杯大杯珍珠奶茶，少糖去冰", {"attributes": {"size": "large"}}),
    (
        "3 linen t-shirts size M under 200 each",
        {"quantity": 3, "max_unit_price": "200", "attributes": {"size": "M", "material": "linen"}},
    ),
]:
    add("preferences", text, "options", **constraints)
for kind, turns in dialogue_cases():
    cases.append({"id": f"{kind}-{len(cases) + 1:03d}", "kind": kind, "turns": turns})
for kind, turns in generated_cases():
    case = {"id": f"{kind}-{len(cases) + 1:03d}", "kind": kind, "catalog": "generated"}
    cases.append({**case, **(turns[0] if len(turns) == 1 else {"turns": turns})})
Path(__file__).with_name("cases.jsonl").write_text(
    "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
)
print(len(cases))
