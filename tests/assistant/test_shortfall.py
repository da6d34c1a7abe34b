"""Why nothing fits (pure): the limit that excludes every offer, with figures, EN and 中文."""

from tests.helpers.offers import offer
from trustcart.assistant.intent import parse_intent
from trustcart.assistant.shortfall import relaxed_context, shortfall

FIVE_SHOPS = [
    offer("p1", "m_leaf_and_cup", "19.00", "13.00", minutes=42),
    offer("p2", "m_pearl_house", "16.00", minutes=43),
    offer("p3", "m_lakeside", "18.00", minutes=20),
    offer("p4", "m_bobo_cha", "22.00", minutes=26),
    offer("p5", "m_bund_tea", "13.00", minutes=50),
    offer("x1", "m_bund_tea", "9.90", title="Jasmine Green Tea", category="drinks/fruit-tea"),
]


def test_a_price_cap_below_every_shop() -> None:
    draft = parse_intent("a pearl milk tea under 5 yuan")
    found = shortfall(draft, draft.items[0], FIVE_SHOPS)
    assert found.code == "price-each"
    assert found.shops == 5
    assert found.text("en") == (
        "5 shops sell pearl milk tea; the cheapest is 13.00 CNY at Bund Tea, above your 5.00 CNY."
    )
    assert (
        found.text("zh") == "有5家店卖珍珠奶茶，最便宜的是Bund Tea的13.00元，高于您的上限5.00元。"
    )


def test_a_size_nobody_has_says_what_there_is() -> None:
    draft = parse_intent("a large pearl milk tea")
    found = shortfall(draft, draft.items[0], FIVE_SHOPS)
    assert found.code == "attribute"
    assert found.text("en") == (
        "5 shops sell pearl milk tea, but none in size large (there is medium)."
    )
    assert "大杯" in found.text("zh")
    assert "中杯" in found.text("zh")


def test_a_delivery_time_nobody_meets() -> None:
    draft = parse_intent("a pearl milk tea within 10 minutes")
    found = shortfall(draft, draft.items[0], FIVE_SHOPS)
    assert found.code == "delivery"
    assert "the fastest delivers in 20 min, more than your 10 min" in found.text("en")


def test_only_excluded_shops_and_brands() -> None:
    draft = parse_intent(
        "a pearl milk tea, not from Bund Tea", merchants=[("m_bund_tea", "Bund Tea")]
    )
    only_bund = [o for o in FIVE_SHOPS if o.merchant_id == "m_bund_tea"]
    found = shortfall(draft, draft.items[0], only_bund)
    assert found.code == "merchant-excluded"
    assert found.text("en") == "Only shops you excluded sell pearl milk tea."


def test_something_else_is_not_sold() -> None:
    draft = parse_intent("two bottles of sparkling water")
    found = shortfall(draft, draft.items[0], FIVE_SHOPS[-1:])
    assert found.code == "not-sold"
    text = found.text("en")
    assert text == (
        "No shop sells sparkling water. The nearest match, Jasmine Green Tea, is something else."
    )
    assert "is does" not in text


def test_an_offer_the_search_engine_calls_a_poor_match_is_not_sold() -> None:
    draft = parse_intent("a pearl milk tea under 5")
    poor = [offer("p9", "m_x", "19.00", good_match=False)]
    assert shortfall(draft, draft.items[0], poor).code == "not-sold"


def test_the_relaxed_query_drops_the_limits_and_keeps_the_item() -> None:
    draft = parse_intent("a large pearl milk tea under 5 within 10 minutes")
    context = relaxed_context(draft, draft.items[0], None)
    assert context["query"] == "pearl milk tea"
    assert context["category"] == "drinks/milk-tea"
    assert "constraints" not in context
    assert "attributes" not in context
