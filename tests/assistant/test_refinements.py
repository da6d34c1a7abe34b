"""Refinements of the standing request (pure): resolved against the option in focus, applied
so that every limit stated before still holds, replayed identically from JSON."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.offers import offer, option
from trustcart.assistant.followups import Refinement, read_followup
from trustcart.assistant.intent import parse_intent
from trustcart.assistant.planner import plan_options
from trustcart.assistant.refinements import CannotRefine, Change, refined, resolve
from trustcart.core.money import Money

TEAS = [
    offer("p1", "m_leaf", "19.00", "13.00", minutes=42),
    offer("p2", "m_pearl", "16.00", minutes=43),
    offer("p3", "m_leaf", "22.00", "16.00", attributes={"size": "large"}, minutes=32),
    offer("p4", "m_pearl", "19.00", attributes={"size": "large"}, minutes=33),
    offer("p5", "m_lake", "21.00", attributes={"size": "large"}, minutes=20),
    offer("p6", "m_lake", "18.00", minutes=20),
]


def _refine(request: str, said: str, focus_index: int = 0) -> tuple[Change, list[str]]:
    draft = parse_intent(request)
    shown = plan_options(draft, [TEAS]).options
    followup = read_followup(said, category=shown[focus_index].lines[0].category)
    assert followup.refinement is not None
    change = resolve(followup.refinement, said, shown[focus_index])
    again = refined(draft, [change])
    return change, [o.lines[0].product_id for o in plan_options(again, [TEAS]).options]


def test_make_it_large_keeps_the_cap_and_takes_only_large_ones() -> None:
    change, shown = _refine("a pearl milk tea under 20", "make it large")
    assert change.attributes == (("size", "large"),)
    assert shown == ["p4"]  # p3 (22.00 each, 16.00 after a coupon) and p5 are above 20 each


def test_cheaper_means_a_lower_delivered_total_than_the_one_in_focus() -> None:
    change, shown = _refine("a pearl milk tea under 30", "cheaper", focus_index=1)
    assert change.below_total == Money.parse("16.00", "CNY")
    assert shown == ["p1"]  # only 13.00 is below 16.00 delivered


def test_faster_means_less_time_than_the_one_in_focus_and_ranks_by_speed() -> None:
    change, shown = _refine("a pearl milk tea under 30", "faster delivery")
    assert change.faster_than == 42
    draft = refined(parse_intent("a pearl milk tea under 30"), [change])
    assert draft.max_delivery_minutes == 41
    assert draft.preference == "fastest"
    assert shown[0] in ("p5", "p6")


def test_another_shop_excludes_the_focus_merchant_even_when_it_was_asked_for() -> None:
    draft = parse_intent("a pearl milk tea from Leaf", merchants=[("m_leaf", "Leaf")])
    assert draft.allowed_merchants == ("m_leaf",)
    focus = option(TEAS[0])
    change = resolve(Refinement(other_merchant=True), "换一家", focus)
    after = refined(draft, [change])
    assert after.allowed_merchants == ()
    assert after.forbidden_merchants == ("m_leaf",)
    assert all(o.lines[0].merchant_id != "m_leaf" for o in plan_options(after, [TEAS]).options)


def test_not_that_brand_needs_a_brand_and_then_excludes_it() -> None:
    with_brand = offer(
        "s1",
        "m_shop",
        "49.00",
        category="apparel/t-shirt",
        title="Hangtee Tee",
        brand="Hangtee",
        attributes={"size": "l"},
    )
    change = resolve(Refinement(other_brand=True), "not that brand", option(with_brand))
    assert change.exclude_brand == "Hangtee"
    draft = refined(parse_intent("a t-shirt size L"), [change])
    assert draft.forbidden_brands == ("Hangtee",)
    other = offer(
        "s2",
        "m_shop",
        "59.00",
        category="apparel/t-shirt",
        title="Lakewear Tee",
        brand="Lakewear",
        attributes={"size": "l"},
    )
    assert [o.lines[0].product_id for o in plan_options(draft, [[with_brand, other]]).options] == [
        "s2"
    ]
    no_brand = offer("s3", "m_shop", "49.00", category="apparel/t-shirt")
    with pytest.raises(CannotRefine) as refused:
        resolve(Refinement(other_brand=True), "not that brand", option(no_brand))
    assert refused.value.what == "brand"


def test_a_refinement_never_lifts_a_cap() -> None:
    draft = parse_intent("a pearl milk tea under 10")
    dearer = Change("cheaper", below_total=Money.parse("50.00", "CNY"))
    assert refined(draft, [dearer]).max_total == draft.max_total


def test_the_words_are_kept_for_the_isr() -> None:
    draft = refined(
        parse_intent("a pearl milk tea under 30"),
        [Change("make it large", attributes=(("size", "large"),), category="drinks")],
    )
    assert draft.text == "a pearl milk tea under 30; make it large"


def test_a_standing_order_caps_each_purchase_not_its_budget() -> None:
    draft = parse_intent("up to 3 milk teas this week, at most 30 each, 80 in total")
    after = refined(draft, [Change("cheaper", below_total=Money.parse("16.00", "CNY"))])
    assert after.max_total == draft.max_total
    assert after.max_unit_price == Money.parse("15.99", "CNY")


@given(
    st.lists(st.sampled_from(["size", "colour", "sugar"]), max_size=2),
    st.one_of(st.none(), st.integers(1, 10_000_00)),
    st.one_of(st.none(), st.integers(1, 600)),
    st.one_of(st.none(), st.text(min_size=1, max_size=12)),
)
def test_changes_read_back_from_json_exactly(
    names: list[str], below: int | None, minutes: int | None, brand: str | None
) -> None:
    change = Change(
        "said",
        attributes=tuple((n, "x") for n in names),
        category="drinks/milk-tea" if names else None,
        below_total=None if below is None else Money(below, "CNY"),
        faster_than=minutes,
        exclude_merchant=brand,
        exclude_brand=brand,
    )
    assert Change.from_json(change.to_json()) == change
