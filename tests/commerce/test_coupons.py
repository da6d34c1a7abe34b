"""The coupon optimizer: worked examples, and an exact match with brute force (Hypothesis)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import combinations, permutations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.commerce.catalog import Coupon, CouponKind
from trustcart.commerce.coupons import best_coupon_combination, choose_coupons
from trustcart.commerce.errors import CommerceProblem, PrecheckFailed
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

NOW = datetime(2026, 11, 29, 8, tzinfo=UTC)
CATS = ["drinks/milk-tea"]


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def fixed(cid: str, value: int, threshold: int, **kw: Any) -> Coupon:
    return Coupon(
        f"c_{cid}",
        "m_shop",
        CouponKind.FIXED,
        value,
        cny(threshold),
        cid,
        NOW - timedelta(days=1),
        NOW + timedelta(days=1),
        **kw,
    )


def percent(cid: str, value: int, threshold: int, **kw: Any) -> Coupon:
    return Coupon(
        f"c_{cid}",
        "m_shop",
        CouponKind.PERCENT,
        value,
        cny(threshold),
        cid,
        NOW - timedelta(days=1),
        NOW + timedelta(days=1),
        **kw,
    )


def best(coupons: Sequence[Coupon], subtotal: int, **kw: object):  # type: ignore[no-untyped-def]
    return best_coupon_combination(coupons, cny(subtotal), categories=CATS, now=NOW, **kw)  # type: ignore[arg-type]


def test_no_coupons_no_discount() -> None:
    choice = best([], 1900)
    assert choice.discount == cny(0)
    assert choice.applied == ()


def test_threshold_is_inclusive() -> None:
    assert best([fixed("a", 600, 1500)], 1500).discount == cny(600)
    assert best([fixed("a", 600, 1500)], 1499).discount == cny(0)


def test_thresholds_apply_to_the_running_subtotal() -> None:
    # 100 off from 300 leaves 200, which no longer reaches the second coupon's 250.
    coupons = [fixed("a", 10000, 30000), fixed("b", 2000, 25000)]
    choice = best(coupons, 30000)
    assert choice.coupon_ids == ("c_a",)
    assert choice.discount == cny(10000)


def test_order_of_fixed_coupons_is_chosen_to_pass_thresholds() -> None:
    # Only "small first" passes: 1 off from 20 leaves 99, which still reaches 99.
    coupons = [fixed("big", 9000, 9900), fixed("small", 100, 2000)]
    choice = best(coupons, 10000)
    assert set(choice.coupon_ids) == {"c_big", "c_small"}
    assert choice.discount == cny(9100)


def test_exclusive_coupon_is_used_alone() -> None:
    coupons = [fixed("x", 1000, 0, exclusive=True), fixed("a", 600, 0), fixed("b", 600, 0)]
    choice = best(coupons, 5000)
    assert choice.coupon_ids in {("c_a", "c_b"), ("c_b", "c_a")}  # 12 beats the exclusive 10
    assert best([*coupons[:1], coupons[1]], 5000).coupon_ids == ("c_x",)


def test_at_most_one_percentage_coupon_and_it_comes_last() -> None:
    coupons = [percent("p10", 10, 0), percent("p20", 20, 0), fixed("f", 1000, 0)]
    choice = best(coupons, 10000)
    assert choice.coupon_ids == ("c_f", "c_p20")
    # 10 off first, then 20% of the remaining 90.
    assert choice.discount == cny(1000 + 1800)


def test_percentage_rounds_down_to_a_minor_unit() -> None:
    assert best([percent("p", 15, 0)], 999).discount == cny(149)  # 149.85 -> 149


def test_per_order_limit() -> None:
    coupons = [fixed(n, 100, 0) for n in "abcd"]
    assert len(best(coupons, 10000).applied) == 3
    assert len(best(coupons, 10000, max_coupons=2).applied) == 2
    assert best(coupons, 10000, max_coupons=0).applied == ()
    with pytest.raises(ValidationError):
        best(coupons, 10000, max_coupons=9)


def test_discount_never_exceeds_the_subtotal() -> None:
    choice = best([fixed("a", 5000, 0), percent("p", 100, 0)], 1200)
    assert choice.discount == cny(1200)


def test_ties_break_deterministically() -> None:
    # Same discount: fewer coupons win; then the smallest ids.
    coupons = [fixed("b", 500, 0), fixed("a", 500, 0), fixed("ab", 1000, 0)]
    assert best(coupons, 1000, max_coupons=1).coupon_ids == ("c_ab",)
    assert best([fixed("b", 500, 0), fixed("a", 500, 0)], 1000, max_coupons=1).coupon_ids == (
        "c_a",
    )


def test_inapplicable_coupons_are_ignored() -> None:
    expired = Coupon(
        "c_old",
        "m_shop",
        CouponKind.FIXED,
        900,
        cny(0),
        "old",
        NOW - timedelta(days=9),
        NOW - timedelta(days=1),
    )
    other_shop = Coupon(
        "c_else",
        "m_else",
        CouponKind.FIXED,
        900,
        cny(0),
        "else",
        NOW - timedelta(days=1),
        NOW + timedelta(days=1),
    )
    usd = Coupon(
        "c_usd",
        "m_shop",
        CouponKind.FIXED,
        900,
        Money(0, "USD"),
        "usd",
        NOW - timedelta(days=1),
        NOW + timedelta(days=1),
    )
    apparel = fixed("tee", 900, 0, category_scope="apparel")
    choice = best_coupon_combination(
        [expired, other_shop, usd, apparel],
        cny(5000),
        categories=CATS,
        now=NOW,
        merchant_id="m_shop",
    )
    assert choice.applied == ()
    scoped = fixed("tea", 300, 0, category_scope="drinks")
    assert best([scoped], 5000).coupon_ids == ("c_tea",)


def test_named_coupons_must_apply() -> None:
    coupons = [fixed("a", 600, 1500), fixed("x", 1000, 0, exclusive=True)]
    choice = choose_coupons(coupons, ["c_a"], cny(1900), categories=CATS, now=NOW)
    assert choice.discount == cny(600)
    for ids, subtotal in (
        (["c_a"], 1400),
        (["c_nope"], 5000),
        (["c_a", "c_x"], 5000),
        (["c_a", "c_a"], 5000),
    ):
        with pytest.raises(PrecheckFailed) as caught:
            choose_coupons(coupons, ids, cny(subtotal), categories=CATS, now=NOW)
        assert caught.value.code == CommerceProblem.COUPON_NOT_APPLICABLE


# -- brute force ------------------------------------------------------------------------------


Rank = tuple[int, int, tuple[str, ...]]


def brute_force(coupons: Sequence[Coupon], subtotal: int, max_coupons: int) -> Rank:
    """Every ordered selection, the rules checked literally; the best by the documented order."""
    best_key: Rank = (0, 0, ())  # (-discount, count, sorted ids)
    for size in range(1, min(max_coupons, len(coupons)) + 1):
        for ordered in permutations(coupons, size):
            kinds = [c.kind for c in ordered]
            if kinds.count(CouponKind.PERCENT) > 1:
                continue
            if CouponKind.PERCENT in kinds and kinds[-1] is not CouponKind.PERCENT:
                continue
            if size > 1 and any(c.exclusive for c in ordered):
                continue
            running, ok = subtotal, True
            for c in ordered:
                if running < c.threshold.minor:
                    ok = False
                    break
                off = (
                    min(c.value, running)
                    if c.kind is CouponKind.FIXED
                    else (running * c.value // 100)
                )
                running -= off
            if not ok:
                continue
            key = (-(subtotal - running), size, tuple(sorted(c.coupon_id for c in ordered)))
            best_key = min(best_key, key)
    return best_key


coupon_specs = st.lists(
    st.tuples(st.booleans(), st.integers(1, 100), st.integers(0, 5000), st.booleans()),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(specs=coupon_specs, subtotal=st.integers(0, 6000), max_coupons=st.integers(0, 4))
def test_matches_brute_force(
    specs: list[tuple[bool, int, int, bool]], subtotal: int, max_coupons: int
) -> None:
    coupons = []
    for n, (is_percent, value, threshold, exclusive) in enumerate(specs):
        make = percent if is_percent else fixed
        coupons.append(
            make(
                f"k{n}",
                value if is_percent else value * 20,
                threshold,
                exclusive=exclusive and n % 2 == 0,
            )
        )
    choice = best(coupons, subtotal, max_coupons=max_coupons)
    expected = brute_force(coupons, subtotal, max_coupons)
    assert (
        -choice.discount.minor,
        len(choice.applied),
        tuple(sorted(choice.coupon_ids)),
    ) == expected
    assert 0 <= choice.discount.minor <= subtotal
    assert sum(a.amount.minor for a in choice.applied) == choice.discount.minor


def test_subsets_are_exhaustive_for_small_inputs() -> None:
    # A case where greedy (largest coupon first) loses: two medium coupons beat one big one.
    coupons = [fixed("big", 1000, 1000, exclusive=True), fixed("m1", 700, 0), fixed("m2", 700, 0)]
    assert best(coupons, 2000).discount == cny(1400)
    assert len(list(combinations(coupons, 2))) == 3
