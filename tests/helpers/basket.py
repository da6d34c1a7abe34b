"""Builders for the basket tests: merchants, products and coupons in CNY at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.helpers.payments import AGENT, MERCHANT, World, make_world, sign_cart
from trustcart.commerce.catalog import Coupon, CouponKind, Merchant, Product
from trustcart.core.clock import FixedClock
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.core.typs import BASKET_APPROVAL_TYP
from trustcart.crypto.jws import peek_payload, sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.basket import basket_approval_for
from trustcart.delegation.terms import CommerceConstraints
from trustcart.store.db import Database

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def merchant(merchant_id: str, shipping: int = 0) -> Merchant:
    return Merchant(
        merchant_id=merchant_id,
        name=f"Shop {merchant_id}",
        location=GeoPoint(Decimal("30.2600"), Decimal("120.1400")),
        delivery_radius_km=Decimal(10),
        categories=("grocery",),
        currency="CNY",
        delivery_fee=cny(shipping),
    )


def product(
    product_id: str, merchant_id: str, price: int, *, stock: int = 50, category: str = "grocery"
) -> Product:
    return Product(
        product_id=product_id,
        merchant_id=merchant_id,
        title=f"Item {product_id}",
        title_zh="",
        brand="",
        category=category,
        price=cny(price),
        stock=stock,
        delivery_minutes=60,
    )


def coupon(
    coupon_id: str, merchant_id: str, value: int, threshold: int, *, percent: bool = False
) -> Coupon:
    return Coupon(
        coupon_id=coupon_id,
        merchant_id=merchant_id,
        kind=CouponKind.PERCENT if percent else CouponKind.FIXED,
        value=value,
        threshold=cny(threshold),
        description=f"{value} off over {threshold}",
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
    )


def approve_basket(
    key: SigningKey, carts: list[str], now: datetime, *, basket_id: str = "bsk_1", **overrides: Any
) -> str:
    """The person's one approval over these cart tokens (fields replaced by ``overrides``)."""
    approval = basket_approval_for([peek_payload(c) for c in carts], basket_id=basket_id, now=now)
    payload = {**approval.payload(), **overrides}
    return sign_compact(payload, key, typ=BASKET_APPROVAL_TYP)


MARKET = "m_market"


class Baskets:
    """A PSP world with a second merchant and a BOUNDED IAC of 200.00 CNY for the hotpot."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.market_key = SigningKey.generate()
        world.directory.register(self.market_key.public, party_id=MARKET, role="merchant")
        self.orders = 0

    def cart(self, merchant: str = MERCHANT, price: str = "60.00", **kwargs: Any) -> str:
        self.orders += 1
        key = self.market_key if merchant == MARKET else self.world.merchant_key
        kwargs.setdefault("out_trade_no", f"ord_b{self.orders}")
        return sign_cart(key, self.world.now, merchant_id=merchant, unit_price=price, **kwargs)

    def hotpot(self, first: str = "120.00", second: str = "60.00") -> list[str]:
        return [self.cart(MERCHANT, first), self.cart(MARKET, second)]

    def request(
        self, carts: list[str], approval: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        approval = approval or approve_basket(self.world.alice, carts, self.world.now)
        body = {
            "payment_token": self.world.token,
            "iac": self.world.iac.token,
            "carts": carts,
            "approval": approval,
            "request_id": f"req_b{self.orders}",
        }
        return {**body, **extra}

    def pay(self, body: dict[str, Any], key: str = "") -> Any:
        self.orders += 1
        return self.world.provider.submit_basket(
            agent_id=AGENT, idempotency_key=key or f"bsk_{self.orders}", request=body
        )

    def balance(self) -> Money:
        return self.world.provider.balance("acc_alice")


def basket_world(db: Database, clock: FixedClock, **isr: Any) -> Baskets:
    """A PSP world for baskets: 1000.00 CNY in the wallet, an IAC of 200.00 CNY by default."""
    isr.setdefault("max_total", Money.parse("200.00", "CNY"))
    isr.setdefault("commerce", CommerceConstraints())
    return Baskets(make_world(db, clock, balance="1000.00", **isr))
