"""The demo marketplace's merchants, their coupons and their (demo) signing keys.

Seventeen merchants, at least three per vertical so that a product can be compared: four
milk-tea shops within a few km of West Lake in Hangzhou (``DEMO_LOCATION``, where the demo
persona stands) and a cheaper tea bar in Shanghai that is out of delivery range; three shops
each for apparel, eyewear and hats, groceries and electronics (``VERTICALS``), each with its
own shipping fee, delivery speed (``DELIVERY_MINUTES``), price level (``PRICE_LEVELS``) and
coupons. The tea shops' coupons are chosen so that the demo's outcome is fixed: Leaf & Cup's
"6 off from 15" turns the third-cheapest Pearl Milk Tea list price into the best offer near West
Lake. Coupons are valid from ``COUPONS_VALID_FROM`` to ``COUPONS_VALID_UNTIL``, wide enough for
any demo date.

Demo merchant keys are derived from the random source passed in (``demo_merchant_keys``):
reproducible, fine for a demo, never for a real merchant.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from trustcart.commerce.catalog import Coupon, CouponKind, Merchant
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.crypto.jcs import b64url
from trustcart.crypto.keys import SigningKey

DEMO_LOCATION = GeoPoint(Decimal("30.2590"), Decimal("120.1300"))  # West Lake, Hangzhou
COUPONS_VALID_FROM = datetime(2026, 1, 1, tzinfo=UTC)
COUPONS_VALID_UNTIL = datetime(2028, 1, 1, tzinfo=UTC)


def cny(amount: str) -> Money:
    """An amount in CNY from its decimal string.

    >>> cny("19.00").minor
    1900
    """
    return Money.parse(amount, "CNY")


def _merchant(  # noqa: PLR0917
    merchant_id: str,
    name: str,
    lat: str,
    lon: str,
    radius: str,
    categories: tuple[str, ...],
    fee: str = "0",
) -> Merchant:
    return Merchant(
        merchant_id, name, GeoPoint.parse(lat, lon), Decimal(radius), categories, "CNY", cny(fee)
    )


_TEA = ("drinks/milk-tea", "drinks/fruit-tea", "drinks/coffee")
_WEAR = ("apparel/t-shirt", "apparel/hoodie", "apparel/polo")
_LOOK = ("accessories/eyewear", "accessories/hat")
_FOOD = ("grocery/dairy", "grocery/staples", "grocery/produce", "grocery/tea", "grocery/snacks")
_TECH = ("electronics/accessories",)
MERCHANTS: tuple[Merchant, ...] = (
    _merchant("m_lakeside_tea", "Lakeside Tea 湖畔茶饮", "30.2635", "120.1395", "5", _TEA),
    _merchant("m_pearl_house", "Pearl House 珍珠坊", "30.2521", "120.1412", "5", _TEA),
    _merchant("m_leaf_and_cup", "Leaf & Cup 叶与杯", "30.2700", "120.1220", "5", _TEA),
    _merchant("m_bobo_cha", "Bobo Cha 波波茶", "30.2450", "120.1150", "5", _TEA, fee="3"),
    _merchant("m_bund_tea", "Bund Tea Bar 外滩茶吧", "31.2304", "121.4737", "5", _TEA),
    _merchant(
        "m_westlake_apparel",
        "West Lake Apparel 西湖服饰",
        "30.2741",
        "120.1551",
        "3000",
        ("apparel/t-shirt", "apparel/hoodie", "apparel/polo"),
        fee="8",
    ),
    _merchant(
        "m_clear_view",
        "Clear View Eyewear & Hats 清视眼镜帽饰",
        "30.2860",
        "120.1620",
        "3000",
        ("accessories/eyewear", "accessories/hat"),
        fee="6",
    ),
    _merchant(
        "m_fresh_mart",
        "Fresh Mart 鲜市超市",
        "30.2800",
        "120.1600",
        "10",
        ("grocery/dairy", "grocery/staples", "grocery/produce", "grocery/tea", "grocery/snacks"),
        fee="5",
    ),
    _merchant(
        "m_digital_hub",
        "Digital Hub 数码港",
        "31.2240",
        "121.4450",
        "3000",
        ("electronics/accessories",),
        fee="10",
    ),
    # The second and third shop of each vertical, so that the same product can be compared.
    _merchant("m_canal_wear", "Grand Canal Wear 运河衣橱", "30.3180", "120.1420", "3000", _WEAR),
    _merchant(
        "m_qiantang_style", "Qiantang Style 钱塘风尚", "30.2460", "120.2100", "3000", _WEAR, "12"
    ),
    _merchant("m_sunny_optics", "Sunny Optics 阳光视界", "30.2920", "120.1180", "3000", _LOOK),
    _merchant("m_brim_lens", "Brim & Lens 帽镜坊", "31.2200", "121.4800", "3000", _LOOK, "9"),
    _merchant("m_hubin_grocer", "Hubin Grocer 湖滨食品", "30.2570", "120.1680", "10", _FOOD, "4"),
    _merchant("m_farm_basket", "Farm Basket 农家菜篮", "30.3010", "120.1010", "15", _FOOD),
    _merchant("m_gadget_street", "Gadget Street 数码街", "30.2780", "120.1690", "3000", _TECH, "0"),
    _merchant("m_volt_outlet", "Volt Outlet 伏特电器", "22.5431", "114.0579", "3000", _TECH, "15"),
)

# The shops of each vertical of the bulk catalog (the tea shops sell their own menus).
VERTICALS: dict[str, tuple[str, ...]] = {
    "apparel": ("m_westlake_apparel", "m_canal_wear", "m_qiantang_style"),
    "eyewear-and-hats": ("m_clear_view", "m_sunny_optics", "m_brim_lens"),
    "grocery": ("m_fresh_mart", "m_hubin_grocer", "m_farm_basket"),
    "electronics": ("m_digital_hub", "m_gadget_street", "m_volt_outlet"),
}
# Delivery time in minutes (low, high) and price level in percent of the product's base price:
# a free-shipping shop is dearer, a cheap one slower, so that "best total" is a real question.
DELIVERY_MINUTES: dict[str, tuple[int, int]] = {
    "m_westlake_apparel": (24 * 60, 72 * 60),
    "m_canal_wear": (48 * 60, 120 * 60),
    "m_qiantang_style": (12 * 60, 36 * 60),
    "m_clear_view": (24 * 60, 96 * 60),
    "m_sunny_optics": (48 * 60, 120 * 60),
    "m_brim_lens": (24 * 60, 48 * 60),
    "m_fresh_mart": (30, 120),
    "m_hubin_grocer": (25, 60),
    "m_farm_basket": (90, 240),
    "m_digital_hub": (24 * 60, 72 * 60),
    "m_gadget_street": (6 * 60, 24 * 60),
    "m_volt_outlet": (48 * 60, 120 * 60),
}
PRICE_LEVELS: dict[str, tuple[int, int]] = {
    "m_westlake_apparel": (95, 110),
    "m_canal_wear": (100, 118),
    "m_qiantang_style": (88, 104),
    "m_clear_view": (95, 110),
    "m_sunny_optics": (102, 120),
    "m_brim_lens": (85, 100),
    "m_fresh_mart": (95, 108),
    "m_hubin_grocer": (100, 115),
    "m_farm_basket": (85, 100),
    "m_digital_hub": (96, 108),
    "m_gadget_street": (100, 112),
    "m_volt_outlet": (84, 98),
}

_COUPONS = (
    # Leaf & Cup: 6 off from 15 makes its 19.00 Pearl Milk Tea 13.00, the best near West Lake.
    (
        "c_leafcup_6off",
        "m_leaf_and_cup",
        CouponKind.FIXED,
        600,
        "15.00",
        False,
        "",
        "满15减6 / 6 CNY off orders from 15 CNY",
    ),
    (
        "c_leafcup_10pct",
        "m_leaf_and_cup",
        CouponKind.PERCENT,
        10,
        "40.00",
        False,
        "",
        "满40享9折 / 10% off orders from 40 CNY",
    ),
    (
        "c_lakeside_5off",
        "m_lakeside_tea",
        CouponKind.FIXED,
        500,
        "30.00",
        False,
        "",
        "满30减5 / 5 CNY off orders from 30 CNY",
    ),
    (
        "c_pearlhouse_vip",
        "m_pearl_house",
        CouponKind.FIXED,
        1000,
        "50.00",
        True,
        "",
        "满50减10 (不与其他优惠同享) / 10 off from 50, exclusive",
    ),
    (
        "c_bobo_10pct",
        "m_bobo_cha",
        CouponKind.PERCENT,
        10,
        "20.00",
        False,
        "drinks/milk-tea",
        "奶茶满20享9折 / 10% off milk tea from 20 CNY",
    ),
    (
        "c_apparel_20off",
        "m_westlake_apparel",
        CouponKind.FIXED,
        2000,
        "199.00",
        False,
        "",
        "满199减20 / 20 off from 199",
    ),
    (
        "c_apparel_tee_15pct",
        "m_westlake_apparel",
        CouponKind.PERCENT,
        15,
        "99.00",
        False,
        "apparel/t-shirt",
        "T恤满99享85折 / 15% off tees from 99",
    ),
    (
        "c_clearview_30off",
        "m_clear_view",
        CouponKind.FIXED,
        3000,
        "299.00",
        True,
        "",
        "满299减30 / 30 off from 299, exclusive",
    ),
    (
        "c_freshmart_8off",
        "m_fresh_mart",
        CouponKind.FIXED,
        800,
        "88.00",
        False,
        "",
        "满88减8 / 8 off from 88",
    ),
    # The other shops of each vertical: each its own kind of offer.
    (
        "c_canal_10pct",
        "m_canal_wear",
        CouponKind.PERCENT,
        10,
        "0.00",
        False,
        "",
        "全场9折 / 10% off",
    ),
    (
        "c_qiantang_30off",
        "m_qiantang_style",
        CouponKind.FIXED,
        3000,
        "259.00",
        False,
        "",
        "满259减30 / 30 off from 259",
    ),
    (
        "c_sunny_15off",
        "m_sunny_optics",
        CouponKind.FIXED,
        1500,
        "99.00",
        False,
        "accessories/eyewear",
        "眼镜满99减15 / 15 off eyewear from 99",
    ),
    (
        "c_brim_hat_10pct",
        "m_brim_lens",
        CouponKind.PERCENT,
        10,
        "50.00",
        False,
        "accessories/hat",
        "帽子满50享9折 / 10% off hats from 50",
    ),
    (
        "c_hubin_5off",
        "m_hubin_grocer",
        CouponKind.FIXED,
        500,
        "39.00",
        False,
        "",
        "满39减5 / 5 off from 39",
    ),
    (
        "c_farm_3off",
        "m_farm_basket",
        CouponKind.FIXED,
        300,
        "20.00",
        True,
        "grocery/produce",
        "生鲜满20减3 (不与其他优惠同享) / 3 off produce from 20, exclusive",
    ),
    (
        "c_gadget_20off",
        "m_gadget_street",
        CouponKind.FIXED,
        2000,
        "199.00",
        False,
        "",
        "满199减20 / 20 off from 199",
    ),
    (
        "c_volt_5pct",
        "m_volt_outlet",
        CouponKind.PERCENT,
        5,
        "100.00",
        False,
        "",
        "满100享95折 / 5% off from 100",
    ),
)


def demo_coupons() -> tuple[Coupon, ...]:
    """The demo coupons, valid from ``COUPONS_VALID_FROM`` to ``COUPONS_VALID_UNTIL``."""
    return tuple(
        Coupon(
            cid,
            mid,
            kind,
            value,
            cny(threshold),
            text,
            COUPONS_VALID_FROM,
            COUPONS_VALID_UNTIL,
            exclusive=exclusive,
            category_scope=scope,
        )
        for cid, mid, kind, value, threshold, exclusive, scope, text in _COUPONS
    )


def demo_merchant_keys(merchant_ids: Iterable[str], rng: random.Random) -> dict[str, SigningKey]:
    """Ed25519 keys derived from ``rng``: reproducible demo keys, never for production."""
    keys = {}
    for merchant_id in merchant_ids:
        private = ed25519.Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        seed = private.private_bytes_raw()
        keys[merchant_id] = SigningKey.from_jwk(
            {"kty": "OKP", "crv": "Ed25519", "x": b64url(public), "d": b64url(seed)}
        )
    return keys
