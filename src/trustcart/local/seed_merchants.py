"""The demo marketplace's merchants, their coupons and their (demo) signing keys.

Nine merchants: four milk-tea shops within a few km of West Lake in Hangzhou
(``DEMO_LOCATION``, where the demo persona stands), a cheaper tea bar in Shanghai that is out of
delivery range, and shops for apparel, eyewear and hats, groceries and electronics. The coupons
are chosen so that the demo's outcome is fixed: Leaf & Cup's "6 off from 15" turns the
third-cheapest Pearl Milk Tea list price into the best offer near West Lake. Coupons are valid
from ``COUPONS_VALID_FROM`` to ``COUPONS_VALID_UNTIL``, wide enough for any demo date.

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
)

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
