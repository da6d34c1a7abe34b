"""The demo catalog's products, generated from small tables and one ``random.Random``.

The tea shops' menus come first and are hand-set where the demo depends on them: each of the
five tea shops sells "Pearl Milk Tea / 珍珠奶茶" (``PEARL_MILK_TEA``) at a fixed price between 12
and 28 CNY, and Lakeside sells a fixed-price signature drink; the other drinks vary around a
base price. Every drink comes in medium and large. The bulk (apparel with sizes and colours,
eyewear, hats, groceries with GTIN-13 codes, electronics) is drawn from weighted generators
until the catalog is large enough. Everything comes from the ``random.Random`` passed in, in a
fixed order, so one seed gives byte-identical products on every machine.
"""

from __future__ import annotations

import random

from trustcart.commerce.catalog import Product
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.local.seed_merchants import MERCHANTS, cny

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

_COLOURS = (
    ("black", "黑色"),
    ("white", "白色"),
    ("navy", "藏青色"),
    ("grey", "灰色"),
    ("red", "红色"),
    ("olive", "橄榄绿"),
    ("sky blue", "天蓝色"),
    ("beige", "米色"),
)
_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
_APPAREL = (
    ("Classic Crew T-Shirt", "经典圆领T恤", "apparel/t-shirt", 59, "cotton"),
    ("Heavyweight Oversized T-Shirt", "重磅宽松T恤", "apparel/t-shirt", 89, "cotton"),
    ("Quick-Dry Sport T-Shirt", "速干运动T恤", "apparel/t-shirt", 79, "polyester"),
    ("Linen Blend T-Shirt", "亚麻混纺T恤", "apparel/t-shirt", 129, "linen"),
    ("V-Neck T-Shirt", "V领T恤", "apparel/t-shirt", 49, "cotton"),
    ("Graphic Print T-Shirt", "印花T恤", "apparel/t-shirt", 69, "cotton"),
    ("Zip Hoodie", "拉链连帽卫衣", "apparel/hoodie", 199, "cotton"),
    ("Pullover Hoodie", "套头连帽卫衣", "apparel/hoodie", 169, "fleece"),
    ("Pique Polo Shirt", "珠地网眼Polo衫", "apparel/polo", 139, "cotton"),
)
_APPAREL_BRANDS = ("Hangtee", "Lakewear", "Basics+", "Urban Leaf", "Mountain & River")
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
_GROCERIES = (
    ("Whole Milk", "全脂牛奶", "grocery/dairy", 12, ("1L", "2L")),
    ("Greek Yogurt", "希腊酸奶", "grocery/dairy", 9, ("200g", "500g")),
    ("Jasmine Rice", "茉莉香米", "grocery/staples", 45, ("2.5kg", "5kg")),
    ("Light Soy Sauce", "生抽酱油", "grocery/staples", 15, ("500ml", "1L")),
    ("Free-Range Eggs", "散养鸡蛋", "grocery/staples", 22, ("10 pack", "20 pack")),
    ("Fuji Apples", "红富士苹果", "grocery/produce", 18, ("1kg", "2kg")),
    ("Bananas", "香蕉", "grocery/produce", 9, ("1kg",)),
    ("Longjing Green Tea Leaves", "西湖龙井茶叶", "grocery/tea", 168, ("100g", "250g")),
    ("Tapioca Pearls", "木薯珍珠", "grocery/snacks", 14, ("500g", "1kg")),
    ("Milk Tea Powder", "奶茶粉", "grocery/tea", 29, ("400g", "1kg")),
    ("Instant Noodles", "方便面", "grocery/snacks", 19, ("5 pack", "10 pack")),
)
_GROCERY_BRANDS = ("Fresh Mart", "Jiangnan Farm", "Golden Field", "Lakeside Organics")
_ELECTRONICS = (
    ("USB-C Charger 65W", "65W USB-C充电器", 149),
    ("Wireless Earbuds", "无线耳机", 299),
    ("Phone Case", "手机壳", 39),
    ("Power Bank 10000mAh", "10000毫安充电宝", 129),
)
_ELECTRONICS_BRANDS = ("Voltly", "Anchor", "Pixelwave")


