"""Properties of the amount and count readers: every phrase generated from a random amount (or
count), currency word, bound and scope word, digit grouping and numeral rendering (digits,
English words, Chinese numerals) reads back exactly or becomes the documented question; never
an exception, never a different amount."""

import doctest
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.numerals import chinese, chinese_short, english, grouped
from trustcart.assistant import amount_words, amounts, numerals, quantities
from trustcart.assistant.amounts import MAX_AMOUNT, Bound, Scope, read_amounts
from trustcart.assistant.intent import parse_intent
from trustcart.assistant.quantities import MAX_QUANTITY, read_quantities
from trustcart.core.errors import MoneyError, ValidationError
from trustcart.core.money import Money

CNY_BEFORE = ["¥", "RMB ", "rmb", "CNY ", "CNY", "人民币"]
CNY_AFTER = [" yuan", "元", "块", "块钱", " RMB", " CNY", " kuai", "元人民币"]
FOREIGN_BEFORE = [("$", "USD"), ("US$", "USD"), ("USD ", "USD"), ("€", "EUR"), ("£", "GBP")]
FOREIGN_AFTER = [(" USD", "USD"), (" dollars", "USD"), ("美元", "USD"), (" euros", "EUR")]
FOREIGN_AFTER += [("欧元", "EUR"), (" yen", "JPY"), ("日元", "JPY"), (" GBP", "GBP")]
PRICE_BOUNDS = ["under ", "below ", "cheaper than ", "不超过", "低于", "不要超过"]
COUNT_BOUNDS = ["less than ", "at most ", "no more than ", "up to ", "max ", "最多", "少于"]
BOUNDS_AFTER = [" or less", " max", " tops", "以内", "以下", "之内"]
EACH_BEFORE = ["each ", "per item ", "每杯", "每件", "单价"]
EACH_AFTER = [" each", " apiece", " a piece", " per cup", "一杯", "每件"]
TOTAL_BEFORE = ["in total ", "a total of ", "budget of ", "一共", "总共", "预算"]
TOTAL_AFTER = [" in total", " total", " altogether", " overall"]
CONTEXTS = [("a pearl milk tea ", ""), ("来一杯珍珠奶茶，", "。"), ("sunglasses, ", ", please")]
CONTEXTS += [("", ""), ("买墨镜", "的"), ("t-shirt size M, ", ".")]


@dataclass(frozen=True)
class Phrase:
    text: str
    value: Decimal
    currency: str | None  # None: not stated, the catalog's own
    bound: Bound
    scope: Scope


def _render(draw: st.DrawFn, value: Decimal, allow_words: bool, spaced: bool) -> str:
    """One way of writing ``value`` (a Decimal with at most two decimals)."""
    whole = int(value)
    fraction = value - whole
    forms = ["digits", "grouped"]
    if spaced:
        forms.append("spaced")
    if fraction == 0 and whole < 10**12:
        forms += ["chinese", "chinese-liang"] + (["english"] if allow_words else [])
        if chinese_short(whole):
            forms.append("chinese-short")
    if fraction == 0 and whole >= 1000 and whole % 100 == 0 and allow_words:
        forms.append("k")
    if fraction == 0 and whole >= 10_000 and whole % 1000 == 0:
        forms.append("wan")
    form = draw(st.sampled_from(forms))
    decimals = "" if fraction == 0 else str(fraction)[1:]
    if form == "digits":
        pad = draw(st.sampled_from(["", ".0", ".00"])) if fraction == 0 else ""
        return f"{whole}{decimals}{pad}"
    if form in ("grouped", "spaced"):
        return grouped(str(whole), "," if form == "grouped" else " ") + decimals
    if form == "chinese":
        return chinese(whole)
    if form == "chinese-liang":
        return chinese(whole, liang=True)
    if form == "chinese-short":
        return str(chinese_short(whole))
    if form == "english":
        return english(whole)
    if form == "k":
        return _shortest(Decimal(whole) / 1000) + "k"
    return _shortest(Decimal(whole) / 10_000) + "万"


