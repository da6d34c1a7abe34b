"""Catalog products say whether, and how, they can be tried on."""

import pytest

from trustcart.commerce.catalog import Product
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money


def product(category: str, **attributes: str) -> Product:
    return Product(
        "p_1", "m_1", "Item", "", "Brand", category, Money(1000, "CNY"), 1, 60, attributes
    )


@pytest.mark.parametrize(
    ("category", "attributes", "expected"),
    [
        ("apparel/t-shirt", {}, "upper"),
        ("apparel/hoodie", {}, "upper"),
        ("accessories/eyewear", {}, "eyewear"),
        ("accessories/hat", {}, "headwear"),
        ("drinks/milk-tea", {}, None),
        ("apparel/t-shirtx", {}, None),
        ("apparel/t-shirt", {"tryon": "none"}, None),  # a merchant opts a product out
        ("grocery/snacks", {"tryon": "headwear"}, "headwear"),  # or marks one in
    ],
)
def test_tryon_category(category: str, attributes: dict[str, str], expected: str | None) -> None:
    item = product(category, **attributes)
    assert item.tryon_category == expected
    assert item.to_json().get("tryon_category") == expected


def test_unknown_tryon_mark_is_refused() -> None:
    with pytest.raises(ValidationError):
        product("apparel/t-shirt", tryon="shoes")
