"""The words the deterministic intent parser knows: items and attributes (EN + 中文).

Items are matched longest phrase first, so "pearl milk tea" beats "milk tea" and "milk tea"
beats "milk". Each entry names the words to search the catalog with (``query``), the catalog
category, and whether a size must be known before buying (clothes: yes; a milk tea: no, the
shop's medium is the default). The item table follows the categories of the seeded
marketplace: it is the fallback and the synonyms ("boba", "墨镜") of the catalog's own words
(``catalog_words``, from the vocabulary the marketplace publishes), used only for categories
the catalog has. The attribute words are plain English and Chinese (colours, sizes, sugar, ice,
materials), used for whatever category has that attribute. An item no table knows is still
searched for by the person's own words (see ``intent``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemWord:
    """``generic``: the item is named by its category ("a hat"), so any product of the category
    is one; otherwise the item must be named in the product's title."""

    phrases: tuple[str, ...]
    query: str
    category: str
    needs_size: bool = False
    generic: bool = False


# Items named by their category, not by a product name ("a milk tea", "a hat"): any product of
# the category is one. Every other item must be named in the product's title.
GENERIC_ITEMS = frozenset(
    {"milk tea", "fruit tea", "coffee", "t-shirt", "hoodie", "polo shirt", "glasses", "hat"}
)


def _item(query: str, category: str, *phrases: str, needs_size: bool = False) -> ItemWord:
    return ItemWord((query, *phrases), query, category, needs_size, query in GENERIC_ITEMS)


ITEMS: tuple[ItemWord, ...] = (
    # drinks
    _item(
        "pearl milk tea",
        "drinks/milk-tea",
        "pearl milk teas",
        "bubble tea",
        "bubble teas",
        "boba tea",
        "boba",
        "珍珠奶茶",
        "波霸奶茶",
    ),
    _item("taro milk tea", "drinks/milk-tea", "taro milk teas", "芋泥奶茶", "芋头奶茶"),
    _item(
        "brown sugar boba milk", "drinks/milk-tea", "brown sugar boba", "黑糖珠珠鲜奶", "黑糖珍珠"
    ),
    _item("oolong milk tea", "drinks/milk-tea", "乌龙奶茶"),
    _item("coconut milk tea", "drinks/milk-tea", "椰奶茶", "椰子奶茶"),
    _item("cheese foam oolong", "drinks/milk-tea", "芝士奶盖乌龙", "奶盖乌龙"),
    _item("signature cheese tea", "drinks/milk-tea", "cheese tea", "招牌芝士茶", "芝士茶"),
    _item("milk tea", "drinks/milk-tea", "milk teas", "奶茶"),
    _item("jasmine green tea", "drinks/fruit-tea", "茉莉绿茶", "绿茶"),
    _item("mango pomelo sago", "drinks/fruit-tea", "杨枝甘露"),
    _item("grape jasmine tea", "drinks/fruit-tea", "grape tea", "多肉葡萄", "葡萄茶"),
    _item("lemon black tea", "drinks/fruit-tea", "lemon tea", "柠檬红茶", "柠檬茶"),
    _item("strawberry fruit tea", "drinks/fruit-tea", "strawberry tea", "草莓果茶"),
    _item("fruit tea", "drinks/fruit-tea", "fruit teas", "果茶"),
    _item("matcha latte", "drinks/coffee", "抹茶拿铁"),
    _item("iced americano", "drinks/coffee", "americano", "冰美式", "美式咖啡", "美式"),
    _item("coffee", "drinks/coffee", "coffees", "latte", "咖啡", "拿铁"),
    # apparel
    _item(
        "t-shirt",
        "apparel/t-shirt",
        "t-shirts",
        "tshirt",
        "tshirts",
        "t shirt",
        "t shirts",
        "tee",
        "tees",
        "t恤",
        "短袖",
        "体恤",
        needs_size=True,
    ),
    _item("hoodie", "apparel/hoodie", "hoodies", "sweatshirt", "卫衣", "连帽衫", needs_size=True),
    _item("polo shirt", "apparel/polo", "polo shirts", "polo", "polos", "polo衫", needs_size=True),
    # eyewear and hats
    _item("polarized sunglasses", "accessories/eyewear", "偏光太阳镜", "偏光墨镜"),
    _item("sunglasses", "accessories/eyewear", "sun glasses", "shades", "太阳镜", "墨镜"),
    _item("blue-light glasses", "accessories/eyewear", "blue light glasses", "防蓝光眼镜"),
    _item("reading glasses", "accessories/eyewear", "老花镜"),
    _item(
        "titanium optical frame",
        "accessories/eyewear",
        "optical frame",
        "glasses frame",
        "镜架",
        "眼镜架",
    ),
    _item("glasses", "accessories/eyewear", "eyewear", "眼镜"),
    _item("baseball cap", "accessories/hat", "baseball caps", "cap", "caps", "棒球帽", "鸭舌帽"),
    _item("bucket hat", "accessories/hat", "bucket hats", "fisherman hat", "渔夫帽"),
    _item("knit beanie", "accessories/hat", "beanie", "beanies", "毛线帽", "针织帽"),
    _item("wide-brim sun hat", "accessories/hat", "sun hat", "sun hats", "遮阳帽"),
    _item("hat", "accessories/hat", "hats", "帽子"),
    # groceries
    _item("whole milk", "grocery/dairy", "milk", "牛奶", "全脂牛奶"),
    _item("greek yogurt", "grocery/dairy", "yogurt", "yoghurt", "酸奶"),
    _item("jasmine rice", "grocery/staples", "rice", "大米", "香米", "米"),
    _item("light soy sauce", "grocery/staples", "soy sauce", "酱油", "生抽"),
    _item("free-range eggs", "grocery/staples", "eggs", "鸡蛋", "蛋"),
    _item("fuji apples", "grocery/produce", "apples", "apple", "苹果"),
    _item("bananas", "grocery/produce", "banana", "香蕉"),
    _item(
        "longjing green tea leaves",
        "grocery/tea",
        "longjing",
        "longjing tea",
        "tea leaves",
        "dragon well tea",
        "龙井",
        "茶叶",
    ),
    _item("tapioca pearls", "grocery/snacks", "tapioca", "木薯珍珠"),
    _item("milk tea powder", "grocery/tea", "奶茶粉"),
    _item("instant noodles", "grocery/snacks", "noodles", "方便面", "泡面"),
    # electronics
    _item("usb-c charger", "electronics/accessories", "charger", "chargers", "充电器"),
    _item(
        "wireless earbuds",
        "electronics/accessories",
        "earbuds",
        "earphones",
        "headphones",
        "无线耳机",
        "耳机",
    ),
    _item("phone case", "electronics/accessories", "phone cases", "手机壳"),
    _item("power bank", "electronics/accessories", "power banks", "充电宝", "移动电源"),
)

