import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.core.errors import MoneyError
from trustcart.core.money import Money, sum_money


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("29.90", "CNY", 2990),
        ("29.9", "CNY", 2990),
        ("0", "CNY", 0),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
        ("-5.00", "USD", -500),
    ],
)
def test_parse(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    "text", ["29.901", "1e3", "NaN", "inf", " 1", "1,00", "", "0x10", "29.90 ", "1" * 16]
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, "CNY")


def test_refuses_floats_unknown_currency_and_mixing() -> None:
    with pytest.raises(MoneyError):
        Money(29.9, "CNY")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1, "XXX")
    with pytest.raises(MoneyError):
        Money.parse("1.5", "JPY")
    with pytest.raises(MoneyError):
        _ = Money(1, "CNY") + Money(1, "USD")
    with pytest.raises(MoneyError):
        Money.from_json({"amount": 29.9, "currency": "CNY"})


def test_wire_shape() -> None:
    assert Money(2990, "CNY").to_json() == {"amount": "29.90", "currency": "CNY"}
    assert Money(5, "JPY").to_json() == {"amount": "5", "currency": "JPY"}
    assert Money(2990, "CNY") * 3 == Money(8970, "CNY")
    assert str(sum_money([Money(1, "CNY"), Money(2, "CNY")], "CNY")) == "0.03 CNY"


@given(st.integers(min_value=-(10**14), max_value=10**14), st.sampled_from(["CNY", "JPY", "KWD"]))
def test_round_trip(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.parse(money.amount_str(), currency) == money
    assert Money.from_json(money.to_json()) == money
