"""MerchantService on SQLite and PostgreSQL: XFR, PCA-NEG, cart confirmation and orders."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from tests.helpers.clock import T0
from tests.helpers.search import catalog_search
from trustcart.commerce import cart_confirmation
from trustcart.commerce.errors import CommerceError, CommerceProblem
from trustcart.commerce.orders import OrderStatus
from trustcart.commerce.service import MerchantService
from trustcart.core.clock import FixedClock
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import SigningKey, keys_from_jwks
from trustcart.local.seed import seed_catalog
from trustcart.local.seed_merchants import DEMO_LOCATION, demo_merchant_keys
from trustcart.store.commerce import OrderItemRow, OrderRow, ProductRow
from trustcart.store.db import Database

PSP_ENDPOINT = "http://127.0.0.1:8002/payments"
AGENT = "agent:trustcart-assistant"
CART_FIELDS = {
    "out_trade_no",
    "merchant_id",
    "merchant_name",
    "items",
    "subtotal",
    "discount",
    "shipping",
    "total",
    "coupons",
    "intent_id",
    "delegation_id",
    "agent_id",
    "payment",
    "confirmed_at",
    "price_locked_until",
}


@dataclass
class Shop:
    db: Database
    service: MerchantService
    keys: dict[str, SigningKey]
    clock: FixedClock

    def product(self, merchant_id: str, title: str) -> str:
        with self.db.transaction() as session:
            return session.scalars(
                select(ProductRow.product_id).where(
                    ProductRow.merchant_id == merchant_id, ProductRow.title == title
                )
            ).one()

    def stock(self, product_id: str) -> int:
        with self.db.transaction() as session:
            row = session.get(ProductRow, product_id)
            assert row is not None
            return row.stock

    def set_stock(self, product_id: str, stock: int) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(ProductRow).where(ProductRow.product_id == product_id).values(stock=stock)
            )

    def order_count(self) -> int:
        with self.db.transaction() as session:
            orders = session.scalar(select(func.count()).select_from(OrderRow))
            items = session.scalar(select(func.count()).select_from(OrderItemRow))
            assert orders is not None
            assert items is not None
            return orders + items

    def cart(self, merchant_id: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "merchant_id": merchant_id,
            "items": items,
            "intent_id": "int_demo",
            "delegation_id": "dlg_demo",
            "agent_id": AGENT,
            "payment_method": "trustcart-balance",
            **extra,
        }


@pytest.fixture
def shop(db: Database, clock: FixedClock) -> Shop:
    catalog = seed_catalog(db, random.Random(5), product_count=150)
    keys = demo_merchant_keys([m.merchant_id for m in catalog.merchants], random.Random(6))
    service = MerchantService(
        db,
        keys,
        clock,
        psp_endpoint=PSP_ENDPOINT,
        psp_id="psp:trustcart",
        search=catalog_search(db),
        random=random.Random(8).randbytes,
    )
    return Shop(db, service, keys, clock)


def problem_code(error: pytest.ExceptionInfo[CommerceError]) -> str:
    return error.value.code


# -- CID-CART-CFM ----------------------------------------------------------------------------


def test_confirmed_cart_is_signed_and_matches_the_wire_format(shop: Shop) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    stock = shop.stock(pearl)
    confirmed = shop.service.confirm_cart(
        shop.cart("m_leaf_and_cup", [{"product_id": pearl, "quantity": 1}])
    )
    public = keys_from_jwks(shop.service.merchant_jwks())
    verified = verify_compact(confirmed.cart_jws, public, typ="act-cart+jwt")
    assert verified.header["kid"] == shop.keys["m_leaf_and_cup"].kid
    payload = verified.payload
    assert set(payload) == CART_FIELDS
    assert payload == confirmed.payload
    assert payload["out_trade_no"] == confirmed.out_trade_no
    assert payload["out_trade_no"].startswith("ord_")
    assert payload["merchant_id"] == "m_leaf_and_cup"
    assert payload["merchant_name"] == "Leaf & Cup 叶与杯"
    assert payload["items"] == [
        {
            "product_id": pearl,
            "title": "Pearl Milk Tea",
            "category": "drinks/milk-tea",
            "quantity": 1,
            "unit_price": {"amount": "19.00", "currency": "CNY"},
            "line_total": {"amount": "19.00", "currency": "CNY"},
        }
    ]
    assert payload["subtotal"] == {"amount": "19.00", "currency": "CNY"}
    assert payload["discount"] == {"amount": "6.00", "currency": "CNY"}
    assert payload["shipping"] == {"amount": "0.00", "currency": "CNY"}
    assert payload["total"] == {"amount": "13.00", "currency": "CNY"}
    assert payload["coupons"] == [
        {
            "coupon_id": "c_leafcup_6off",
            "description": "满15减6 / 6 CNY off orders from 15 CNY",
            "amount": {"amount": "6.00", "currency": "CNY"},
        }
    ]
    assert (payload["intent_id"], payload["delegation_id"], payload["agent_id"]) == (
        "int_demo",
        "dlg_demo",
        AGENT,
    )
    assert payload["payment"] == {
        "method_id": "trustcart-balance",
        "psp_id": "psp:trustcart",
        "endpoint": PSP_ENDPOINT,
    }
    assert payload["confirmed_at"] == "2026-11-29T08:00:00Z"
    assert payload["price_locked_until"] == "2026-11-29T08:15:00Z"
    assert confirmed.cart_digest == jcs_digest(payload)
    # Another merchant's key does not verify it, nor does another typ.
    with pytest.raises(InvalidSignature):
        verify_compact(
            confirmed.cart_jws,
            {shop.keys["m_leaf_and_cup"].kid: shop.keys["m_bobo_cha"].public},
            typ="act-cart+jwt",
        )
    with pytest.raises(InvalidSignature):
        verify_compact(confirmed.cart_jws, public, typ="act-payment-receipt+jwt")

    order = shop.service.order(confirmed.out_trade_no)
    assert order.status is OrderStatus.CONFIRMED
    assert order.total == Money(1300, "CNY")
    assert order.cart_jws == confirmed.cart_jws
    assert order.cart_digest == confirmed.cart_digest
    assert shop.stock(pearl) == stock - 1


def test_stock_is_reserved_per_line(shop: Shop) -> None:
    pearl = shop.product("m_pearl_house", "Pearl Milk Tea")
    taro = shop.product("m_pearl_house", "Taro Milk Tea")
    before = shop.stock(pearl), shop.stock(taro)
    confirmed = shop.service.confirm_cart(
        shop.cart(
            "m_pearl_house",
            [{"product_id": pearl, "quantity": 3}, {"product_id": taro, "quantity": 2}],
        )
    )
    assert (shop.stock(pearl), shop.stock(taro)) == (before[0] - 3, before[1] - 2)
    assert [
        (i.product_id, i.quantity) for i in shop.service.order(confirmed.out_trade_no).items
    ] == [(pearl, 3), (taro, 2)]


def test_out_of_stock_is_refused_and_nothing_is_written(shop: Shop) -> None:
    pearl = shop.product("m_pearl_house", "Pearl Milk Tea")
    taro = shop.product("m_pearl_house", "Taro Milk Tea")
    shop.set_stock(taro, 1)
    pearl_stock = shop.stock(pearl)
    with pytest.raises(CommerceError) as caught:
        shop.service.confirm_cart(
            shop.cart(
                "m_pearl_house",
                [{"product_id": pearl, "quantity": 1}, {"product_id": taro, "quantity": 2}],
            )
        )
    assert problem_code(caught) == CommerceProblem.OUT_OF_STOCK
    assert caught.value.status == 409
    assert (shop.stock(pearl), shop.stock(taro)) == (pearl_stock, 1)
    assert shop.order_count() == 0


def test_the_last_unit_goes_to_exactly_one_of_two_concurrent_carts(shop: Shop) -> None:
    pearl = shop.product("m_lakeside_tea", "Pearl Milk Tea")
    shop.set_stock(pearl, 1)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def buy() -> None:
        barrier.wait()
        try:
            shop.service.confirm_cart(
                shop.cart("m_lakeside_tea", [{"product_id": pearl, "quantity": 1}])
            )
            outcomes.append("ok")
        except CommerceError as e:
            outcomes.append(e.code)

    threads = [threading.Thread(target=buy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "out-of-stock"]
    assert shop.stock(pearl) == 0


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([{"product_id": "p_doesnotexist", "quantity": 1}], CommerceProblem.UNKNOWN_PRODUCT),
        ("other-merchant", CommerceProblem.UNKNOWN_PRODUCT),
    ],
)
def test_products_must_exist_at_this_merchant(shop: Shop, items: Any, code: str) -> None:
    if items == "other-merchant":
        items = [{"product_id": shop.product("m_bobo_cha", "Pearl Milk Tea"), "quantity": 1}]
    with pytest.raises(CommerceError) as caught:
        shop.service.confirm_cart(shop.cart("m_leaf_and_cup", items))
    assert problem_code(caught) == code
    assert shop.order_count() == 0


@pytest.mark.parametrize("quantity", [0, -1, 100, True, "1", None])
def test_quantity_must_be_a_positive_int(shop: Shop, quantity: Any) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    with pytest.raises(ValidationError):
        shop.service.confirm_cart(
            shop.cart("m_leaf_and_cup", [{"product_id": pearl, "quantity": quantity}])
        )


def test_unknown_merchant_and_unsupported_method(shop: Shop) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    with pytest.raises(CommerceError) as caught:
        shop.service.confirm_cart(shop.cart("m_nowhere", [{"product_id": pearl, "quantity": 1}]))
    assert problem_code(caught) == CommerceProblem.UNKNOWN_MERCHANT
    with pytest.raises(CommerceError) as caught:
        shop.service.confirm_cart(
            shop.cart(
                "m_leaf_and_cup",
                [{"product_id": pearl, "quantity": 1}],
                payment_method="credit-card",
            )
        )
    assert problem_code(caught) == CommerceProblem.METHOD_NOT_SUPPORTED
    assert shop.order_count() == 0


def test_merchant_without_a_key_cannot_confirm(db: Database, clock: FixedClock) -> None:
    catalog = seed_catalog(db, random.Random(5), product_count=80)
    service = MerchantService(
        db, {}, clock, psp_endpoint=PSP_ENDPOINT, psp_id="psp:trustcart", search=catalog_search(db)
    )
    product = next(p for p in catalog.products if p.merchant_id == "m_bobo_cha")
    with pytest.raises(CommerceError) as caught:
        service.confirm_cart(
            {
                "merchant_id": "m_bobo_cha",
                "items": [{"product_id": product.product_id, "quantity": 1}],
                "intent_id": "int_a",
                "delegation_id": "dlg_a",
                "agent_id": AGENT,
                "payment_method": "trustcart-balance",
            }
        )
    assert problem_code(caught) == CommerceProblem.MERCHANT_UNAVAILABLE


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (
            {"constraints": {"max_total_amount": {"amount": "12.99", "currency": "CNY"}}},
            CommerceProblem.AMOUNT_EXCEEDED,
        ),
        (
            {"constraints": {"forbidden_merchants": ["m_leaf_and_cup"]}},
            CommerceProblem.MERCHANT_NOT_ALLOWED,
        ),
        (
            {"constraints": {"allowed_merchants": ["m_bobo_cha"]}},
            CommerceProblem.MERCHANT_NOT_ALLOWED,
        ),
        (
            {"constraints": {"allowed_categories": ["apparel"]}},
            CommerceProblem.CATEGORY_NOT_ALLOWED,
        ),
        (
            {"constraints": {"forbidden_categories": ["drinks"]}},
            CommerceProblem.CATEGORY_NOT_ALLOWED,
        ),
        ({"constraints": {"max_delivery_minutes": 5}}, CommerceProblem.DELIVERY_TOO_SLOW),
        ({"constraints": {"max_total_quantity": 1}, "qty": 2}, CommerceProblem.QUANTITY_EXCEEDED),
        ({"expected": "17.00"}, CommerceProblem.PRICE_CHANGED),
        (
            {"expected": "18.00", "constraints": {"price_deviation_tolerance": "5"}},
            CommerceProblem.PRICE_CHANGED,
        ),
        ({"coupon_ids": ["c_leafcup_10pct"]}, CommerceProblem.COUPON_NOT_APPLICABLE),
        ({"coupon_ids": ["c_bobo_10pct"]}, CommerceProblem.COUPON_NOT_APPLICABLE),
    ],
)
def test_prechecks_refuse_before_anything_is_locked(
    shop: Shop, extra: dict[str, Any], code: str
) -> None:
    extra = dict(extra)  # parameters are shared between the SQLite and PostgreSQL runs
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    stock = shop.stock(pearl)
    item: dict[str, Any] = {"product_id": pearl, "quantity": extra.pop("qty", 1)}
    if "expected" in extra:
        item["expected_unit_price"] = {"amount": extra.pop("expected"), "currency": "CNY"}
    with pytest.raises(CommerceError) as caught:
        shop.service.confirm_cart(shop.cart("m_leaf_and_cup", [item], **extra))
    assert problem_code(caught) == code
    assert caught.value.status == 422
    assert shop.stock(pearl) == stock
    assert shop.order_count() == 0


def test_prechecks_that_pass(shop: Shop) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    confirmed = shop.service.confirm_cart(
        shop.cart(
            "m_leaf_and_cup",
            [
                {
                    "product_id": pearl,
                    "quantity": 1,
                    "expected_unit_price": {"amount": "18.10", "currency": "CNY"},
                }
            ],
            coupon_ids=[],
            constraints={
                "max_total_amount": {"amount": "19.00", "currency": "CNY"},
                "allowed_categories": ["drinks/milk-tea"],
                "max_delivery_minutes": 60,
                "price_deviation_tolerance": "5",
                "allowed_merchants": ["m_leaf_and_cup"],
            },
        )
    )
    # coupon_ids=[] means "no coupon", not "the best ones".
    assert confirmed.payload["total"] == {"amount": "19.00", "currency": "CNY"}
    assert confirmed.payload["coupons"] == []


def test_a_database_lock_failure_is_an_explicit_error(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    stock = shop.stock(pearl)

    def contended(*_args: Any) -> bool:
        raise OperationalError("UPDATE commerce_products", {}, Exception("lock timeout"))

    monkeypatch.setattr(cart_confirmation, "reserve_stock", contended)
    with pytest.raises(CommerceError) as caught:
        shop.service.confirm_cart(
            shop.cart("m_leaf_and_cup", [{"product_id": pearl, "quantity": 1}])
        )
    assert problem_code(caught) == CommerceProblem.LOCK_FAILED
    assert shop.stock(pearl) == stock
    assert shop.order_count() == 0


# -- orders --------------------------------------------------------------------------------------


def confirm_pearl(shop: Shop, merchant_id: str = "m_leaf_and_cup") -> tuple[str, Money]:
    pearl = shop.product(merchant_id, "Pearl Milk Tea")
    confirmed = shop.service.confirm_cart(
        shop.cart(merchant_id, [{"product_id": pearl, "quantity": 1}])
    )
    return confirmed.out_trade_no, Money.from_json(confirmed.payload["total"])


def test_paid_then_fulfilled(shop: Shop) -> None:
    out_trade_no, total = confirm_pearl(shop)
    shop.clock.advance(timedelta(minutes=5))
    paid = shop.service.mark_paid(out_trade_no, "trd_1", total, shop.clock.now())
    assert paid.status is OrderStatus.PAID
    assert paid.trade_no == "trd_1"
    assert paid.paid_at == T0 + timedelta(minutes=5)
    # The PSP may repeat its notice: same answer, nothing changes.
    assert shop.service.mark_paid(out_trade_no, "trd_1", total, shop.clock.now()) == paid
    fulfilled = shop.service.fulfil(out_trade_no)
    assert fulfilled.status is OrderStatus.FULFILLED
    assert shop.service.mark_paid(out_trade_no, "trd_1", total, shop.clock.now()) == fulfilled


@pytest.mark.parametrize(
    "amount", [Money(1299, "CNY"), Money(1301, "CNY"), Money(1300, "USD"), Money(0, "CNY")]
)
def test_mark_paid_with_the_wrong_amount_is_refused(shop: Shop, amount: Money) -> None:
    out_trade_no, total = confirm_pearl(shop)
    assert total == Money(1300, "CNY")
    with pytest.raises(CommerceError) as caught:
        shop.service.mark_paid(out_trade_no, "trd_1", amount, T0)
    assert problem_code(caught) == CommerceProblem.AMOUNT_MISMATCH
    order = shop.service.order(out_trade_no)
    assert (order.status, order.trade_no, order.paid_at) == (OrderStatus.CONFIRMED, None, None)


def test_payment_after_the_lock_expired_is_refused(shop: Shop) -> None:
    out_trade_no, total = confirm_pearl(shop)
    shop.clock.advance(timedelta(minutes=16))
    with pytest.raises(CommerceError) as caught:
        shop.service.mark_paid(out_trade_no, "trd_1", total, shop.clock.now())
    assert problem_code(caught) == CommerceProblem.CART_EXPIRED
    assert shop.service.order(out_trade_no).status is OrderStatus.CONFIRMED
    # Paid at the last second of the lock, noticed later: accepted.
    lock_end = T0 + timedelta(minutes=15)
    assert shop.service.mark_paid(out_trade_no, "trd_1", total, lock_end).status is (
        OrderStatus.PAID
    )


def test_a_notice_dated_in_the_future_is_refused(shop: Shop) -> None:
    out_trade_no, total = confirm_pearl(shop)
    with pytest.raises(ValidationError):
        shop.service.mark_paid(out_trade_no, "trd_1", total, T0 + timedelta(minutes=10))
    with pytest.raises(ValidationError):
        shop.service.mark_paid(out_trade_no, "trd_1", total, T0.replace(tzinfo=None))
    assert shop.service.order(out_trade_no).status is OrderStatus.CONFIRMED


def test_expiry_releases_stock_and_only_a_payment_within_the_lock_pays(shop: Shop) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    stock = shop.stock(pearl)
    out_trade_no, total = confirm_pearl(shop)
    assert shop.stock(pearl) == stock - 1
    shop.clock.advance(timedelta(minutes=14, seconds=59))
    assert shop.service.expire_due() == []
    shop.clock.advance(timedelta(seconds=1))
    assert shop.service.expire_due() == [out_trade_no]
    assert shop.service.order(out_trade_no).status is OrderStatus.EXPIRED
    assert shop.stock(pearl) == stock
    with pytest.raises(CommerceError) as caught:  # paid after the lock: refused
        shop.service.mark_paid(out_trade_no, "trd_1", total, T0 + timedelta(minutes=15, seconds=1))
    assert problem_code(caught) == CommerceProblem.CART_EXPIRED
    assert shop.service.expire_due() == []  # expiring twice does nothing
    assert shop.stock(pearl) == stock
    # The PSP's notice of a payment made while the hold stood, delivered after the sweep (it
    # waited in the PSP's outbox): the payment stands, so the order is paid, the stock retaken.
    late = shop.service.mark_paid(out_trade_no, "trd_1", total, T0 + timedelta(minutes=1))
    assert (late.status, late.trade_no) == (OrderStatus.PAID, "trd_1")
    assert shop.stock(pearl) == stock - 1
    assert shop.service.mark_paid(out_trade_no, "trd_1", total, T0 + timedelta(minutes=1)) == late


def test_cancel_releases_stock(shop: Shop) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    stock = shop.stock(pearl)
    out_trade_no, _ = confirm_pearl(shop)
    assert shop.service.cancel(out_trade_no).status is OrderStatus.CANCELLED
    assert shop.stock(pearl) == stock


@pytest.mark.parametrize(
    "steps",
    [
        ["fulfil"],
        ["pay", "cancel"],
        ["cancel", "pay"],
        ["cancel", "cancel"],
        ["pay", "fulfil", "cancel"],
        ["pay", "pay_other"],
    ],
)
def test_forbidden_transitions_raise_and_change_nothing(shop: Shop, steps: list[str]) -> None:
    out_trade_no, total = confirm_pearl(shop)
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    actions = {
        "pay": lambda: shop.service.mark_paid(out_trade_no, "trd_1", total, T0),
        "pay_other": lambda: shop.service.mark_paid(out_trade_no, "trd_2", total, T0),
        "fulfil": lambda: shop.service.fulfil(out_trade_no),
        "cancel": lambda: shop.service.cancel(out_trade_no),
    }
    for step in steps[:-1]:
        actions[step]()
    before, stock = shop.service.order(out_trade_no), shop.stock(pearl)
    with pytest.raises(CommerceError) as caught:
        actions[steps[-1]]()
    assert problem_code(caught) == CommerceProblem.ILLEGAL_TRANSITION
    assert shop.service.order(out_trade_no) == before
    assert shop.stock(pearl) == stock


def test_payment_must_be_for_this_cart_and_merchant(shop: Shop) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    confirmed = shop.service.confirm_cart(
        shop.cart("m_leaf_and_cup", [{"product_id": pearl, "quantity": 1}])
    )
    total = Money.from_json(confirmed.payload["total"])
    with pytest.raises(CommerceError) as caught:
        shop.service.mark_paid(
            confirmed.out_trade_no, "trd_1", total, T0, cart_digest="sha-256:" + "A" * 43
        )
    assert problem_code(caught) == CommerceProblem.CART_MISMATCH
    with pytest.raises(CommerceError) as caught:
        shop.service.mark_paid(
            confirmed.out_trade_no,
            "trd_1",
            total,
            T0,
            merchant_id="m_bobo_cha",
            cart_digest=confirmed.cart_digest,
        )
    assert problem_code(caught) == CommerceProblem.UNKNOWN_ORDER
    assert shop.service.order(confirmed.out_trade_no).status is OrderStatus.CONFIRMED
    paid = shop.service.mark_paid(
        confirmed.out_trade_no,
        "trd_1",
        total,
        T0,
        merchant_id="m_leaf_and_cup",
        cart_digest=confirmed.cart_digest,
    )
    assert paid.status is OrderStatus.PAID


def test_unknown_order(shop: Shop) -> None:
    with pytest.raises(CommerceError) as caught:
        shop.service.order("ord_nope")
    assert problem_code(caught) == CommerceProblem.UNKNOWN_ORDER
    with pytest.raises(CommerceError):
        shop.service.mark_paid("ord_nope", "trd_1", Money(1, "CNY"), T0)


# -- CID-INT-XFR ---------------------------------------------------------------------------------

WEST_LAKE = {"lat": str(DEMO_LOCATION.lat), "lon": str(DEMO_LOCATION.lon), "radius_km": "3"}


def test_intent_context_returns_offers_with_the_best_coupon(shop: Shop) -> None:
    answer = shop.service.query_intent_context(
        {
            "request_id": "xfr_1",
            "intent_id": "int_demo",
            "context": {
                "query": "pearl milk tea",
                "category": "drinks/milk-tea",
                "quantity": 1,
                "constraints": {
                    "max_total_amount": {"amount": "30.00", "currency": "CNY"},
                    "location": WEST_LAKE,
                },
            },
        },
        agent_id=AGENT,
    )
    candidates = answer["candidates"]
    assert answer["request_id"] == "xfr_1"
    # Candidates keep the search engine's order (the agent's planner ranks by total itself);
    # Leaf & Cup's coupon makes its 19.00 list price the lowest total.
    pearl = [c for c in candidates if c["product"]["title"] == "Pearl Milk Tea"]
    first = min(pearl, key=lambda c: Money.from_json(c["offer"]["total"]).minor)
    assert first["merchant"]["merchant_id"] == "m_leaf_and_cup"
    assert first["product"]["title"] == "Pearl Milk Tea"
    assert first["offer"]["total"] == {"amount": "13.00", "currency": "CNY"}
    assert [c["coupon_id"] for c in first["offer"]["coupons"]] == ["c_leafcup_6off"]
    assert all(Money.from_json(c["offer"]["total"]) <= Money(3000, "CNY") for c in candidates)
    assert all(float(c["distance_km"]) <= 3 for c in candidates)
    assert all(c["product"]["category"] == "drinks/milk-tea" for c in candidates)
    assert "m_bund_tea" not in {c["merchant"]["merchant_id"] for c in candidates}


def test_intent_context_updates_link_to_the_previous_request(shop: Shop) -> None:
    base = {
        "request_id": "xfr_1",
        "context": {"query": "pearl milk tea", "constraints": {"location": WEST_LAKE}},
    }
    first = shop.service.query_intent_context(base, agent_id=AGENT)
    assert len({c["merchant"]["merchant_id"] for c in first["candidates"]}) > 1
    # The update carries only the delta: a size and a merchant list.
    update_request = {
        "request_id": "xfr_2",
        "previous_request_id": "xfr_1",
        "context": {
            "attributes": {"size": "large"},
            "constraints": {"allowed_merchants": ["m_pearl_house"]},
        },
    }
    second = shop.service.query_intent_context(update_request, agent_id=AGENT)
    assert second["previous_request_id"] == "xfr_1"
    assert second["context"]["query"] == "pearl milk tea"
    assert second["context"]["constraints"]["location"] == WEST_LAKE
    assert {c["merchant"]["merchant_id"] for c in second["candidates"]} == {"m_pearl_house"}
    assert all(c["product"]["attributes"]["size"] == "large" for c in second["candidates"])
    # null removes a key from the merged context.
    third = shop.service.query_intent_context(
        {
            "request_id": "xfr_3",
            "previous_request_id": "xfr_2",
            "context": {"constraints": {"allowed_merchants": None}},
        },
        agent_id=AGENT,
    )
    assert len({c["merchant"]["merchant_id"] for c in third["candidates"]}) > 1


def test_intent_context_errors_are_parseable(shop: Shop) -> None:
    with pytest.raises(CommerceError) as caught:
        shop.service.query_intent_context(
            {
                "request_id": "xfr_a",
                "context": {
                    "query": "pearl milk tea",
                    "constraints": {"max_unit_price": {"amount": "5.00", "currency": "CNY"}},
                },
            },
            agent_id=AGENT,
        )
    assert problem_code(caught) == CommerceProblem.NO_MATCH
    assert caught.value.status == 404
    # A no-match request is still on record, so the agent can relax it with a delta.
    relaxed = shop.service.query_intent_context(
        {
            "request_id": "xfr_b",
            "previous_request_id": "xfr_a",
            "context": {"constraints": {"max_unit_price": None}},
        },
        agent_id=AGENT,
    )
    assert relaxed["candidates"]
    with pytest.raises(CommerceError) as caught:
        shop.service.query_intent_context(
            {"request_id": "xfr_b", "context": {"query": "tea"}}, agent_id=AGENT
        )
    assert problem_code(caught) == CommerceProblem.REQUEST_ID_REUSED
    with pytest.raises(CommerceError) as caught:
        shop.service.query_intent_context(
            {"request_id": "xfr_c", "previous_request_id": "xfr_x", "context": {}}, agent_id=AGENT
        )
    assert problem_code(caught) == CommerceProblem.UNKNOWN_REQUEST
    # Another agent cannot extend (or even see) this agent's request.
    with pytest.raises(CommerceError) as caught:
        shop.service.query_intent_context(
            {"request_id": "xfr_d", "previous_request_id": "xfr_a", "context": {}},
            agent_id="agent:other",
        )
    assert problem_code(caught) == CommerceProblem.UNKNOWN_REQUEST


@pytest.mark.parametrize(
    "request_body",
    [
        {"context": {"query": "tea"}},
        {"request_id": "xfr_1"},
        {"request_id": "xfr_1", "context": {}},
        {"request_id": "xfr_1", "context": {"query": 5}},
        {"request_id": "xfr_1", "context": {"query": "tea", "colour": "red"}},
        {"request_id": "xfr_1", "context": {"query": "tea", "quantity": 0}},
        {"request_id": "xfr_1", "context": {"query": "tea", "constraints": {"radius": "3"}}},
        {
            "request_id": "xfr_1",
            "context": {"query": "tea", "constraints": {"location": {"lat": "95", "lon": "0"}}},
        },
        {
            "request_id": "xfr_1",
            "context": {
                "query": "tea",
                "constraints": {"max_unit_price": {"amount": 30, "currency": "CNY"}},
            },
        },
        {
            "request_id": "xfr_1",
            "context": {
                "query": "tea",
                "constraints": {"max_unit_price": {"amount": "30", "currency": ["CNY"]}},
            },
        },
        {"request_id": "xfr_1", "context": {"query": "tea"}, "limit": 1000},
        {"request_id": "xfr 1", "context": {"query": "tea"}},
    ],
)
def test_malformed_intent_context_is_a_format_error(
    shop: Shop, request_body: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        shop.service.query_intent_context(request_body, agent_id=AGENT)


# -- CID-PCA-NEG and CID-MER-CAT -------------------------------------------------------------


def test_payment_capability_document(shop: Shop) -> None:
    document = shop.service.payment_capability("m_leaf_and_cup")
    assert document == {
        "version": "2.1",
        "role": "payee",
        "agent_id": "m_leaf_and_cup",
        "supported_methods": [
            {
                "method_id": "trustcart-balance",
                "psps": [
                    {
                        "psp_id": "psp:trustcart",
                        "endpoint": PSP_ENDPOINT,
                        "method_schema_url": "http://127.0.0.1:8002/.well-known/payment-methods/trustcart-balance.json",
                    }
                ],
            }
        ],
    }
    with pytest.raises(CommerceError) as caught:
        shop.service.payment_capability("m_nowhere")
    assert problem_code(caught) == CommerceProblem.UNKNOWN_MERCHANT


def test_two_way_negotiation(shop: Shop) -> None:
    answer = shop.service.negotiate_payment(
        "m_leaf_and_cup",
        {
            "agent_id": AGENT,
            "buyer_supported_methods": ["card", "trustcart-balance"],
            "currency": "CNY",
            "estimated_amount": {"amount": "13.00", "currency": "CNY"},
        },
    )
    assert answer["supported_methods"] == [
        {
            "method_id": "trustcart-balance",
            "psp_id": "psp:trustcart",
            "endpoint": PSP_ENDPOINT,
            "method_schema_url": "http://127.0.0.1:8002/.well-known/payment-methods/trustcart-balance.json",
        }
    ]
    for body, code in (
        (
            {"buyer_supported_methods": ["card"], "currency": "CNY"},
            CommerceProblem.METHOD_NOT_SUPPORTED,
        ),
        (
            {"buyer_supported_methods": ["trustcart-balance"], "currency": "USD"},
            CommerceProblem.CURRENCY_MISMATCH,
        ),
    ):
        amount = {"amount": "13.00", "currency": body["currency"]}
        with pytest.raises(CommerceError) as caught:
            shop.service.negotiate_payment(
                "m_leaf_and_cup", {"agent_id": AGENT, "estimated_amount": amount, **body}
            )
        assert problem_code(caught) == code
        assert caught.value.status == 422


def test_catalog_item(shop: Shop) -> None:
    pearl = shop.product("m_leaf_and_cup", "Pearl Milk Tea")
    item = shop.service.catalog_item(pearl)
    assert item["product_id"] == pearl
    assert item["price"] == {"amount": "19.00", "currency": "CNY"}
    assert item["merchant"]["merchant_id"] == "m_leaf_and_cup"
    with pytest.raises(CommerceError) as caught:
        shop.service.catalog_item("p_nope")
    assert problem_code(caught) == CommerceProblem.UNKNOWN_PRODUCT


def test_merchants_publish_their_keys(shop: Shop) -> None:
    published = keys_from_jwks(shop.service.merchant_jwks())
    assert set(published) == {key.kid for key in shop.keys.values()}
    listed = {m["merchant_id"]: m["kid"] for m in shop.service.merchants()}
    assert listed == {mid: key.kid for mid, key in shop.keys.items()}
