"""The planner (pure): options within every stated cap, reasons, explanations; cart checks."""

from typing import Any

from trustcart.assistant.checks import cart_problems
from trustcart.assistant.intent import parse_intent
from trustcart.assistant.offers import ConfirmedCart, Offer
from trustcart.assistant.planner import plan_options, violations
from trustcart.core.money import Money


def offer(
    product: str,
    merchant: str,
    unit: str,
    total: str,
    *,
    quantity: int = 1,
    category: str = "drinks/milk-tea",
    title: str = "Pearl Milk Tea",
    attributes: dict[str, str] | None = None,
    minutes: int = 30,
    distance: float | None = 1.0,
    score: float = 1.0,
) -> Offer:
    subtotal = Money.parse(unit, "CNY") * quantity
    return Offer(
        product_id=product,
        title=title,
        merchant_id=merchant,
        merchant_name=merchant.title(),
        category=category,
        quantity=quantity,
        unit_price=Money.parse(unit, "CNY"),
        subtotal=subtotal,
        discount=Money.zero("CNY"),
        total=Money.parse(total, "CNY"),
        attributes=attributes or {"size": "medium", "sugar": "adjustable"},
        delivery_minutes=minutes,
        distance_km=distance,
        score=score,
    )


def test_cheapest_first_and_alternatives_from_other_merchants() -> None:
    draft = parse_intent("a pearl milk tea under 30")
    found = [
        offer("p1", "m_a", "19.00", "13.00"),
        offer("p2", "m_b", "16.00", "16.00"),
        offer("p3", "m_c", "18.00", "18.00"),
        offer("p4", "m_d", "31.00", "31.00"),
    ]
    plan = plan_options(draft, [found])
    assert [o.lines[0].product_id for o in plan.options] == ["p1", "p2", "p3"]
    assert "lowest total" in plan.options[0].reason
    assert all(not violations(draft, option) for option in plan.options)


def test_nothing_within_the_cap_is_explained() -> None:
    draft = parse_intent("a pearl milk tea under 10")
    plan = plan_options(draft, [[offer("p1", "m_a", "16.00", "16.00")]])
    assert not plan.options
    assert "above 10.00 CNY each" in plan.explain


def test_filters_attributes_merchants_quantity_and_relevance() -> None:
    draft = parse_intent(
        "2 large pearl milk teas under 30 each, not from Bobo", merchants=[("m_bobo", "Bobo")]
    )
    found = [
        offer("medium", "m_a", "16.00", "32.00", quantity=2),  # wrong size
        offer("bobo", "m_bobo", "17.00", "34.00", quantity=2, attributes={"size": "large"}),
        offer("one", "m_a", "17.00", "17.00", attributes={"size": "large"}),  # wrong quantity
        offer(
            "weak",
            "m_a",
            "10.00",
            "20.00",
            quantity=2,
            attributes={"size": "large"},
            title="Taro Milk Tea",
        ),  # same category, cheaper, but not what was asked
        offer("ok", "m_c", "19.00", "38.00", quantity=2, attributes={"size": "large"}),
    ]
    plan = plan_options(draft, [found])
    assert [o.lines[0].product_id for o in plan.options] == ["ok"]


def test_several_items_and_one_merchant_option_within_total() -> None:
    draft = parse_intent("a pearl milk tea and a taro milk tea, 35 in total")
    pearls = [offer("pa", "m_a", "16.00", "16.00"), offer("pb", "m_b", "15.00", "15.00")]
    taros = [
        offer("ta", "m_a", "17.00", "17.00", title="Taro Milk Tea"),
        offer("tb", "m_b", "21.00", "21.00", title="Taro Milk Tea"),
    ]
    plan = plan_options(draft, [pearls, taros])
    assert plan.options
    for option in plan.options:
        assert option.total <= Money.parse("35", "CNY")
        assert len(option.lines) == 2
        assert not violations(draft, option)
    assert any(len(option.merchants) == 1 for option in plan.options)


def test_standing_order_buys_one_at_a_time() -> None:
    draft = parse_intent("up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total")
    plan = plan_options(
        draft,
        [[offer("p1", "m_a", "18.00", "18.00"), offer("p3", "m_a", "18.00", "54.00", quantity=3)]],
    )
    assert [o.lines[0].quantity for o in plan.options] == [1]


def test_cart_problems_catch_a_changed_cart() -> None:
    line = offer("p1", "m_a", "16.00", "16.00")
    item: dict[str, Any] = {
        "product_id": "p1",
        "quantity": 1,
        "category": "drinks/milk-tea",
        "unit_price": {"amount": "16.00", "currency": "CNY"},
    }
    cart: dict[str, Any] = {
        "out_trade_no": "ord_1",
        "items": [item],
        "merchant_id": "m_a",
        "total": {"amount": "16.00", "currency": "CNY"},
    }

    def confirmed(payload: dict[str, Any]) -> ConfirmedCart:
        return ConfirmedCart.from_verified("token", payload)

    assert cart_problems(confirmed(cart), line, Money.parse("16.00", "CNY")) == []
    dearer = {**cart, "total": {"amount": "16.01", "currency": "CNY"}}
    assert cart_problems(confirmed(dearer), line, Money.parse("16.00", "CNY"))
    swapped = {**cart, "items": [{**item, "product_id": "p2"}], "merchant_id": "m_b"}
    assert len(cart_problems(confirmed(swapped), line, None)) == 2