def _vary(rng: random.Random, base_cny: int) -> Money:
    """A price near ``base_cny``, ending in .90 or .00 as shop prices do."""
    whole = max(1, round(base_cny * rng.uniform(0.8, 1.35)))
    return Money(whole * 100 - rng.choice((0, 10)), "CNY")


def _gtin13(rng: random.Random) -> str:
    digits = [6, 9, 0] + [rng.randrange(10) for _ in range(9)]  # 690-699: China's GS1 prefix
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


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
        menu += [(t, zh, c, _vary(rng, base)) for t, zh, c, base in _DRINKS]
        for title, title_zh, category, price in menu:
            for size, size_zh, extra in (("medium", "中杯", 0), ("large", "大杯", 300)):
                products.append(
                    Product(
                        product_id=new_id("p", rng.randbytes),
                        merchant_id=mid,
                        title=title if not extra else f"{title} (Large)",
                        title_zh=title_zh if not extra else f"{title_zh}（{size_zh}）",
                        brand=merchant.name.split(" ")[0],
                        category=category,
                        price=Money(price.minor + extra, "CNY"),
                        stock=rng.randrange(50, 300),
                        delivery_minutes=rng.randrange(20, 45),
                        attributes={"size": size, "sugar": "adjustable", "ice": "adjustable"},
                    )
                )
    return products


def _apparel(rng: random.Random) -> Product:
    title, zh, category, base, material = rng.choice(_APPAREL)
    colour, colour_zh = rng.choice(_COLOURS)
    size = rng.choice(_SIZES)
    brand = rng.choice(_APPAREL_BRANDS)
    return Product(
        new_id("p", rng.randbytes),
        "m_westlake_apparel",
        f"{brand} {title} - {colour}, {size}",
        f"{brand} {zh} {colour_zh} {size}码",
        brand,
        category,
        _vary(rng, base),
        rng.randrange(0, 120),
        rng.randrange(24 * 60, 72 * 60),
        {"size": size, "colour": colour, "material": material},
        image_url="https://img.trustcart.example/apparel.jpg",
    )


def _eyewear_or_hat(rng: random.Random) -> Product:
    title, zh, category, base = rng.choice(_EYEWEAR_AND_HATS)
    colour, colour_zh = rng.choice(_COLOURS)
    return Product(
        new_id("p", rng.randbytes),
        "m_clear_view",
        f"{title} - {colour}",
        f"{zh} {colour_zh}",
        "Clear View",
        category,
        _vary(rng, base),
        rng.randrange(0, 80),
        rng.randrange(24 * 60, 96 * 60),
        {"colour": colour},
    )


def _grocery(rng: random.Random) -> Product:
    title, zh, category, base, packs = rng.choice(_GROCERIES)
    pack = rng.choice(packs)
    brand = rng.choice(_GROCERY_BRANDS)
    return Product(
        new_id("p", rng.randbytes),
        "m_fresh_mart",
        f"{brand} {title} {pack}",
        f"{brand} {zh} {pack}",
        brand,
        category,
        _vary(rng, base),
        rng.randrange(0, 500),
        rng.randrange(30, 120),
        {"pack": pack},
        gtin=_gtin13(rng),
    )


def _electronics(rng: random.Random) -> Product:
    title, zh, base = rng.choice(_ELECTRONICS)
    brand = rng.choice(_ELECTRONICS_BRANDS)
    colour, colour_zh = rng.choice(_COLOURS)
    return Product(
        new_id("p", rng.randbytes),
        "m_digital_hub",
        f"{brand} {title} - {colour}",
        f"{brand} {zh} {colour_zh}",
        brand,
        "electronics/accessories",
        _vary(rng, base),
        rng.randrange(0, 200),
        rng.randrange(24 * 60, 72 * 60),
        {"colour": colour},
        gtin=_gtin13(rng),
    )


_GENERATORS = ((_apparel, 55), (_grocery, 25), (_eyewear_or_hat, 12), (_electronics, 8))


def generate_products(rng: random.Random, *, product_count: int = 10_000) -> list[Product]:
    """The tea menus, then generated products until there are ``product_count`` (or more)."""
    products = _tea_menus(rng)
    makers = [g for g, _ in _GENERATORS]
    weights = [w for _, w in _GENERATORS]
    while len(products) < product_count:
        products.append(rng.choices(makers, weights)[0](rng))
    return products