def _shortest(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@st.composite
def amount_phrases(draw: st.DrawFn) -> Phrase:
    value = draw(
        st.one_of(
            st.integers(1, 10**8).map(lambda n: Decimal(n) / 100),  # 0.01 .. 1,000,000.00
            st.integers(1, 10**6).map(Decimal),
            st.integers(10**6 + 1, 10**22).map(Decimal),  # above MAX_AMOUNT
            st.just(Decimal(0)),
        )
    )
    currency_form = draw(
        st.sampled_from(["none", "before", "after", "foreign-before", "foreign-after"])
    )
    bound_form = draw(st.sampled_from(["none", "price", "count", "after"]))
    scope_form = draw(
        st.sampled_from(["none", "each-before", "each-after", "total-before", "total-after"])
    )
    if currency_form == "none" and bound_form == "none" and scope_form == "none":
        bound_form = "price"  # a bare number is not an amount
    currency: str | None = None
    before = after = ""
    if currency_form == "before":
        before, currency = draw(st.sampled_from(CNY_BEFORE)), "CNY"
    elif currency_form == "after":
        after, currency = draw(st.sampled_from(CNY_AFTER)), "CNY"
    elif currency_form == "foreign-before":
        before, currency = draw(st.sampled_from(FOREIGN_BEFORE))
    elif currency_form == "foreign-after":
        after, currency = draw(st.sampled_from(FOREIGN_AFTER))
    bound_before = bound_after = ""
    if bound_form == "price":
        bound_before = draw(st.sampled_from(PRICE_BOUNDS))
    elif bound_form == "count":
        bound_before = draw(st.sampled_from(COUNT_BOUNDS))
    elif bound_form == "after":
        bound_after = draw(st.sampled_from(BOUNDS_AFTER))
    scope_before = scope_after = ""
    if scope_form == "each-before":
        scope_before = draw(st.sampled_from(EACH_BEFORE))
    elif scope_form == "each-after":
        scope_after = draw(st.sampled_from(EACH_AFTER))
    elif scope_form == "total-before":
        scope_before = draw(st.sampled_from(TOTAL_BEFORE))
    elif scope_form == "total-after":
        scope_after = draw(st.sampled_from(TOTAL_AFTER))
    # Number words need a currency or a price-only bound; "k" a currency or bound; "1 000" too.
    words = currency is not None or bound_form == "price"
    spaced = currency is not None or bound_form != "none"
    number = _render(draw, value, words, spaced)
    if currency is None and bound_form == "none":  # scope alone: "30 each", "每杯30"
        number = f"{value:f}"
        if scope_after and not scope_after.isascii():
            scope_after = " each"
    if before[-1:].isalpha() and number[:1].isalpha():
        before += " "  # "rmb one", not "rmbone"
    if after[:1].isalpha() and number[-1:].isalpha():
        after = " " + after
    if currency_form == "after" and after == "块" and bound_form == "none" and not scope_after:
        after = "块钱"  # "30块" before a noun is a measure word ("两块蛋糕")
    text = f"{scope_before}{bound_before}{before}{number}{after}{bound_after}{scope_after}"
    context_before, context_after = draw(st.sampled_from(CONTEXTS))
    bound = Bound.AT_MOST if bound_form != "none" else Bound.STATED
    scope = Scope.UNSTATED
    if scope_form.startswith("each"):
        scope = Scope.EACH
    elif scope_form.startswith("total"):
        scope = Scope.TOTAL
    return Phrase(context_before + text + context_after, value, currency, bound, scope)


@settings(max_examples=600, deadline=None)
@given(amount_phrases())
def test_every_amount_phrase_reads_back_exactly_or_asks(phrase: Phrase) -> None:
    read = read_amounts(phrase.text)
    codes = [p.code.value for p in read.problems]
    if phrase.currency not in (None, "CNY"):
        assert (read.readings, codes) == ((), ["amount-currency-not-sold"]), phrase
    elif phrase.value == 0:
        assert (read.readings, codes) == ((), ["amount-not-positive"]), phrase
    elif phrase.value > MAX_AMOUNT:
        assert (read.readings, codes) == ((), ["amount-too-large"]), phrase
    else:
        assert codes == [], phrase
        assert len(read.readings) == 1, phrase
        reading = read.readings[0]
        assert reading.money == Money(int(phrase.value * 100), "CNY"), phrase
        assert (reading.bound, reading.scope) == (phrase.bound, phrase.scope), phrase
        assert phrase.text.lower()[reading.span[0] : reading.span[1]] == reading.text


@st.composite
def count_phrases(draw: st.DrawFn) -> tuple[str, int]:
    count = draw(
        st.one_of(st.integers(1, MAX_QUANTITY), st.integers(MAX_QUANTITY + 1, 10**22), st.just(0))
    )
    lead = draw(st.sampled_from(["", "buy ", "order me ", "I want "]))
    form = draw(st.sampled_from(["digits", "english", "chinese", "bare"]))
    if form == "chinese" and count < 10**12:
        number = chinese(count, liang=draw(st.booleans()))
        classifier = draw(st.sampled_from("杯份个"))
        return f"{draw(st.sampled_from(['', '帮我买', '来']))}{number}{classifier}珍珠奶茶", count
    number = english(count) if form == "english" and count < 10**12 else str(count)
    if form == "bare":
        return f"{lead}{number} pearl milk teas", count
    unit = draw(st.sampled_from(["cups", "bottles", "servings", "boxes"]))
    return f"{lead}{number} {unit} of pearl milk tea", count


@settings(max_examples=400, deadline=None)
@given(count_phrases())
def test_every_count_reads_back_or_asks_never_one_silently(phrase: tuple[str, int]) -> None:
    text, count = phrase
    draft = parse_intent(text)
    assert [item.description for item in draft.items] == ["pearl milk tea"], text
    if 1 <= count <= MAX_QUANTITY:
        assert draft.items[0].quantity == count, text
        assert not draft.missing, text
    else:
        code = "quantity-not-positive" if count == 0 else "quantity-too-large"
        assert draft.missing == (code,), text
        assert draft.questions[0].item_index == 0


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 50),
    st.integers(1, 10**6),
    st.sampled_from(["bags", "bottles", "cups", "boxes"]),
    st.sampled_from(["whole milk", "greek yogurt", "dry cat food", "pearl milk tea"]),
)
def test_a_count_and_a_price_in_one_request_stay_apart(
    count: int, price: int, unit: str, item: str
) -> None:
    draft = parse_intent(f"buy {count} {unit} of {item} under {price} each")
    assert [(i.description, i.quantity) for i in draft.items] == [(item, count)]
    assert draft.max_unit_price == Money(price * 100, "CNY")
    assert draft.max_total == Money(price * 100 * count, "CNY")