# Attribute words: (attribute, value) for each phrase. Values are the catalog's own values.
SIZES_APPAREL = ("xxs", "xs", "s", "m", "l", "xl", "xxl")
SIZE_WORDS: dict[str, str] = {
    "extra small": "XS",
    "small": "S",
    "medium": "M",
    "large": "L",
    "extra large": "XL",
    "小号": "S",
    "中号": "M",
    "大号": "L",
    "加大": "XL",
    "加加大": "XXL",
}
DRINK_SIZES: dict[str, str] = {
    "medium": "medium",
    "regular": "medium",
    "中杯": "medium",
    "large": "large",
    "big": "large",
    "大杯": "large",
    "超大杯": "large",
}
COLOURS: dict[str, str] = {
    "black": "black",
    "黑色": "black",
    "黑": "black",
    "white": "white",
    "白色": "white",
    "白": "white",
    "navy": "navy",
    "藏青": "navy",
    "藏青色": "navy",
    "深蓝": "navy",
    "grey": "grey",
    "gray": "grey",
    "灰色": "grey",
    "灰": "grey",
    "red": "red",
    "红色": "red",
    "olive": "olive",
    "橄榄绿": "olive",
    "sky blue": "sky blue",
    "light blue": "sky blue",
    "天蓝色": "sky blue",
    "天蓝": "sky blue",
    "beige": "beige",
    "米色": "beige",
}
MATERIALS: dict[str, str] = {
    "cotton": "cotton",
    "纯棉": "cotton",
    "棉": "cotton",
    "linen": "linen",
    "亚麻": "linen",
    "polyester": "polyester",
    "涤纶": "polyester",
    "fleece": "fleece",
    "抓绒": "fleece",
}
SUGAR: dict[str, str] = {
    "no sugar": "none",
    "sugar-free": "none",
    "sugar free": "none",
    "无糖": "none",
    "less sugar": "less",
    "low sugar": "less",
    "少糖": "less",
    "微糖": "less",
    "half sugar": "half",
    "半糖": "half",
    "七分糖": "more",
    "full sugar": "full",
    "全糖": "full",
}
ICE: dict[str, str] = {
    "no ice": "none",
    "去冰": "none",
    "无冰": "none",
    "less ice": "less",
    "少冰": "less",
    "hot": "hot",
    "热": "hot",
    "warm": "warm",
    "温": "warm",
}
