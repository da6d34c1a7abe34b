"""The basket optimiser: a worked hotpot example, and properties against independent baselines."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from itertools import product as cartesian
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.basket import NOW, coupon, merchant, product
from trustcart.commerce.basket import BasketItem, BasketPlan, plan_basket
from trustcart.commerce.basket_market import WantedItem, plan_to_json, wanted_from_request
from trustcart.commerce.cart import CartLine, price_cart
from trustcart.commerce.catalog import Coupon, Merchant, Product
from trustcart.commerce.errors import CommerceProblem, StockError
from trustcart.core.errors import ValidationError


def _hotpot() -> tuple[list[BasketItem], dict[str, Merchant], list[Coupon]]:
    shops = {"m_a": merchant("m_a", shipping=800), "m_b": merchant("m_b", shipping=500)}
    a = [product("p_tofua", "m_a", 1000), product("p_lamba", "m_a", 6000)]
    a.append(product("p_basea", "m_a", 3500))
    b = [product("p_tofub", "m_b", 800), product("p_lambb", "m_b", 5500)]
    b.append(product("p_baseb", "m_b", 3000))
    items = [
        BasketItem("tofu", 1, (a[0], b[0])),
        BasketItem("lamb slices", 1, (a[1], b[1])),
        BasketItem("hotpot base", 1, (a[2], b[2])),
    ]
    return items, shops, [coupon("c_spend100", "m_a", 2000, 10000)]


def test_a_coupon_on_the_combined_cart_beats_each_item_at_its_cheapest_shop() -> None:
    items, shops, coupons = _hotpot()
    plan = plan_basket(items, shops, coupons, now=NOW)
    # Each item alone is cheaper at m_b (98.00 in all); together at m_a the cart reaches the
    # 100.00 threshold: 105.00 - 20.00 + 8.00 shipping = 93.00.
    assert plan.merchant_ids == ("m_a",)
    assert plan.total.minor == 9300
    assert plan.exact
    assert plan.carts[0].coupons.coupon_ids == ("c_spend100",)
    assert {k: p.product_id for k, p in plan.assignment.items()} == {
        "tofu": "p_tofua",
        "lamb slices": "p_lamba",
        "hotpot base": "p_basea",
    }


def test_shipping_is_charged_once_per_merchant_and_splits_when_that_is_cheaper() -> None:
    shops = {"m_a": merchant("m_a", shipping=500), "m_b": merchant("m_b", shipping=500)}
    items = [
        BasketItem("tofu", 2, (product("p_t1", "m_a", 1000), product("p_t2", "m_b", 3000))),
        BasketItem("lamb", 1, (product("p_l1", "m_a", 9000), product("p_l2", "m_b", 4000))),
    ]
    plan = plan_basket(items, shops, [], now=NOW)
    assert plan.merchant_ids == ("m_a", "m_b")
    assert plan.total.minor == 2000 + 500 + 4000 + 500


def test_out_of_stock_products_are_never_chosen_and_an_unfillable_item_is_refused() -> None:
    shops = {"m_a": merchant("m_a"), "m_b": merchant("m_b")}
    cheap_but_gone = product("p_t1", "m_a", 100, stock=1)
    items = [BasketItem("tofu", 2, (cheap_but_gone, product("p_t2", "m_b", 900)))]
    assert plan_basket(items, shops, [], now=NOW).assignment["tofu"].product_id == "p_t2"
    with pytest.raises(StockError) as caught:
        plan_basket([BasketItem("tofu", 2, (cheap_but_gone,))], shops, [], now=NOW)
    assert caught.value.code == CommerceProblem.OUT_OF_STOCK


def test_malformed_baskets_are_refused() -> None:
    items, shops, coupons = _hotpot()
    with pytest.raises(ValidationError):
        plan_basket([], shops, coupons, now=NOW)
    with pytest.raises(ValidationError):
        plan_basket([items[0], items[0]], shops, coupons, now=NOW)
    with pytest.raises(ValidationError):
        BasketItem("tofu", 0, ())


# -- properties: an independent brute force and the two baselines --------------------------------


def _price_split(
    items: list[BasketItem],
    split: tuple[Product, ...],
    shops: dict[str, Merchant],
    coupons: list[Coupon],
) -> int:
    lines: dict[str, dict[str, tuple[Product, int]]] = defaultdict(dict)
    for item, chosen in zip(items, split, strict=True):
        _, before = lines[chosen.merchant_id].get(chosen.product_id, (chosen, 0))
        lines[chosen.merchant_id][chosen.product_id] = (chosen, before + item.quantity)
    return sum(
        price_cart(
            shops[m], [CartLine(p, q) for p, q in by_product.values()], coupons, now=NOW
        ).total.minor
        for m, by_product in lines.items()
    )


def _cheapest_each(
    items: list[BasketItem], shops: dict[str, Merchant], coupons: list[Coupon]
) -> int:
    def alone(chosen: Product, quantity: int) -> int:
        merchant = shops[chosen.merchant_id]
        return price_cart(merchant, [CartLine(chosen, quantity)], coupons, now=NOW).total.minor

    split = tuple(
        min(item.choices, key=functools.partial(_swap, alone, item.quantity)) for item in items
    )
    return _price_split(items, split, shops, coupons)


def _swap(alone: Callable[[Product, int], int], quantity: int, chosen: Product) -> int:
    return alone(chosen, quantity)


def _one_merchant(
    items: list[BasketItem], shops: dict[str, Merchant], coupons: list[Coupon]
) -> list[int]:
    totals = []
    for merchant_id in shops:
        here = [[p for p in item.choices if p.merchant_id == merchant_id] for item in items]
        if all(here):
            split = tuple(min(options, key=lambda p: p.price.minor) for options in here)
            totals.append(_price_split(items, split, shops, coupons))
    return totals


@st.composite
def baskets(draw: st.DrawFn) -> tuple[list[BasketItem], dict[str, Merchant], list[Coupon]]:
    merchant_ids = [f"m_{i}" for i in range(draw(st.integers(1, 3)))]
    shops = {m: merchant(m, draw(st.integers(0, 1500))) for m in merchant_ids}
    coupons = []
    for m in merchant_ids:
        for index in range(draw(st.integers(0, 2))):
            value = draw(st.integers(100, 3000))
            threshold = draw(st.integers(0, 20000))
            percent = draw(st.booleans())
            coupons.append(
                coupon(
                    f"c_{m[2:]}x{index}",
                    m,
                    value % 30 + 1 if percent else value,
                    threshold,
                    percent=percent,
                )
            )
    items = []
    for index in range(draw(st.integers(1, 4))):
        sellers = draw(st.lists(st.sampled_from(merchant_ids), min_size=1, unique=True))
        choices = tuple(
            product(f"p_{index}x{m[2:]}", m, draw(st.integers(100, 9000))) for m in sellers
        )
        items.append(BasketItem(f"item{index}", draw(st.integers(1, 3)), choices))
    return items, shops, coupons


def _check_plan(
    plan: BasketPlan, items: list[BasketItem], shops: dict[str, Merchant], coupons: list[Coupon]
) -> None:
    # Its reported total is what the merchants will charge: the carts re-priced independently.
    repriced = sum(
        price_cart(c.merchant, list(c.lines), coupons, now=NOW).total.minor for c in plan.carts
    )
    assert plan.total.minor == repriced
    split = tuple(plan.assignment[item.item_id] for item in items)
    assert all(chosen in item.choices for item, chosen in zip(items, split, strict=True))
    assert _price_split(items, split, shops, coupons) == plan.total.minor
    assert plan.total.minor <= _cheapest_each(items, shops, coupons)
    assert all(plan.total.minor <= total for total in _one_merchant(items, shops, coupons))


@settings(max_examples=150, deadline=None)
@given(baskets())
def test_the_exact_plan_is_the_brute_force_minimum_and_beats_both_baselines(
    basket: tuple[list[BasketItem], dict[str, Merchant], list[Coupon]],
) -> None:
    items, shops, coupons = basket
    plan = plan_basket(items, shops, coupons, now=NOW)
    assert plan.exact
    _check_plan(plan, items, shops, coupons)
    brute = min(
        _price_split(items, split, shops, coupons)
        for split in cartesian(*(item.choices for item in items))
    )
    assert plan.total.minor == brute


@settings(max_examples=100, deadline=None)
@given(baskets())
def test_the_bounded_search_still_beats_both_baselines(
    basket: tuple[list[BasketItem], dict[str, Merchant], list[Coupon]],
) -> None:
    items, shops, coupons = basket
    plan = plan_basket(items, shops, coupons, now=NOW, max_exact_splits=0)
    assert not plan.exact
    _check_plan(plan, items, shops, coupons)


# -- the marketplace's wire shape (POST /baskets/plan) -------------------------------------------


def test_the_plan_on_the_wire_adds_up_and_malformed_requests_are_refused() -> None:
    items, shops, coupons = _hotpot()
    body = plan_to_json(plan_basket(items, shops, coupons, now=NOW))
    assert body["total"] == {"amount": "93.00", "currency": "CNY"}
    assert [c["merchant_id"] for c in body["carts"]] == ["m_a"]
    assert body["carts"][0]["coupons"][0]["coupon_id"] == "c_spend100"
    wanted = wanted_from_request(
        {"items": [{"item_id": "tofu", "product_id": "p_t", "quantity": 2}]}
    )
    assert wanted == [WantedItem("tofu", "p_t", 2)]
    bad_requests: list[dict[str, Any]] = [
        {},
        {"items": []},
        {"items": [{"item_id": "tofu"}]},
        {"items": [{"item_id": "tofu", "product_id": "p_t", "quantity": True}]},
        {"items": ["tofu"]},
    ]
    for bad in bad_requests:
        with pytest.raises(ValidationError):
            wanted_from_request(bad)