_TOKENS = [
    "under", "at most", "up to", "each", "in total", "yuan", "元", "块", "$", "¥", "usd", "k",
    "w", "万", "一", "两", "十", "百", "五", "0", "1", "30", "1,000", "1 000", "-", "9" * 25,
    "bags of", "杯", "x3", "a dozen", "half", "twenty", "and", "between", "to", "以内", "每杯",
    "总共", "pearl milk tea", "奶茶", ",", ".", "/", "minutes", "%", "一百五", "三块五",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(st.text(max_size=80), st.lists(st.sampled_from(_TOKENS), max_size=14).map(" ".join))
)
def test_the_readers_never_raise_and_only_read_valid_values(text: str) -> None:
    read = read_amounts(text, ("CNY", "USD"))
    for reading in read.readings:
        assert 0 < reading.money.minor <= MAX_AMOUNT * 100
        assert reading.money.currency in ("CNY", "USD")
        assert reading.span in read.spans
    for problem in read.problems:
        assert problem.english
        assert problem.chinese
    for count in read_quantities(text.lower()):
        assert count.count is None or 1 <= count.count <= MAX_QUANTITY
        assert (count.count is None) == (count.problem is not None)
    draft = parse_intent(text)
    assert draft.items or draft.questions
    assert all(1 <= item.quantity <= MAX_QUANTITY for item in draft.items)


def test_a_catalog_currency_money_does_not_know_is_the_callers_mistake() -> None:
    with pytest.raises(MoneyError):
        read_amounts("under 30", ("XYZ",))
    with pytest.raises(ValidationError):
        read_amounts("under 30", ())


@pytest.mark.parametrize("module", [numerals, amounts, amount_words, quantities])
def test_docstring_examples_hold(module: object) -> None:
    failures, tried = doctest.testmod(module, verbose=False)  # type: ignore[arg-type]
    assert failures == 0
    assert tried > 0 or module is amount_words


@pytest.mark.parametrize(
    "text",
    [
        "一" * 5000,
        "9" * 20000,
        " ".join(["100"] * 2000),
        "1" + ",000" * 2000 + " yuan",
        "under 30 yuan each " * 300,
        "a dozen " * 1000,
        "2 bags of " * 800,
    ],
    ids=["chinese-run", "digit-run", "spaced-groups", "grouped", "amounts", "dozens", "units"],
)
def test_long_messages_are_read_in_linear_time(text: str) -> None:
    # Quadratic reading took over 10 s for 2,000 characters; linear takes well under 1 s.
    started = time.perf_counter()
    draft = parse_intent(text)
    assert time.perf_counter() - started < 8
    assert draft.items or draft.questions
