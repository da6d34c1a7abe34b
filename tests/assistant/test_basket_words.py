"""Reading a basket from words (EN/中文) and the recipe table: known answers and invariants."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.assistant.basket_words import read_basket
from trustcart.assistant.recipes import (
    Dish,
    Ingredient,
    RecipeError,
    find_dish,
    recipe_table,
    servings_in,
)
from trustcart.core.money import Money


def cny(amount: str) -> Money:
    return Money.parse(amount, "CNY")


# (words, [(item, quantity)], basket cap, per-item caps or None)
LISTS = [
    (
        "2 pearl milk teas and a taro milk tea, under 60 in total",
        [("pearl milk tea", 2), ("taro milk tea", 1)],
        "60",
        None,
    ),
    (
        "milk, eggs and bananas under 50",
        [("whole milk", 1), ("free-range eggs", 1), ("bananas", 1)],
        "50",
        None,
    ),
    (
        "两杯珍珠奶茶和一杯芋泥奶茶，总共60元以内",
        [("pearl milk tea", 2), ("taro milk tea", 1)],
        "60",
        None,
    ),
    (
        "牛奶、鸡蛋以及香蕉，总共50元以内",
        [("whole milk", 1), ("free-range eggs", 1), ("bananas", 1)],
        "50",
        None,
    ),
    (
        "2 cheese teas and 2 pearl milk teas, 120 max",
        [("signature cheese tea", 2), ("pearl milk tea", 2)],
        "120",
        None,
    ),
    ("a dozen eggs plus 2 bananas", [("free-range eggs", 12), ("bananas", 2)], None, None),
    (
        "a pearl milk tea under 30 and a taro milk tea under 25",
        [("pearl milk tea", 1), ("taro milk tea", 1)],
        None,
        ["30", "25"],
    ),
    (
        "a pearl milk tea and a taro milk tea, under 30 each",
        [("pearl milk tea", 1), ("taro milk tea", 1)],
        None,
        ["30", "30"],
    ),
    (
        "tofu, lamb slices and hotpot base under 200",
        [("tofu", 1), ("lamb slices", 1), ("hotpot base", 1)],
        "200",
        None,
    ),
    (
        "milk, tofu and eggs",
        [("whole milk", 1), ("tofu", 1), ("free-range eggs", 1)],
        None,
        None,
    ),
    ("火锅底料和羊肉片", [("火锅底料", 1), ("羊肉片", 1)], None, None),
]


@pytest.mark.parametrize(("text", "items", "cap", "item_caps"), LISTS)
def test_lists_read_as_one_basket(
    text: str, items: list[tuple[str, int]], cap: str | None, item_caps: list[str] | None
) -> None:
    basket = read_basket(text)
    assert basket is not None
    assert [(w.description, w.quantity) for w in basket.wishes] == items
    assert basket.max_total == (None if cap is None else cny(cap))
    caps = [w.max_unit_price for w in basket.wishes]
    assert caps == ([None] * len(items) if item_caps is None else [cny(c) for c in item_caps])
    assert basket.language == ("zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")


@pytest.mark.parametrize(
    "text",
    [
        "order me a pearl milk tea under 30 CNY",  # one item: the single-item path
        "帮我点两杯芋泥奶茶，每杯不超过25元",
        "up to 3 milk teas this week, 80 in total",  # a standing order
        "buy a t-shirt and a cap",  # a question is open (the size)
        "",
        "hello",
    ],
)
def test_not_a_basket(text: str) -> None:
    assert read_basket(text) is None


# (words, dish, servings, basket cap)
DISHES = [
    ("everything for hotpot for four, under 200", "hotpot", 4, "200"),
    ("四人份火锅，总共200元以内", "hotpot", 4, "200"),
    ("hotpot for 2 people, 150 max", "hotpot", 2, "150"),
    ("breakfast", "breakfast", 1, None),
    ("breakfast for two under 80 in total", "breakfast", 2, "80"),
    ("stuff for milk tea at home", "milk-tea-at-home", 2, None),
    ("自制奶茶，三个人", "milk-tea-at-home", 3, None),
    ("给两个人做蛋炒饭", "fried-rice", 2, None),
    ("fruit salad serves 6", "fruit-salad", 6, None),
    ("下午茶 5人", "afternoon-tea", 5, None),
    ("a midnight snack", "late-night-snack", 1, None),
    ("milk tea party for 8, 200 in total", "milk-tea-party", 8, "200"),
    ("野餐，两个人，100元以内", "picnic", 2, "100"),
]


@pytest.mark.parametrize(("text", "dish", "servings", "cap"), DISHES)
def test_dishes_scale_to_servings(text: str, dish: str, servings: int, cap: str | None) -> None:
    basket = read_basket(text)
    assert basket is not None
    assert (basket.dish, basket.servings) == (dish, servings)
    assert basket.max_total == (None if cap is None else cny(cap))
    table = next(d for d in recipe_table() if d.key == dish)
    assert [(w.description, w.quantity) for w in basket.wishes] == [
        (i.query, i.quantity_for(servings)) for i in table.ingredients
    ]
    assert all(w.name_zh for w in basket.wishes)


def test_hotpot_for_four_is_the_table_scaled() -> None:
    basket = read_basket("everything for hotpot for four, under 200")
    assert basket is not None
    quantities = {w.description: w.quantity for w in basket.wishes}
    # lamb: 1/2 a pack a person -> 2 packs; the base: 1/4 -> 1; soy sauce: 1/8 -> 1 (at least one)
    assert quantities["lamb slices"] == 2
    assert quantities["hotpot base"] == 1
    assert quantities["light soy sauce"] == 1
    assert read_basket("hotpot for 12")
    big = read_basket("hotpot for 12")
    assert big is not None
    assert {w.description: w.quantity for w in big.wishes}["lamb slices"] == 6


def test_the_table_ships_at_least_eight_dishes_in_both_languages() -> None:
    dishes = recipe_table()
    assert len(dishes) >= 8
    assert len({d.key for d in dishes}) == len(dishes)
    for dish in dishes:
        assert any(n.isascii() for n in dish.names)
        assert any(not n.isascii() for n in dish.names)
        assert find_dish(dish.names[0]) is not None


def test_an_ingredient_name_is_not_the_dish() -> None:
    assert find_dish("hotpot base and tofu") is None
    assert find_dish("火锅底料") is None
    mention = find_dish("hotpot tonight")
    assert mention is not None
    assert mention.dish.key == "hotpot"


@pytest.mark.parametrize(
    ("text", "servings"),
    [
        ("for four", 4),
        ("for 2 people", 2),
        ("serves 6", 6),
        ("10 guests", 10),
        ("四人份", 4),
        ("两个人", 2),
        ("for the team", None),
        ("for 0 people", None),
        ("for 500 people", None),  # more than one basket should feed: not guessed
    ],
)
def test_servings(text: str, servings: int | None) -> None:
    assert servings_in(text) == servings


def test_a_bad_table_entry_is_refused() -> None:
    with pytest.raises(RecipeError):
        Ingredient("tofu", "豆腐", Fraction(0))
    with pytest.raises(RecipeError):
        Dish("x", (), "x", 2, (Ingredient("tofu", "豆腐", Fraction(1, 2)),))


@given(
    per_serving=st.fractions(min_value=Fraction(1, 16), max_value=Fraction(4)),
    servings=st.integers(min_value=1, max_value=49),
)
def test_scaling_covers_every_person_and_grows_with_them(
    per_serving: Fraction, servings: int
) -> None:
    ingredient = Ingredient("tofu", "豆腐", per_serving)
    quantity = ingredient.quantity_for(servings)
    assert 1 <= quantity <= 99
    needed = per_serving * servings
    assert quantity >= min(Fraction(99), needed)
    assert quantity < needed + 1 or quantity == 1
    assert ingredient.quantity_for(servings + 1) >= quantity


KNOWN = ["pearl milk tea", "taro milk tea", "whole milk", "bananas", "greek yogurt"]
KNOWN_ZH = {
    "pearl milk tea": "珍珠奶茶",
    "taro milk tea": "芋泥奶茶",
    "whole milk": "全脂牛奶",
    "bananas": "香蕉",
    "greek yogurt": "希腊酸奶",
}


@settings(max_examples=60, deadline=None)
@given(
    chosen=st.lists(st.sampled_from(KNOWN), min_size=2, max_size=4, unique=True),
    counts=st.lists(st.integers(min_value=1, max_value=9), min_size=4, max_size=4),
    cap=st.integers(min_value=1, max_value=5000),
    chinese=st.booleans(),
)
def test_any_list_keeps_its_items_counts_and_one_cap(
    chosen: list[str], counts: list[int], cap: int, chinese: bool
) -> None:
    if chinese:
        parts = [f"{n}份{KNOWN_ZH[item]}" for item, n in zip(chosen, counts, strict=False)]
        text = "、".join(parts[:-1]) + "和" + parts[-1] + f"，总共{cap}元以内"
    else:
        parts = [f"{n} {item}" for item, n in zip(chosen, counts, strict=False)]
        text = ", ".join(parts[:-1]) + " and " + parts[-1] + f", {cap} max"
    basket = read_basket(text)
    assert basket is not None, text
    assert [(w.description, w.quantity) for w in basket.wishes] == list(
        zip(chosen, counts, strict=False)
    )
    assert basket.max_total == cny(str(cap))
    assert all(w.max_unit_price is None for w in basket.wishes)


@given(st.text(max_size=80))
def test_reading_never_raises(text: str) -> None:
    basket = read_basket(text)
    if basket is not None:
        assert 2 <= len(basket.wishes) <= 12 or basket.dish is not None
        assert all(w.quantity >= 1 for w in basket.wishes)


@pytest.mark.parametrize(
    "text",
    [
        "a large pearl milk tea, half sugar, less ice",  # how it is made: the single path keeps it
        "一杯大杯珍珠奶茶，少糖去冰",
        "a pearl milk tea, not from Leaf & Cup",
        "不要叶与杯，来一杯珍珠奶茶",
        "a pearl milk tea and a taro milk tea within 30 minutes",  # the planner has no clock
        "2 large taro milk teas half sugar and a mango pomelo sago",
    ],
)
def test_limits_the_planner_cannot_keep_stay_on_the_single_path(text: str) -> None:
    assert read_basket(text) is None


def test_a_merchant_named_is_no_item() -> None:
    merchants = [("m_leaf_and_cup", "Leaf & Cup 叶与杯")]
    assert (
        read_basket("a pearl milk tea and a taro milk tea from Leaf & Cup", merchants=merchants)
        is None
    )
    assert read_basket("不要叶与杯的，珍珠奶茶和芋泥奶茶", merchants=merchants) is None


def test_a_merchant_name_does_not_blank_item_words() -> None:
    merchants = [
        ("m_lakeside_tea", "Lakeside Tea 湖畔茶饮"),
        ("m_bund_tea", "Bund Tea Bar 外滩茶吧"),
    ]
    basket = read_basket("2 pearl milk teas and a cheese tea, 30 max", merchants=merchants)
    assert basket is not None
    assert [(w.description, w.quantity) for w in basket.wishes] == [
        ("pearl milk tea", 2),
        ("signature cheese tea", 1),
    ]
    assert basket.max_total == cny("30")


def test_a_wallet_that_cannot_approve_a_set_gets_no_basket() -> None:
    """The web's browser wallet signs one cart at a time: its chat keeps the single path."""
    from types import SimpleNamespace

    from trustcart.assistant.basket_talk import BasketTalk
    from trustcart.assistant.dialogue import DialogueState
    from trustcart.assistant.wallet import Wallet
    from trustcart.web.browser_wallet import BrowserWallet

    assert Wallet.approves_baskets is True
    assert BrowserWallet.approves_baskets is False
    tools = SimpleNamespace(wallet=SimpleNamespace(approves_baskets=False))
    talk = BasketTalk(tools, DialogueState(), "cnv_test")  # type: ignore[arg-type]
    assert talk.read("2 pearl milk teas and a taro milk tea, under 60 in total") is None
